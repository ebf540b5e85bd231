/**
 * Which endpoint a retry goes to. Istio gives every route's retry policy Envoy's `previous_hosts`
 * predicate: a retry picks again (up to five times) while it picks an endpoint already tried, so
 * with one endpoint refusing connections and one serving, every request gets through, whatever
 * the load balancer drew first. Istio leaves the predicate out when the destination hashes
 * requests to endpoints: there a retry stays with the hashed endpoint, unless the rule sets
 * `retryIgnorePreviousHosts: true`, and then it moves along the ring.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { refusingPort, startEchoBackend } from "./support/backends";
import { request } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Requests per case: with a retry as likely to draw the refusing endpoint, 1 - (7/8)^40 of runs would fail. */
const REQUESTS = 40;

describe("retries go to endpoints not tried yet, as Istio's retry host predicate sends them", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let live: Backend;
  let livePort: number;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    live = await startEchoBackend("live");
    livePort = live.port;
    const refused = await refusingPort();
    const endpoints = [{ port: refused }, { port: livePort }];
    const destinationRule = (name: string, loadBalancer: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: istio-system}
spec:
  host: ${name}.internal
  trafficPolicy: {loadBalancer: ${loadBalancer}}
`;
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /random}}]
    route: [{destination: {host: random.internal}}]
  - match: [{uri: {prefix: /hashed-moving}}]
    retries: {attempts: 2, retryOn: connect-failure, retryIgnorePreviousHosts: true}
    route: [{destination: {host: hashed.internal}}]
  - match: [{uri: {prefix: /hashed}}]
    route: [{destination: {host: hashed.internal}}]
`,
        staticServiceEntry("random", endpoints),
        staticServiceEntry("hashed", endpoints),
        destinationRule("random", "{simple: RANDOM}"),
        destinationRule("hashed", "{consistentHash: {httpHeaderName: x-user}}"),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    await live.close();
    dir.dispose();
  });

  /** The status and answering backend of a GET of `path` (with `x-user: user`, when given). */
  async function get(path: string, user?: string): Promise<[number, string]> {
    const headers: Record<string, string> = { host: "shop.example" };
    if (user !== undefined) headers["x-user"] = user;
    const r = await request(`http://127.0.0.1:${port}${path}`, headers);
    return [r.status, r.status === 200 ? (JSON.parse(r.body) as Echo).name : r.body];
  }

  it("retries a refused connection on the other endpoint, whichever the first pick was", async () => {
    const outcomes = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) outcomes.add((await get(`/random/${i}`)).join(" "));
    assert.deepEqual([...outcomes], ["200 live"]);
    // Some first picks were the refusing endpoint: those requests were retried, flagged nowhere
    // (a retry that succeeds is not a failure), and the log names the endpoint that answered.
    const lines = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => loggedLine(access, `/random/${i}`)),
    );
    assert.deepEqual(
      [...new Set(lines.map((l) => `${String(l["response_flags"])} ${String(l["upstream_host"])}`))],
      [`- 127.0.0.1:${livePort}`],
    );
  });

  /** Each user's outcome through `/hashed`: the endpoint its header hashes to decides it. */
  const byUser = new Map<string, string>();

  it("keeps a retry on the hashed endpoint, as Istio does for consistent hashing", async () => {
    // Users on the refusing endpoint fail every time, after retries to the same endpoint.
    for (let u = 0; u < 12; u++) {
      const user = `user-${u}`;
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++)
        seen.add((await get(`/hashed/${u}/${i}`, user)).join(" ").split(" ", 2).join(" "));
      assert.equal(seen.size, 1, `${user} got ${[...seen].join(", ")}`);
      byUser.set(user, [...seen][0]!);
    }
    // With twelve users on two endpoints, both outcomes come up (all on one: 2 in 4,096 runs).
    assert.deepEqual([...new Set(byUser.values())].sort(), ["200 live", "503 upstream"]);
    const failed = [...byUser].find(([, outcome]) => outcome !== "200 live")![0];
    const line = await loggedLine(access, `/hashed/${failed.slice("user-".length)}/0`);
    assert.deepEqual([line["response_code"], line["response_flags"]], [503, "URX,UF"]);
  });

  it("moves a retry along the ring when the rule sets retryIgnorePreviousHosts", async () => {
    const moved = new Set<string>();
    for (const [user, outcome] of byUser) {
      const now = (await get(`/hashed-moving/${user}`, user)).join(" ").split(" ", 2).join(" ");
      // A user on the serving endpoint is not retried at all.
      if (outcome === "200 live") assert.equal(now, "200 live", user);
      else moved.add(now);
    }
    // A retry takes the next entries of the ring, up to five: for a user whose next five are the
    // refusing endpoint's too (1 in 32, as on Envoy's ring) it still fails. Not for all of them.
    assert.ok(moved.has("200 live"), [...moved].join(", "));
  });
});
