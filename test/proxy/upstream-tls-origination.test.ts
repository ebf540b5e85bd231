/**
 * TLS origination to upstreams (DestinationRule tls.mode SIMPLE), as Istio's egress TLS
 * origination tasks set it up, applied at the gateway: without `sni`, Istio turns on Envoy's
 * `auto_sni` and `auto_san_validation`, so the SNI and the name the certificate must hold are the
 * host of the upstream request's authority (after `rewrite.authority`); with `sni`, that name is
 * sent and only the chain is verified unless `subjectAltNames` says more.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import https from "node:https";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type tls from "node:tls";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

describe("TLS origination to an upstream (DestinationRule tls.mode SIMPLE)", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  let backend: https.Server;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    const cert = pki.issue("api.example.test", ["DNS:api.example.test"]);
    backend = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const servername = (req.socket as tls.TLSSocket).servername;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ servername: servername === false ? null : servername, host: req.headers.host }),
      );
    });
    backend.listen(0, "127.0.0.1");
    await once(backend, "listening");
    const backendPort = (backend.address() as net.AddressInfo).port;
    dir.write("ca.crt", pki.ca.cert);
    dir.write(
      "tls-origination.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /rewritten}}]
    rewrite: {authority: api.example.test}
    route: [{destination: {host: api.example.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /fixed-sni}}]
    route: [{destination: {host: fixed.example.test, port: {number: 443}}}]
  - route: [{destination: {host: api.example.test, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: istio-system}
spec:
  hosts: [api.example.test, fixed.example.test]
  ports: [{number: 443, name: http-tls, protocol: HTTP, targetPort: ${backendPort}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: istio-system}
spec:
  host: api.example.test
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: fixed, namespace: istio-system}
spec:
  host: fixed.example.test
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt, sni: not-in-the-certificate.test}
`,
    );
    proxy = await startFileProxy([dir.dir], [80], []);
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    backend.closeAllConnections();
    await new Promise<void>((r) => backend.close(() => r()));
    dir.dispose();
    pki.dispose();
  });

  const get = (host: string, path: string) =>
    curl(["-H", `Host: ${host}`, `http://127.0.0.1:${port}${path}`]);

  it("sends the request's authority as SNI and accepts a certificate that names it", async () => {
    const r = await get("api.example.test", "/a");
    assert.deepEqual(
      [r.status, JSON.parse(r.body)],
      [200, { servername: "api.example.test", host: "api.example.test" }],
    );
  });

  it("refuses a certificate that does not name the request's authority with 503 UF", async () => {
    const r = await get("shop.example.test", "/a");
    assert.deepEqual([r.status, r.headers["x-igw-error-code"]], [503, "IGW_ERR_UPSTREAM_CONNECT"]);
    // Connections of other names are kept apart: the first name still works.
    assert.equal((await get("api.example.test", "/b")).status, 200);
  });

  it("takes the authority after rewrite.authority", async () => {
    const r = await get("shop.example.test", "/rewritten");
    assert.deepEqual(
      [r.status, JSON.parse(r.body)],
      [200, { servername: "api.example.test", host: "api.example.test" }],
    );
  });

  it("sends the rule's sni whatever the authority, and then verifies the chain only", async () => {
    const r = await get("shop.example.test", "/fixed-sni");
    assert.deepEqual(
      [r.status, JSON.parse(r.body)],
      [200, { servername: "not-in-the-certificate.test", host: "shop.example.test" }],
    );
  });
});
