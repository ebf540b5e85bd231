// DestinationRule traffic policies through the proxy on real sockets, from Istio YAML: circuit
// breaking (Istio's "Circuit Breaking" task), connection settings, useClientProtocol, outlier
// detection and consistent hashing.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { jsonLinesSink } from "./support/access-log-sinks";
import { startTcpEcho } from "./support/backends";
import { tcpServiceYaml } from "./support/istio-yaml";
import type { CountingBackend } from "./support/counting-backend";
import { startCountingBackend } from "./support/counting-backend";
import type { CurlResponse } from "./support/curl";
import { curl, request } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/**
 * A backend answering 503 to everything; the first `gate` requests are held until all of them
 * have arrived, so their answers reach the proxy together.
 */
async function startGateBackend(gate: number): Promise<CountingBackend> {
  const held: http.ServerResponse[] = [];
  const answer = (res: http.ServerResponse) => res.writeHead(503, { "content-length": "0" }).end();
  const server = http.createServer((req, res) => {
    state.requests++;
    req.resume();
    if (state.requests > gate) return answer(res);
    held.push(res);
    if (held.length === gate) for (const r of held.splice(0)) answer(r);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const state: CountingBackend = {
    name: "gate",
    port: (server.address() as net.AddressInfo).port,
    requests: 0,
    connections: 0,
    closed: 0,
    maxInFlight: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** A ServiceEntry `<name>.test` (port 80, HTTP) with one static endpoint per backend, and a VirtualService to it. */
function service(name: string, backends: CountingBackend[], protocol = "HTTP", retries = ""): string {
  const endpoints = backends
    .map(
      (b) =>
        `  - address: 127.0.0.1\n    ports:\n      http: ${b.port}\n    labels:\n      backend: ${b.name}`,
    )
    .join("\n");
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
  namespace: istio-system
spec:
  hosts: [${name}.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: ${protocol}
  endpoints:
${endpoints}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: istio-system
spec:
  hosts: [${name}.example.com]
  gateways: [gw]
  http:
  - route:
    - destination:
        host: ${name}.test
${retries}
`;
}

/** A DestinationRule for `<name>.test` with `trafficPolicy` (YAML, indented under it). */
function rule(name: string, trafficPolicy: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: istio-system
spec:
  host: ${name}.test
  trafficPolicy:
${trafficPolicy}
`;
}

const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http2
      protocol: HTTP2
    hosts: ["*"]
`;

const NO_RETRIES = "    retries:\n      attempts: 0";

describe("DestinationRule traffic policies through the proxy", () => {
  const dir = new ConfigDir();
  const backends: CountingBackend[] = [];
  const access: Record<string, unknown>[] = [];
  let proxy: GatewayProxy;
  let base: string;
  let status: string;
  // One keep-alive-free agent with room for every concurrent client.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 100 });

  const b = async (name: string, code = 200) => {
    const x = await startCountingBackend(name, code);
    backends.push(x);
    return x;
  };
  const get = (host: string, path: string, headers: Record<string, string> = {}): Promise<CurlResponse> =>
    request(`${base}${path}`, { host, ...headers }, agent);

  let cb: CountingBackend;
  let roomy: CountingBackend;
  let queued: CountingBackend;
  let idle: CountingBackend;
  let aged: CountingBackend;
  let client: CountingBackend;
  let odGood: CountingBackend;
  let odBad: CountingBackend;
  const allBad: CountingBackend[] = [];
  const panicBad: CountingBackend[] = [];
  const capped: CountingBackend[] = [];
  const subsets: CountingBackend[] = [];
  let gate: CountingBackend;
  const hashed: CountingBackend[] = [];

  before(async () => {
    cb = await b("cb");
    roomy = await b("roomy");
    queued = await b("queued");
    idle = await b("idle");
    aged = await b("aged");
    client = await b("client");
    odGood = await b("od-good");
    odBad = await b("od-bad", 503);
    allBad.push(await b("all-bad-1", 503), await b("all-bad-2", 503));
    panicBad.push(await b("panic-1", 503), await b("panic-2", 503));
    capped.push(await b("capped-good"), await b("capped-bad", 503));
    subsets.push(await b("sub-a"), await b("sub-b"));
    gate = await startGateBackend(2);
    backends.push(gate);
    hashed.push(await b("h1"), await b("h2"), await b("h3"));
    // Round robin (not Istio's default, least request) makes which endpoint gets a request exact.
    const outlier = (consecutive5xxErrors: number, fields: Record<string, string | number>) =>
      "    loadBalancer:\n      simple: ROUND_ROBIN\n" +
      `    outlierDetection:\n      consecutive5xxErrors: ${consecutive5xxErrors}\n` +
      Object.entries(fields)
        .map(([k, v]) => `      ${k}: ${v}`)
        .join("\n");
    const yaml = [
      GATEWAY,
      // Istio's circuit-breaking task: one connection, one pending request, one request per connection.
      service("cb", [cb]),
      rule(
        "cb",
        "    connectionPool:\n      tcp:\n        maxConnections: 1\n      http:\n        http1MaxPendingRequests: 1\n        maxRequestsPerConnection: 1",
      ),
      service("roomy", [roomy]),
      rule(
        "roomy",
        "    connectionPool:\n      tcp:\n        maxConnections: 10\n      http:\n        http1MaxPendingRequests: 1",
      ),
      service("queued", [queued]),
      rule(
        "queued",
        "    connectionPool:\n      tcp:\n        maxConnections: 1\n      http:\n        http1MaxPendingRequests: 10",
      ),
      service("idle", [idle]),
      rule("idle", "    connectionPool:\n      http:\n        idleTimeout: 300ms"),
      service("aged", [aged]),
      rule("aged", "    connectionPool:\n      tcp:\n        maxConnectionDuration: 300ms"),
      service("client", [client], "HTTP"),
      rule("client", "    connectionPool:\n      http:\n        useClientProtocol: true"),
      service("od", [odGood, odBad], "HTTP", NO_RETRIES),
      rule("od", outlier(3, { interval: "50ms", baseEjectionTime: "1s", maxEjectionPercent: 100 })),
      service("allbad", allBad, "HTTP", NO_RETRIES),
      rule("allbad", outlier(1, { interval: "1s", baseEjectionTime: "30s", maxEjectionPercent: 100 })),
      service("panic", panicBad, "HTTP", NO_RETRIES),
      rule(
        "panic",
        outlier(1, {
          interval: "1s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 100,
          minHealthPercent: 50,
        }),
      ),
      // Two subsets under one rule-level pool: each subset is a cluster with its own counts.
      service("subsets", subsets).replace(
        "  - route:\n    - destination:\n        host: subsets.test\n",
        [
          "  - match: [{headers: {x-subset: {exact: a}}}]",
          "    route: [{destination: {host: subsets.test, subset: a}}]",
          "  - route: [{destination: {host: subsets.test, subset: b}}]",
          "",
        ].join("\n"),
      ),
      rule(
        "subsets",
        "    connectionPool:\n      tcp:\n        maxConnections: 1\n      http:\n        http1MaxPendingRequests: 1",
      ) +
        "  subsets:\n  - name: a\n    labels: {backend: sub-a}\n  - name: b\n    labels: {backend: sub-b}\n",
      service(
        "retrybudget",
        [gate],
        "HTTP",
        "    retries:\n      attempts: 1\n      retryOn: 5xx\n      backoff: 500ms",
      ),
      rule("retrybudget", "    connectionPool:\n      http:\n        maxRetries: 1"),
      service("capped", capped, "HTTP", NO_RETRIES),
      rule("capped", outlier(1, { interval: "1s", baseEjectionTime: "30s" })),
      service("header", hashed),
      rule("header", "    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user"),
      service("cookie", hashed),
      rule(
        "cookie",
        "    loadBalancer:\n      consistentHash:\n        httpCookie:\n          name: user\n          path: /\n          ttl: 60s",
      ),
      service("sourceip", hashed),
      rule("sourceip", "    loadBalancer:\n      consistentHash:\n        useSourceIp: true"),
      service("query", hashed),
      rule("query", "    loadBalancer:\n      consistentHash:\n        httpQueryParameterName: u"),
    ].join("\n---\n");
    const file = dir.write("traffic-policy.yaml", yaml);
    const logs: string[] = [];
    proxy = await startFileProxy([file], [80], [], logs, jsonLinesSink(access));
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
    status = `http://127.0.0.1:${proxy.statusPort}`;
  });
  after(async () => {
    agent.destroy();
    await proxy.close();
    for (const x of backends) await x.close();
    dir.dispose();
  });

  /** The value of one sample in /metrics (the whole line's labels given), or undefined. */
  async function metric(name: string, labels: string): Promise<number | undefined> {
    const text = (await curl([`${status}/metrics`])).body;
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  /** Waits until the access log has `n` lines for `authority`. */
  async function accessLines(authority: string, n: number): Promise<Record<string, unknown>[]> {
    for (let i = 0; i < 100; i++) {
      const lines = access.filter((l) => l["authority"] === authority);
      if (lines.length >= n) return lines;
      await new Promise((r) => setTimeout(r, 50));
    }
    return access.filter((l) => l["authority"] === authority);
  }

  describe("connectionPool: circuit breaking", () => {
    it("maxConnections 1 + http1MaxPendingRequests 1, five clients at once: 2 served, 3 answered 503 UO", async () => {
      const answers = await Promise.all([0, 1, 2, 3, 4].map(() => get("cb.example.com", "/delay/400")));
      const served = answers.filter((r) => r.status === 200);
      const overflowed = answers.filter((r) => r.status === 503);
      assert.deepEqual([served.length, overflowed.length], [2, 3]);
      for (const r of overflowed) {
        assert.deepEqual(
          [r.body, r.headers["x-envoy-overloaded"], r.headers["x-igw-error-code"], r.headers["x-backend"]],
          [
            "upstream connect error or disconnect/reset before headers. reset reason: overflow",
            "true",
            "IGW_ERR_UPSTREAM_OVERFLOW",
            undefined,
          ],
        );
      }
      // One request at a time, each on its own connection (maxRequestsPerConnection 1).
      assert.deepEqual([cb.requests, cb.maxInFlight, cb.connections], [2, 1, 2]);
      const lines = await accessLines("cb.example.com", 5);
      assert.deepEqual(
        lines.map((l) => `${String(l["response_code"])} ${String(l["response_flags"])}`).sort(),
        ["200 -", "200 -", "503 UO", "503 UO", "503 UO"],
      );
      assert.equal(
        await metric(
          "istio_requests_total",
          'destination_service="cb.test",destination_service_name="cb.test",destination_service_namespace="istio-system",destination_cluster="unknown",destination_canonical_service="cb.test",destination_canonical_revision="latest",request_protocol="http",response_flags="UO",connection_security_policy="unknown",response_code="503"',
        ),
        3,
      );
      assert.equal(
        await metric("envoy_cluster_upstream_rq_pending_overflow", 'cluster_name="outbound|80||cb.test"'),
        3,
      );
    });

    it("limits are per cluster: each subset admits one request and queues one", async () => {
      const answers = await Promise.all(
        ["a", "a", "a", "b", "b", "b"].map((x) =>
          get("subsets.example.com", "/delay/400", { "x-subset": x }),
        ),
      );
      assert.deepEqual(answers.map((r) => `${r.status} ${r.headers["x-backend"] ?? "-"}`).sort(), [
        "200 sub-a",
        "200 sub-a",
        "200 sub-b",
        "200 sub-b",
        "503 -",
        "503 -",
      ]);
      assert.deepEqual([subsets[0]!.maxInFlight, subsets[1]!.maxInFlight], [1, 1]);
    });

    it("maxRetries 1: of two requests failing at once, one is retried and the other answered as is", async () => {
      const answers = await Promise.all([0, 1].map(() => get("retrybudget.example.com", "/")));
      assert.deepEqual(
        answers.map((r) => r.status),
        [503, 503],
      );
      assert.equal(gate.requests, 3);
      assert.equal(
        await metric(
          "envoy_cluster_upstream_rq_retry_overflow",
          'cluster_name="outbound|80||retrybudget.test"',
        ),
        1,
      );
    });

    it("limits not reached: five clients at once are all served", async () => {
      const answers = await Promise.all([0, 1, 2, 3, 4].map(() => get("roomy.example.com", "/delay/200")));
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200, 200, 200, 200],
      );
      assert.equal(roomy.maxInFlight, 5);
    });

    it("requests beyond maxConnections wait in the pending queue and go one at a time", async () => {
      const answers = await Promise.all([0, 1, 2, 3].map(() => get("queued.example.com", "/delay/100")));
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200, 200, 200],
      );
      assert.deepEqual([queued.requests, queued.maxInFlight], [4, 1]);
    });

    it("http.idleTimeout closes an idle upstream connection", async () => {
      assert.equal((await get("idle.example.com", "/")).status, 200);
      assert.deepEqual([idle.connections, idle.closed], [1, 0]);
      await new Promise((r) => setTimeout(r, 900));
      assert.deepEqual([idle.connections, idle.closed], [1, 1]);
    });

    it("tcp.maxConnectionDuration retires an HTTP upstream connection at its age", async () => {
      assert.equal((await get("aged.example.com", "/")).status, 200);
      assert.equal((await get("aged.example.com", "/")).status, 200);
      assert.deepEqual([aged.connections, aged.closed], [1, 0]);
      await new Promise((r) => setTimeout(r, 700));
      assert.deepEqual([aged.connections, aged.closed], [1, 1]);
      assert.equal((await get("aged.example.com", "/")).status, 200);
      assert.equal(aged.connections, 2);
    });

    it("the config dump shows the cluster's thresholds and connection settings", async () => {
      const dump = JSON.parse((await curl([`${status}/config_dump`])).body) as {
        clusters: { name: string; circuitBreakers?: unknown; httpProtocolOptions?: unknown }[];
      };
      const c = dump.clusters.find((x) => x.name === "outbound|80||cb.test");
      assert.deepEqual(
        [c?.circuitBreakers, c?.httpProtocolOptions],
        [
          { maxConnections: 1, maxPendingRequests: 1, maxRequests: 4294967295, maxRetries: 4294967295 },
          {
            idleTimeoutMs: 3600000,
            maxRequestsPerConnection: 1,
            maxConcurrentStreams: 0,
            maxConnectionDurationMs: 0,
          },
        ],
      );
    });
  });

  describe("connectionPool.http.useClientProtocol", () => {
    it("an HTTP/1.1 client's request goes upstream over HTTP/1.1, an HTTP/2 client's over HTTP/2", async () => {
      const h1 = await curl(["--http1.1", "-H", "Host: client.example.com", `${base}/`]);
      const h2 = await curl(["--http2-prior-knowledge", "-H", "Host: client.example.com", `${base}/`]);
      assert.deepEqual(
        [
          h1.status,
          h1.httpVersion,
          h1.headers["x-upstream-protocol"],
          h2.status,
          h2.httpVersion,
          h2.headers["x-upstream-protocol"],
        ],
        [200, "1.1", "1.1", 200, "2", "2.0"],
      );
    });
  });

  describe("outlierDetection", () => {
    it("an endpoint answering 503 is ejected after consecutive5xxErrors and returns after baseEjectionTime", async () => {
      const first: number[] = [];
      for (let i = 0; i < 20; i++) first.push((await get("od.example.com", "/")).status);
      // Round robin gives the bad endpoint every other request until its third 503 ejects it.
      assert.deepEqual([first.filter((s) => s === 503).length, odBad.requests, odGood.requests], [3, 3, 17]);
      assert.deepEqual(first.slice(6), Array(14).fill(200));
      assert.equal(
        await metric(
          "envoy_cluster_outlier_detection_ejections_enforced_total",
          'cluster_name="outbound|80||od.test"',
        ),
        1,
      );
      await new Promise((r) => setTimeout(r, 1200));
      for (let i = 0; i < 4; i++) await get("od.example.com", "/");
      assert.equal(odBad.requests, 5);
    });

    it("the default maxEjectionPercent (10) ejects none of two endpoints: 1 of 2 is 50%", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await get("capped.example.com", "/")).status);
      assert.deepEqual([statuses.filter((s) => s === 503).length, capped[1]!.requests], [5, 5]);
      assert.equal(
        await metric(
          "envoy_cluster_outlier_detection_ejections_enforced_total",
          'cluster_name="outbound|80||capped.test"',
        ),
        0,
      );
    });

    it("every endpoint ejected and minHealthPercent 0 (Istio's default): 503 no healthy upstream", async () => {
      const answers: CurlResponse[] = [];
      for (let i = 0; i < 3; i++) answers.push(await get("allbad.example.com", "/"));
      assert.deepEqual(
        answers.map((r) => [r.status, r.headers["x-backend"] ?? r.body]),
        [
          [503, answers[0]!.headers["x-backend"]],
          [503, answers[1]!.headers["x-backend"]],
          [503, "no healthy upstream"],
        ],
      );
      assert.deepEqual(
        answers
          .slice(0, 2)
          .map((r) => r.headers["x-backend"])
          .sort(),
        ["all-bad-1", "all-bad-2"],
      );
      const lines = await accessLines("allbad.example.com", 3);
      assert.equal(lines[2]?.["response_flags"], "UH");
    });

    it("below minHealthPercent the proxy panics and uses every endpoint, ejected or not", async () => {
      const answers: CurlResponse[] = [];
      for (let i = 0; i < 4; i++) answers.push(await get("panic.example.com", "/"));
      assert.deepEqual(
        answers.map((r) => r.headers["x-backend"] !== undefined),
        [true, true, true, true],
      );
      assert.equal(panicBad[0]!.requests + panicBad[1]!.requests, 4);
    });
  });

  describe("loadBalancer.consistentHash", () => {
    /** Which backend answered each of `n` requests. */
    async function backendsOf(n: number, host: string, path: string, headers: Record<string, string> = {}) {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await get(host, path, headers)).headers["x-backend"] ?? "");
      return out;
    }

    it("httpHeaderName: one value, one backend across 50 requests; different values spread over all backends", async () => {
      const alice = await backendsOf(50, "header.example.com", "/", { "x-user": "alice" });
      assert.equal(new Set(alice).size, 1);
      const spread = new Set<string>();
      for (let u = 0; u < 30; u++)
        spread.add((await backendsOf(1, "header.example.com", "/", { "x-user": `user-${u}` }))[0]!);
      assert.deepEqual([...spread].sort(), ["h1", "h2", "h3"]);
    });

    it("httpCookie with ttl: the proxy sets the cookie, and requests that carry it stick to one backend", async () => {
      const first = await get("cookie.example.com", "/");
      const setCookie = first.headers["set-cookie"] ?? "";
      assert.match(setCookie, /^user="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
      const cookie = setCookie.slice(0, setCookie.indexOf(";"));
      const later = await backendsOf(20, "cookie.example.com", "/", { cookie });
      assert.deepEqual(later, Array(20).fill(first.headers["x-backend"]));
      const again = await get("cookie.example.com", "/", { cookie });
      assert.equal(again.headers["set-cookie"], undefined);
    });

    it("useSourceIp: one client, one backend", async () => {
      const seen = await backendsOf(20, "sourceip.example.com", "/");
      assert.equal(new Set(seen).size, 1);
    });

    it("httpQueryParameterName: one value, one backend; values spread", async () => {
      const bob = await backendsOf(20, "query.example.com", "/?u=bob&x=1");
      assert.equal(new Set(bob).size, 1);
      const spread = new Set<string>();
      for (let u = 0; u < 30; u++) spread.add((await backendsOf(1, "query.example.com", `/?u=${u}`))[0]!);
      assert.deepEqual([...spread].sort(), ["h1", "h2", "h3"]);
    });
  });
});

