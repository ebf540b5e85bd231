// DestinationRule traffic-policy state across configuration reloads, on real sockets: a cluster
// whose policy is unchanged keeps its circuit-breaker counts (requests in flight on the old
// configuration still count) and its ejections (for endpoints still there), as Envoy keeps a
// cluster across CDS and EDS updates; a changed policy starts afresh.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { CurlResponse } from "./support/curl";
import { curl, request } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/** An HTTP/1.1 backend answering `status` (after `/delay/<ms>` if asked) with `x-backend: <name>`. */
interface Backend {
  readonly name: string;
  readonly port: number;
  /** Requests served. */
  requests: number;
  /** Requests in flight now. */
  inFlight: number;
  /** The most requests in flight at once since the last reset. */
  maxInFlight: number;
  close(): Promise<void>;
}

async function startBackend(name: string, status: number): Promise<Backend> {
  const server = http.createServer((req, res) => {
    state.requests++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    req.resume();
    const delay = /\/delay\/(\d+)/.exec(req.url ?? "");
    setTimeout(
      () => {
        state.inFlight--;
        res.writeHead(status, { "x-backend": name, "content-length": "0" }).end();
      },
      delay === null ? 0 : Number(delay[1]),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const state: Backend = {
    name,
    port: (server.address() as net.AddressInfo).port,
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** What a configuration of the suite varies. */
interface Variant {
  /** The value of the `x-config` response header the `slow` route sets. */
  readonly header: string;
  /** `http1MaxPendingRequests` of the `slow` DestinationRule (`maxConnections` is 1). */
  readonly pending: number;
  /** The endpoints of the `od` ServiceEntry. */
  readonly od: readonly Backend[];
}

function yaml(v: Variant, slow: Backend): string {
  const endpoints = (backends: readonly Backend[]) =>
    backends.map((b) => `  - {address: 127.0.0.1, ports: {http: ${b.port}}}`).join("\n");
  const entry = (name: string, backends: readonly Backend[]) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
${endpoints(backends)}
`;
  return [
    `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}
`,
    entry("slow", [slow]),
    `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: slow, namespace: istio-system}
spec:
  hosts: [slow.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: slow.test}}]
    headers: {response: {set: {x-config: ${v.header}}}}
    retries: {attempts: 0}
`,
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow, namespace: istio-system}
spec:
  host: slow.test
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: ${v.pending}}
`,
    entry("od", v.od),
    `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: od, namespace: istio-system}
spec:
  hosts: [od.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: od.test}}]
    retries: {attempts: 0}
`,
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: od, namespace: istio-system}
spec:
  host: od.test
  trafficPolicy:
    # Round robin (not Istio's default, least request): which endpoint a request reaches is exact.
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}
`,
  ].join("\n---\n");
}

describe("traffic-policy state across configuration reloads", () => {
  const dir = new ConfigDir();
  const backends: Backend[] = [];
  const logs: string[] = [];
  const agent = new http.Agent({ keepAlive: false, maxSockets: 100 });
  let proxy: GatewayProxy;
  let file: string;
  let base: string;
  let slow: Backend;
  let good1: Backend;
  let good2: Backend;
  let bad: Backend;

  const get = (host: string, path: string): Promise<CurlResponse> =>
    request(`${base}${path}`, { host }, agent);
  /** `<status> <x-config>`, and `overloaded` when the proxy's circuit breaker answered. */
  const summary = (r: CurlResponse) =>
    `${r.status} ${r.headers["x-config"] ?? "-"}${r.headers["x-envoy-overloaded"] === "true" ? " overloaded" : ""}`;

  async function reload(v: Variant): Promise<void> {
    dir.write("policy.yaml", yaml(v, slow));
    assert.equal(await proxy.reload(), true, logs.join("\n"));
  }

  async function until(what: string, ok: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  }

  async function ejections(): Promise<number | undefined> {
    const text = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
    const line = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("envoy_cluster_outlier_detection_ejections_enforced_total{") &&
          l.includes('cluster_name="outbound|80||od.test"'),
      );
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  before(async () => {
    for (const [name, status] of [
      ["slow", 200],
      ["good-1", 200],
      ["good-2", 200],
      ["bad", 503],
    ] as const) {
      backends.push(await startBackend(name, status));
    }
    [slow, good1, good2, bad] = backends as [Backend, Backend, Backend, Backend];
    file = dir.write("policy.yaml", yaml({ header: "v1", pending: 1, od: [good1, bad] }, slow));
    proxy = await startFileProxy([file], [80], [], logs);
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
  });
  after(async () => {
    agent.destroy();
    await proxy.close();
    for (const b of backends) await b.close();
    dir.dispose();
  });

  it("a reload that changes only a route: the request in flight still holds the one connection, so of two more one waits and one gets 503 UO", async () => {
    const first = get("slow.example.com", "/delay/1500");
    await until("the first request reached the backend", () => slow.inFlight === 1);
    await reload({ header: "v2", pending: 1, od: [good1, bad] });
    const more = await Promise.all([0, 1].map(() => get("slow.example.com", "/delay/100")));
    // The request in flight finished on its own configuration (its route's header).
    assert.equal(summary(await first), "200 v1");
    assert.deepEqual(more.map(summary).sort(), ["200 v2", "503 v2 overloaded"]);
    assert.deepEqual([slow.requests, slow.maxInFlight], [2, 1]);
    // Every slot came back to the one counter: the limits hold as before, no more, no less.
    const again = await Promise.all([0, 1, 2].map(() => get("slow.example.com", "/delay/100")));
    assert.deepEqual(again.map(summary).sort(), ["200 v2", "200 v2", "503 v2 overloaded"]);
    assert.deepEqual([slow.requests, slow.maxInFlight], [4, 1]);
  });

  it("changed thresholds start afresh, as Envoy rebuilds the cluster: the request in flight no longer counts", async () => {
    slow.maxInFlight = 0;
    const first = get("slow.example.com", "/delay/1500");
    await until("the first request reached the backend", () => slow.inFlight === 1);
    await reload({ header: "v2", pending: 2, od: [good1, bad] });
    const more = await Promise.all([0, 1].map(() => get("slow.example.com", "/delay/300")));
    assert.equal(summary(await first), "200 v2");
    assert.deepEqual(more.map(summary), ["200 v2", "200 v2"]);
    // One of the two went at once, beside the request on the old cluster; the other waited for it.
    assert.deepEqual([slow.requests, slow.maxInFlight], [7, 2]);
  });

  it("an ejected endpoint stays ejected across a reload that adds an endpoint; one removed and added back starts healthy", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10 && bad.requests < 2; i++) statuses.push((await get("od.example.com", "/")).status);
    assert.equal(bad.requests, 2);
    assert.equal(await ejections(), 1);
    for (let i = 0; i < 4; i++) statuses.push((await get("od.example.com", "/")).status);
    assert.equal(bad.requests, 2);

    await reload({ header: "v2", pending: 2, od: [good1, bad, good2] });
    const after: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await get("od.example.com", "/");
      after.push(`${r.status} ${r.headers["x-backend"]}`);
    }
    assert.deepEqual([...new Set(after)].sort(), ["200 good-1", "200 good-2"]);
    assert.equal(bad.requests, 2);

    // Envoy forgets a removed host; back again, it is a new host, healthy until it fails again.
    await reload({ header: "v2", pending: 2, od: [good1, good2] });
    await reload({ header: "v2", pending: 2, od: [good1, bad, good2] });
    for (let i = 0; i < 6; i++) await get("od.example.com", "/");
    assert.equal(bad.requests, 4);
    assert.equal(await ejections(), 2);
  });
});
