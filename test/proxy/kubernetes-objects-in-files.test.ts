/**
 * Whole files as Istio's samples write them, Deployments, ServiceAccounts and Services beside the
 * Gateway and VirtualService, through the proxy: the Services stand for the destinations they
 * name, as they do for Istio's gateways.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import type { Backend } from "./support/backends";
import { startEchoBackend, startGrpcBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

describe("Services beside the Gateway in the configuration files", () => {
  const dir = new ConfigDir();
  const backends: Backend[] = [];
  const entries: Record<string, unknown>[] = [];
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    const helloworld = await startEchoBackend("helloworld");
    const grpc = await startGrpcBackend();
    backends.push(helloworld, grpc);
    // samples/helloworld/helloworld.yaml and helloworld-gateway.yaml, with the destination's port
    // left out, and a gRPC Service whose one port is named grpc.
    const file = dir.write(
      "helloworld.yaml",
      `apiVersion: v1
kind: Service
metadata:
  name: helloworld
  labels: {app: helloworld, service: helloworld}
spec:
  ports:
  - port: 5000
    name: http
  selector: {app: helloworld}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloworld-v1
  labels: {app: helloworld, version: v1}
spec:
  replicas: 1
  selector:
    matchLabels: {app: helloworld, version: v1}
  template:
    metadata:
      labels: {app: helloworld, version: v1}
    spec:
      containers:
      - name: helloworld
        image: docker.io/istio/examples-helloworld-v1:1.0
        ports:
        - containerPort: 5000
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: greeter}
---
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec:
  ports:
  - port: 50051
    name: grpc
  selector: {app: greeter}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: helloworld-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts:
  - "*"
  gateways:
  - helloworld-gateway
  http:
  - match:
    - uri:
        exact: /hello
    route:
    - destination:
        host: helloworld
  - match:
    - uri:
        prefix: /greeter.Greeter/
    route:
    - destination:
        host: greeter
`,
    );
    proxy = await startFileProxy(
      [file],
      [80],
      [
        { host: "helloworld", ip: "127.0.0.1", port: helloworld.port },
        { host: "greeter", ip: "127.0.0.1", port: grpc.port },
      ],
      [],
      jsonLinesSink(entries),
    );
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    for (const b of backends) await b.close();
    dir.dispose();
  });

  // Pilot routes a destination without port.number to the Service's port when it has only one.
  it("sends a destination without port to the one port of its Service", async () => {
    const r = await curl([`http://127.0.0.1:${port}/hello`]);
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "helloworld"]);
    const e = await loggedLine(entries, "/hello");
    assert.equal(e["upstream_cluster"], "outbound|5000||helloworld.default.svc.cluster.local");
  });

  // A Service port named grpc is GRPC for Istio: HTTP/2 to the endpoints, whatever the client speaks.
  it("speaks HTTP/2 upstream to a Service port named grpc", async () => {
    const r = await curl([
      "--http1.1",
      "-H",
      "content-type: application/grpc",
      "--data-binary",
      "hi",
      `http://127.0.0.1:${port}/greeter.Greeter/SayHello`,
    ]);
    assert.deepEqual([r.status, r.headers["x-path"]], [200, "/greeter.Greeter/SayHello"]);
    const e = await loggedLine(entries, "/greeter.Greeter/SayHello");
    assert.equal(e["upstream_cluster"], "outbound|50051||greeter.default.svc.cluster.local");
  });
});

// Istio's samples define some objects twice (bookinfo's destination-rule-all.yaml and
// destination-rule-all-mtls.yaml both hold DestinationRule productpage): applied together, the
// later definition is what the cluster keeps.
describe("an object defined again in a later file", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  let backend: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    backend = await startEchoBackend("httpbin");
    dir.write(
      "a-gateway.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - route: [{destination: {host: httpbin, port: {number: 8000}}}]
`,
    );
    dir.write(
      "b-destination-rule-tls.yaml",
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy: {tls: {mode: SIMPLE}}
`,
    );
    dir.write(
      "c-destination-rule.yaml",
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
`,
    );
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: backend.port }],
      logs,
    );
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    await backend.close();
    dir.dispose();
  });

  it("uses the later definition, and says so", async () => {
    // With the earlier rule's upstream TLS, the plain-text backend would fail the handshake (503 UF).
    const r = await curl([`http://127.0.0.1:${port}/get`]);
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "httpbin"]);
    assert.deepEqual(
      logs.filter((l) => l.includes("IGW0101")),
      [
        `Warning [IGW0101] (DestinationRule default/httpbin ${dir.dir}/b-destination-rule-tls.yaml:3) metadata.name: defined again at ${dir.dir}/c-destination-rule.yaml:1; the later definition is used`,
      ],
    );
  });
});
