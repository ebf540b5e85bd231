/**
 * Upstream connections of endpoints a reload drops, on real sockets: as Envoy drains the
 * connections of a removed host, the proxy closes its idle ones at once and a busy one when its
 * request ends, while the endpoints still configured keep theirs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { CountingBackend } from "./support/counting-backend";
import { startCountingBackend } from "./support/counting-backend";
import { request } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

function config(endpoints: readonly CountingBackend[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: app.test}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: app, namespace: istio-system}
spec:
  hosts: [app.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
${endpoints.map((b) => `  - {address: 127.0.0.1, ports: {http: ${b.port}}}`).join("\n")}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: app, namespace: istio-system}
spec:
  host: app.test
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("upstream connections of endpoints a reload drops", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  let a: CountingBackend;
  let b: CountingBackend;
  let proxy: GatewayProxy;
  let base: string;

  before(async () => {
    a = await startCountingBackend("a");
    b = await startCountingBackend("b");
    const path = dir.write("config.yaml", config([a, b]));
    proxy = await startFileProxy([path], [8080], [], logs);
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
  });
  after(async () => {
    await proxy.close();
    await a.close();
    await b.close();
    dir.dispose();
  });

  it("closes the idle connection of a dropped endpoint at once, a busy one when its request ends, and keeps the others", async () => {
    // Round robin: a slow request on each endpoint, then a quick one on each, which needs a
    // connection of its own: each endpoint has one busy and one idle connection.
    const slow = [request(`${base}/delay/400`, {}), request(`${base}/delay/400`, {})];
    await sleep(50);
    const quick = [await request(`${base}/`, {}), await request(`${base}/`, {})];
    assert.deepEqual(quick.map((r) => r.body).sort(), ["a 200\n", "b 200\n"]);
    assert.deepEqual([a.connections, b.connections], [2, 2]);
    dir.write("config.yaml", config([b]));
    assert.equal(await proxy.reload(), true, logs.join("\n"));
    await sleep(100);
    // a's idle connection is closed; its busy one is still serving; b keeps both.
    assert.deepEqual([a.closed, b.closed], [1, 0]);
    assert.deepEqual((await Promise.all(slow)).map((r) => [r.status, r.body]).sort(), [
      [200, "a 200\n"],
      [200, "b 200\n"],
    ]);
    await sleep(100);
    assert.deepEqual([a.closed, b.closed], [2, 0]);
    // The new configuration sends everything to b, on the connections it kept.
    const after = [await request(`${base}/`, {}), await request(`${base}/`, {})];
    assert.deepEqual(
      after.map((r) => r.body),
      ["b 200\n", "b 200\n"],
    );
    assert.deepEqual([a.connections, b.connections, b.closed], [2, 2, 0]);
  });
});