describe("DestinationRule connectionPool.tcp for TCP proxying", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  const echoes: Backend[] = [];
  let proxy: GatewayProxy;
  const ports: Record<string, number> = {};

  /** The weighted rule of port 31403: half to first.test, half to second.test. */
  const WEIGHTED_ROUTE =
    "route: [{destination: {host: first.test, port: {number: 9000}}, weight: 50}, " +
    "{destination: {host: second.test, port: {number: 9000}}, weight: 50}]";

  /** A Gateway TCP server on `port`, routed to `<name>.test` (an echo backend) with `tcp` settings. */
  function tcpService(name: string, port: number, backendPort: number, tcp: string): string {
    return tcpServiceYaml(name, port, [backendPort], `connectionPool: {tcp: {${tcp}}}`);
  }

  before(async () => {
    for (const name of ["limited", "idle", "lifetime", "first", "second"])
      echoes.push(await startTcpEcho(`${name}:`));
    // A port nothing listens on: the refused destination's.
    const closed = await startTcpEcho("closed:");
    const refusedPort = closed.port;
    await closed.close();
    const yaml = [
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 31400, name: tcp-limited, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31401, name: tcp-idle, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31402, name: tcp-lifetime, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31403, name: tcp-weighted, protocol: TCP}, hosts: ["*"]}
  - {port: {number: 31404, name: tcp-refused, protocol: TCP}, hosts: ["*"]}
`,
      tcpService("limited", 31400, echoes[0]!.port, "maxConnections: 1"),
      tcpService("idle", 31401, echoes[1]!.port, "idleTimeout: 200ms"),
      tcpService("lifetime", 31402, echoes[2]!.port, "maxConnectionDuration: 300ms"),
      // Two destinations, the first with an idle timeout and the second with none: Istio's one
      // tcp_proxy takes the first's for both.
      tcpService("first", 31403, echoes[3]!.port, "idleTimeout: 200ms").replace(
        "route: [{destination: {host: first.test, port: {number: 9000}}}]",
        WEIGHTED_ROUTE,
      ),
      tcpServiceYaml("second", 31499, [echoes[4]!.port], "loadBalancer: {simple: ROUND_ROBIN}"),
      tcpServiceYaml("refused", 31404, [refusedPort], "loadBalancer: {simple: ROUND_ROBIN}"),
    ].join("\n---\n");
    const file = dir.write("tcp.yaml", yaml);
    const served = [31400, 31401, 31402, 31403, 31404];
    proxy = await startFileProxy([file], served, [], [], jsonLinesSink(access));
    for (const p of served) ports[p] = proxy.boundPorts().get(p)!;
  });
  after(async () => {
    await proxy.close();
    for (const e of echoes) await e.close();
    dir.dispose();
  });

  /** Connects, sends `text`, and resolves with what came back and how long the connection lived. */
  function talk(port: number, text: string, holdMs: number): Promise<{ data: string; ms: number }> {
    return new Promise((resolve) => {
      const start = Date.now();
      let data = "";
      const s = net.connect(port, "127.0.0.1", () => s.write(text));
      s.on("data", (d: Buffer) => (data += d.toString()));
      s.on("error", () => {});
      const hold = setTimeout(() => s.end(), holdMs);
      s.on("close", () => {
        clearTimeout(hold);
        resolve({ data, ms: Date.now() - start });
      });
    });
  }

  const flagsOf = async (filterChain: string, n: number) => {
    for (let i = 0; i < 100 && access.filter((l) => l["filter_chain"] === filterChain).length < n; i++)
      await new Promise((r) => setTimeout(r, 50));
    return access.filter((l) => l["filter_chain"] === filterChain).map((l) => l["response_flags"]);
  };

  it("maxConnections 1: a second connection while the first is open is closed at once, flag UO", async () => {
    const first = talk(ports[31400]!, "a", 500);
    await new Promise((r) => setTimeout(r, 150));
    const second = await talk(ports[31400]!, "b", 500);
    assert.equal(second.data, "");
    assert.equal((await first).data, "limited:a");
    const third = await talk(ports[31400]!, "c", 100);
    assert.equal(third.data, "limited:c");
    assert.deepEqual((await flagsOf("tcp.31400", 3)).sort(), ["-", "-", "UO"]);
  });

  it("tcp.idleTimeout closes a connection with no bytes either way", async () => {
    const r = await talk(ports[31401]!, "x", 5000);
    assert.equal(r.data, "idle:x");
    assert.ok(r.ms >= 150 && r.ms < 2000, `closed after ${r.ms} ms`);
  });

  it("a weighted rule's connections all take its first destination's tcp settings, as Istio's one tcp_proxy", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await talk(ports[31403]!, "w", 5000);
      assert.ok(r.ms >= 150 && r.ms < 2000, `${r.data} closed after ${r.ms} ms`);
      seen.add(r.data);
    }
    assert.deepEqual([...seen].sort(), ["first:w", "second:w"]);
  });

  it("a refused TCP upstream is logged with its transport failure reason, as Envoy's tcp_proxy logs it", async () => {
    const r = await talk(ports[31404]!, "r", 2000);
    assert.equal(r.data, "");
    await flagsOf("tcp.31404", 1);
    const line = access.find((l) => l["filter_chain"] === "tcp.31404")!;
    assert.deepEqual(
      [line["response_flags"], line["upstream_transport_failure_reason"]],
      ["UF,URX", "delayed connect error: Connection refused"],
    );
  });

  it("tcp.maxConnectionDuration closes a connection still in use, flag DT", async () => {
    const r = await talk(ports[31402]!, "y", 5000);
    assert.equal(r.data, "lifetime:y");
    assert.ok(r.ms >= 250 && r.ms < 2000, `closed after ${r.ms} ms`);
    assert.deepEqual(await flagsOf("tcp.31402", 1), ["DT"]);
  });
});
