/**
 * Consistent hashing as Istio wires it into Envoy: a DestinationRule's `consistentHash` becomes a
 * hash policy of the routes to it (each destination's, in the rule's order), not a property of the
 * cluster. So a ring-hash cluster hashes on every destination's key of the route it was drawn for,
 * a cookie policy with a `ttl` sets its cookie whichever destination answers, port-level hashing
 * applies only to a destination that names its `port`, only a rule with a single hashed
 * destination keeps its retries on the hashed endpoint, and a mirror, whose copy carries no hash
 * policy in Envoy, draws its endpoint at random.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { refusingPort, startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A DestinationRule in istio-system for `<name>.internal` with `trafficPolicy`. */
function destinationRule(name: string, trafficPolicy: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: istio-system}
spec:
  host: ${name}.internal
  trafficPolicy: ${trafficPolicy}
`;
}

describe("consistent hashing on the route, as Istio writes it", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  const backends: Backend[] = [];
  let mirrors: Backend[];
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    const start = async (name: string) => {
      const b = await startEchoBackend(name);
      backends.push(b);
      return b.port;
    };
    const [live, a1, a2, b1, p1, p2] = await Promise.all(
      ["live", "a1", "a2", "b1", "p1", "p2"].map((n) => start(n)),
    );
    mirrors = [await startEchoBackend("m1"), await startEchoBackend("m2")];
    backends.push(...mirrors);
    const refused = await refusingPort();
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /dead-lone}}]
    route: [{destination: {host: dead.internal}}]
  - match: [{uri: {prefix: /dead-weighted}}]
    route:
    - {destination: {host: dead.internal}, weight: 100}
    - {destination: {host: svca.internal}, weight: 0}
  - match: [{uri: {prefix: /port-named}}]
    route: [{destination: {host: svcp.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /port-unnamed}}]
    route: [{destination: {host: svcp.internal}}]
  - match: [{uri: {prefix: /mirrored}}]
    route: [{destination: {host: svcb.internal}}]
    mirror: {host: svcm.internal}
  - match: [{uri: {prefix: /both}}]
    route:
    - {destination: {host: svca.internal}, weight: 50}
    - {destination: {host: svcb.internal}, weight: 50}
`,
        staticServiceEntry("dead", [{ port: refused }, { port: live }]),
        staticServiceEntry("svca", [{ port: a1 }, { port: a2 }]),
        staticServiceEntry("svcb", [{ port: b1 }]),
        staticServiceEntry("svcp", [{ port: p1 }, { port: p2 }]),
        staticServiceEntry(
          "svcm",
          mirrors.map((m) => ({ port: m.port })),
        ),
        destinationRule("dead", "{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}"),
        destinationRule("svca", "{loadBalancer: {consistentHash: {httpHeaderName: x-a}}}"),
        destinationRule("svcm", "{loadBalancer: {consistentHash: {httpHeaderName: x-m}}}"),
        destinationRule(
          "svcb",
          "{loadBalancer: {consistentHash: {httpCookie: {name: cb, path: /, ttl: 10s}}}}",
        ),
        destinationRule(
          "svcp",
          "{portLevelSettings: [{port: {number: 80}, loadBalancer: {consistentHash: {httpCookie: {name: sp, path: /, ttl: 60s}}}}]}",
        ),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    await Promise.all(backends.map((b) => b.close()));
    dir.dispose();
  });

  /** A curl GET of `path` with `headers`: status, answering backend (or the body), `Set-Cookie`. */
  async function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; backend: string; setCookie: string | undefined }> {
    const args = [`http://127.0.0.1:${port}${path}`, "-H", "host: shop.example"];
    for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
    const r = await curl(args);
    return {
      status: r.status,
      backend: r.status === 200 ? (JSON.parse(r.body) as Echo).name : r.body,
      setCookie: r.headers["set-cookie"],
    };
  }

  it("a weighted route to a hashed cluster retries on other endpoints; a lone hashed destination does not", async () => {
    // Users whose key hashes to the refusing endpoint fail through the lone destination: its
    // retries stay on the hashed endpoint. Twelve users on two endpoints: some of them (all on the
    // serving one in 1 of 4,096 runs).
    const failing: string[] = [];
    for (let u = 0; u < 12; u++) {
      const r = await get(`/dead-lone/${u}`, { "x-user": `user-${u}` });
      if (r.status !== 200) failing.push(`user-${u}`);
    }
    assert.ok(failing.length > 0, "no user hashed to the refusing endpoint");
    const lone = await loggedLine(access, `/dead-lone/${failing[0]!.slice("user-".length)}`);
    assert.deepEqual([lone["response_code"], lone["response_flags"]], [503, "URX,UF"]);
    // The same users through a rule of two destinations (one of weight 0): the route hashes as
    // before, but Istio keeps Envoy's previous_hosts predicate, so a retry leaves the refusing
    // endpoint. A user whose next five ring entries are all the refusing endpoint's still fails
    // (1 in 32, as on Envoy's ring): not every one of them.
    const outcomes: string[] = [];
    for (const user of failing) {
      const r = await get(`/dead-weighted/${user}`, { "x-user": user });
      outcomes.push(`${r.status} ${r.backend}`);
    }
    assert.ok(outcomes.includes("200 live"), outcomes.join(", "));
    const moved = failing[outcomes.indexOf("200 live")]!;
    const line = await loggedLine(access, `/dead-weighted/${moved}`);
    assert.deepEqual([line["response_code"], line["response_flags"]], [200, "-"]);
  });

  it("port-level hashing applies only to a destination that names its port", async () => {
    // Named: the cookie is made up and set, and a request that sends it back stays on one endpoint.
    const named = await get("/port-named/first");
    assert.match(named.setCookie ?? "", /^sp="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
    const cookie = named.setCookie!.split(";")[0]!;
    const sticky = new Set<string>();
    for (let i = 0; i < 20; i++) sticky.add((await get(`/port-named/${i}`, { cookie })).backend);
    assert.equal(sticky.size, 1, [...sticky].join(", "));
    // Without the port Istio adds no hash policy: the ring-hash cluster of port 80 draws at random,
    // never sets the cookie, and ignores one sent (both endpoints answer in 1 - 2^-19 of runs).
    const unnamed = await get("/port-unnamed/first");
    assert.deepEqual([unnamed.status, unnamed.setCookie], [200, undefined]);
    const spread = new Set<string>();
    for (let i = 0; i < 20; i++) spread.add((await get(`/port-unnamed/${i}`, { cookie })).backend);
    assert.deepEqual([...spread].sort(), ["p1", "p2"]);
  });

  it("a cookie policy of one destination sets its cookie whichever destination answers", async () => {
    // The route hashes on [header x-a, cookie cb]: svca's ring asks for the hash too, so the cookie
    // is made up and set on its answers as well as svcb's (each answers in 1 - 2^-19 of runs).
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < 20; i++) {
      const r = await get(`/both/${i}`, { "x-a": "alice" });
      const cookie = /^cb="[0-9a-f]{16}"; Max-Age=10; Path=\/; HttpOnly$/.test(r.setCookie ?? "")
        ? "cb"
        : "none";
      const group = r.backend === "b1" ? "svcb" : "svca";
      seen.set(group, (seen.get(group) ?? new Set()).add(cookie));
    }
    assert.deepEqual([...seen].map(([group, cookies]) => [group, [...cookies]]).sort(), [
      ["svca", ["cb"]],
      ["svcb", ["cb"]],
    ]);
  });

  it("a mirror to a ring-hash cluster draws its endpoint at random: Envoy's shadow has no hash policy", async () => {
    // The same key every time, which the mirror cluster's own rule would hash on (both mirror
    // endpoints get copies in 1 - 2^-19 of runs).
    for (let i = 0; i < 20; i++) {
      const r = await get(`/mirrored/${i}`, { "x-m": "alice", cookie: "cb=alice" });
      assert.equal(r.backend, "b1");
    }
    const until = Date.now() + 3000;
    while (mirrors[0]!.hits.count + mirrors[1]!.hits.count < 20 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const hits = mirrors.map((m) => m.hits.count);
    assert.equal(hits[0]! + hits[1]!, 20);
    assert.ok(hits[0]! > 0 && hits[1]! > 0, hits.join(", "));
  });
});
