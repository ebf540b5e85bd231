// The request headers an upstream gets through the proxy, on real sockets, from Istio YAML: what an
// Istio gateway's Envoy adds and removes at the edge (x-forwarded-*, a fresh x-request-id, no
// client-set x-envoy-* control headers), and a route's header operations applied after that, so
// that `set: {x-forwarded-proto: https}` reaches the upstream as Istio users expect.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: plain
spec:
  hosts: [plain.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: behind-lb
spec:
  hosts: [lb.example.com]
  gateways: [gw]
  http:
  - headers:
      request:
        set:
          x-forwarded-proto: https
          x-forwarded-for: 203.0.113.9
          x-request-id: chosen-by-route
        add:
          x-envoy-internal: "set-by-route"
      response:
        set:
          x-seen-proto: "%REQ(x-forwarded-proto)%"
    route:
    - destination: {host: httpbin, port: {number: 8000}}
      headers:
        response:
          set:
            x-seen-id: "%REQ(x-request-id)%"
`;

describe("forwarded request headers on real sockets", () => {
  const dir = new ConfigDir();
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let base: string;
  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    proxy = await startFileProxy(
      [dir.write("headers.yaml", CONFIG)],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
    );
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("adds Envoy's edge headers, with a fresh x-request-id, and drops the client's x-envoy-* controls", async () => {
    const r = await curl([
      "-H",
      "Host: plain.example.com",
      "-H",
      "x-request-id: from-client",
      "-H",
      "x-forwarded-proto: https",
      "-H",
      "x-forwarded-for: 192.0.2.1",
      "-H",
      "x-envoy-internal: true",
      "-H",
      "x-envoy-retry-on: 5xx",
      "-H",
      "x-envoy-upstream-rq-timeout-ms: 1",
      "-H",
      "x-envoy-decorator-operation: op",
      "-H",
      "x-envoy-custom: kept",
      `${base}/headers`,
    ]);
    assert.equal(r.status, 200);
    const { "x-request-id": id, ...headers } = (JSON.parse(r.body) as Echo).headers;
    assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(headers, {
      host: "plain.example.com",
      "user-agent": headers["user-agent"],
      accept: "*/*",
      "x-forwarded-for": "192.0.2.1,127.0.0.1",
      "x-forwarded-proto": "http",
      "x-envoy-custom": "kept",
      "x-envoy-external-address": "127.0.0.1",
    });
  });

  it("applies a route's request header operations over the forwarding headers", async () => {
    const r = await curl([
      "-H",
      "Host: lb.example.com",
      "-H",
      "x-request-id: from-client",
      `${base}/headers`,
    ]);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual(
      [
        echo.headers["x-forwarded-proto"],
        echo.headers["x-forwarded-for"],
        echo.headers["x-request-id"],
        echo.headers["x-envoy-internal"],
      ],
      ["https", "203.0.113.9", "chosen-by-route", "set-by-route"],
    );
    // Response header formatters read the request as it was sent upstream.
    assert.deepEqual([r.headers["x-seen-proto"], r.headers["x-seen-id"]], ["https", "chosen-by-route"]);
  });

  it("gives each request its own x-request-id", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await curl(["-H", "Host: plain.example.com", "-H", "x-request-id: same", `${base}/headers`]);
      ids.add(String((JSON.parse(r.body) as Echo).headers["x-request-id"]));
    }
    assert.equal(ids.size, 3);
    assert.equal(ids.has("same"), false);
  });
});
