import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { refusingPort, startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Waits until `hits` reaches `count` (at most 2 s), then a little longer for any extra. */
async function settle(hits: { count: number }, count: number): Promise<number> {
  for (let i = 0; i < 40 && hits.count < count; i++) await sleep(50);
  await sleep(100);
  return hits.count;
}

describe("mirrors under the mirror cluster's traffic policy", () => {
  const dir = new ConfigDir();
  let web: Backend;
  let shadow: Backend;
  let slowShadow: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    web = await startEchoBackend("web");
    shadow = await startEchoBackend("shadow");
    slowShadow = await startEchoBackend("slow-shadow");
    const refusing = await refusingPort();
    dir.write(
      "gateway.yaml",
      `apiVersion: networking.istio.io/v1
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
  - match: [{uri: {prefix: /ejecting/}}]
    route: [{destination: {host: web.internal}}]
    mirror: {host: ejecting.internal}
    mirrorPercentage: {value: 100}
  - match: [{uri: {prefix: /limited/}}]
    route: [{destination: {host: web.internal}}]
    mirror: {host: limited.internal}
    mirrorPercentage: {value: 100}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: istio-system}
spec:
  hosts: [web.internal]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: ${web.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ejecting, namespace: istio-system}
spec:
  hosts: [ejecting.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${shadow.port}}}
  - {address: 127.0.0.1, ports: {http: ${refusing}}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: limited, namespace: istio-system}
spec:
  hosts: [limited.internal]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: ${slowShadow.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ejecting, namespace: istio-system}
spec:
  host: ejecting.internal
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutiveGatewayErrors: 1, interval: 60s, baseEjectionTime: 60s, maxEjectionPercent: 100}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited, namespace: istio-system}
spec:
  host: limited.internal
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
`,
    );
    proxy = await startFileProxy([dir.dir], [8080], []);
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    await Promise.all([web.close(), shadow.close(), slowShadow.close()]);
    dir.dispose();
  });

  it("feeds the mirror cluster's outlier detection: the endpoint that refused a shadow is ejected", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await curl(["-s", "-H", "Host: shop.example", `http://127.0.0.1:${port}/ejecting/${i}`]);
      assert.equal(r.status, 200);
      // The shadow's outcome is known before the next request picks an endpoint.
      await sleep(100);
    }
    // Round robin over two endpoints: one shadow reaches the refusing port, then it is ejected.
    assert.equal(await settle(shadow.hits, 9), 9);
  });

  it("sends a shadow only when the mirror cluster's circuit breaker has room: no shadow waits", async () => {
    const answers = await Promise.all(
      [1, 2, 3].map((i) =>
        curl(["-s", "-H", "Host: shop.example", `http://127.0.0.1:${port}/limited/delay/300/${i}`]),
      ),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200],
    );
    assert.equal(await settle(slowShadow.hits, 1), 1);
  });
});
