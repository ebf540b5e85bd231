// Service ports come from the servers of the Gateways that select the proxy (and the ports given),
// each mapped to the port the proxy listens on by the proxy's own rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SelectingGateway } from "../../provider/src/components/gateway-proxy/service-ports";
import {
  gatewaysSelecting,
  listenPortFor,
  servicePortsFor,
} from "../../provider/src/components/gateway-proxy/service-ports";
import { defaultPortMap } from "../../provider/src/proxy/config/config-loader";

const server = (number: number, name: string, protocol: string) => ({
  port: { number, name, protocol },
  hosts: ["*"],
});

describe("listen ports", () => {
  it("agree with the proxy's own default mapping", () => {
    for (const port of [1, 80, 443, 1023, 1024, 8080, 8443, 15443, 65535]) {
      assert.equal(listenPortFor(port), defaultPortMap(port), `port ${port}`);
    }
  });
  it("map privileged ports to port+8000 and leave the others", () => {
    assert.deepEqual([80, 443, 1023, 1024, 9443].map(listenPortFor), [8080, 8443, 9023, 1024, 9443]);
  });
});

describe("gateways selecting the proxy", () => {
  const labels = { istio: "ingressgateway", "app.kubernetes.io/instance": "ingress" };
  const gateways: SelectingGateway[] = [
    { key: "a/match", spec: { selector: { istio: "ingressgateway" } } },
    { key: "a/other", spec: { selector: { istio: "eastwestgateway" } } },
    { key: "b/every-pod", spec: {} },
    { key: "b/more-labels", spec: { selector: { istio: "ingressgateway", tier: "edge" } } },
  ];
  it("are those whose selector the pod labels contain (no selector selects every pod)", () => {
    assert.deepEqual(
      gatewaysSelecting(gateways, labels).map((g) => g.key),
      ["a/match", "b/every-pod"],
    );
  });
});

describe("service ports", () => {
  it("one per port number, sorted, named after the first server, from Gateways in key order then the given ports", () => {
    const gateways: SelectingGateway[] = [
      { key: "z/second", spec: { servers: [server(443, "https-z", "HTTPS"), server(9000, "tcp", "TCP")] } },
      { key: "a/first", spec: { servers: [server(443, "https", "HTTPS"), server(80, "http", "HTTP")] } },
    ];
    assert.deepEqual(servicePortsFor(gateways, [{ number: 15443, name: "tls", protocol: "tls" }]), [
      { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
      { name: "tcp", port: 9000, targetPort: 9000, protocol: "TCP" },
      { name: "tls", port: 15443, targetPort: 15443, protocol: "TLS" },
    ]);
  });
  it("name a port <protocol>-<number> when its name is not a DNS label or is taken", () => {
    const gateways: SelectingGateway[] = [
      {
        key: "a/g",
        spec: {
          servers: [
            server(80, "HTTP_Plain", "HTTP"),
            server(81, "web", "HTTP2"),
            server(82, "web", "GRPC-WEB"),
          ],
        },
      },
    ];
    assert.deepEqual(servicePortsFor(gateways, []), [
      { name: "http-80", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "web", port: 81, targetPort: 8081, protocol: "HTTP2" },
      { name: "grpc-web-82", port: 82, targetPort: 8082, protocol: "GRPC-WEB" },
    ]);
  });
  it("never give a fallback name that another port was given", () => {
    const gateways: SelectingGateway[] = [
      { key: "a/g", spec: { servers: [server(80, "bad_name", "HTTP"), server(81, "http-80", "HTTP")] } },
    ];
    assert.deepEqual(servicePortsFor(gateways, []), [
      { name: "http-80-2", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "http-80", port: 81, targetPort: 8081, protocol: "HTTP" },
    ]);
  });
  it("skip unix-socket servers (port 0), which have no Service port", () => {
    const gateways: SelectingGateway[] = [{ key: "a/g", spec: { servers: [server(0, "uds", "HTTP")] } }];
    assert.deepEqual(servicePortsFor(gateways, []), []);
  });
});
