/**
 * A plain-text server after TLS servers on one port, as Istio merges them: its filter chain,
 * matching no SNI, takes the connections that do not speak TLS, while TLS ones keep going by SNI
 * (Istio's "gateway with HTTPS/TCP" configurations, `TestMergeGatewaysHttpsFirstBug`). Real
 * sockets; curl, Node's TLS client and a raw TCP client.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startTcpEcho, startTlsEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents, staticServiceEntry } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

describe("a plain-text server after TLS servers on one port", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  let tcpEcho: Backend;
  let tlsEcho: Backend;
  let proxy: GatewayProxy;
  let https: number;
  let mixed: number;

  before(async () => {
    const cert = pki.issue("secure.test", ["DNS:secure.test"]);
    const backendCert = pki.issue("backend.test", ["DNS:backend.test"]);
    tcpEcho = await startTcpEcho("plain: ");
    tlsEcho = await startTlsEcho("passed: ", backendCert.cert, backendCert.key);
    dir.write(
      "gateway.yaml",
      documents(
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.test]
    tls: {mode: SIMPLE, serverCertificate: ${cert.certPath}, privateKey: ${cert.keyPath}}
  - port: {number: 443, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: [passed.test]
    tls: {mode: PASSTHROUGH}
  - port: {number: 9443, name: tcp, protocol: TCP}
    hosts: ["*"]
`,
        `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{scheme: {exact: https}}]
    directResponse: {status: 200, body: {string: over-tls}}
  - directResponse: {status: 200, body: {string: plain-text}}
  tls:
  - match: [{port: 9443, sniHosts: [passed.test]}]
    route: [{destination: {host: passed.internal}}]
  tcp:
  - match: [{port: 9443}]
    route: [{destination: {host: plain.internal}}]
`,
        staticServiceEntry("passed", [{ port: tlsEcho.port }], "TLS"),
        staticServiceEntry("plain", [{ port: tcpEcho.port }], "TCP"),
      ),
    );
    proxy = await startFileProxy([dir.dir], [443, 9443], []);
    https = proxy.boundPorts().get(443)!;
    mixed = proxy.boundPorts().get(9443)!;
  });

  after(async () => {
    await proxy.close();
    await tcpEcho.close();
    await tlsEcho.close();
    dir.dispose();
    pki.dispose();
  });

  it("serves HTTPS by SNI and plain HTTP, HTTP/1.1 and h2c, on the one port", async () => {
    const secure = await curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `secure.test:${https}:127.0.0.1`,
      `https://secure.test:${https}/`,
    ]);
    assert.deepEqual([secure.status, secure.body], [200, "over-tls"]);
    const plain = await curl(["-H", "Host: any.test", `http://127.0.0.1:${https}/`]);
    assert.deepEqual([plain.status, plain.body], [200, "plain-text"]);
    const h2c = await curl(["--http2-prior-knowledge", "-H", "Host: any.test", `http://127.0.0.1:${https}/`]);
    assert.deepEqual([h2c.httpVersion, h2c.status, h2c.body], ["2", 200, "plain-text"]);
  });

  it("passes TLS through by SNI and proxies plain TCP on the one port", async () => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: mixed,
      servername: "passed.test",
      ca: pki.ca.cert,
      checkServerIdentity: () => undefined,
    });
    await once(socket, "secureConnect");
    assert.equal(socket.getPeerCertificate().subject?.CN, "backend.test");
    socket.end("hello\n");
    let passed = "";
    for await (const chunk of socket) passed += String(chunk);
    assert.equal(passed, "passed: hello\n");

    const raw = net.connect(mixed, "127.0.0.1");
    await once(raw, "connect");
    raw.end("hello\n");
    let plain = "";
    for await (const chunk of raw) plain += String(chunk);
    assert.equal(plain, "plain: hello\n");
  });
});
