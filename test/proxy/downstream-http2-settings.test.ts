// What a client's HTTP/2 connection starts with. Istio sets no `http2_protocol_options` at a
// gateway, so Envoy announces 2^31 - 1 concurrent streams, as the proxy does. Its windows are those
// of Envoy's edge guidance rather than its 256 MiB defaults, so that backpressure holds: 64 KiB a
// stream, and the connection's opened to 1 MiB by a WINDOW_UPDATE, over h2c and over TLS alike.
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import { tlsSecret } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** The settings a session's peer announced and its connection window, once a request got its answer. */
async function openingOf(session: http2.ClientHttp2Session): Promise<unknown[]> {
  const stream = session.request({ ":path": "/", ":authority": "h2.example" });
  stream.resume();
  await once(stream, "close");
  const s = session.remoteSettings;
  const opening = [s.maxConcurrentStreams, s.initialWindowSize, session.state.remoteWindowSize];
  session.close();
  return opening;
}

describe("a client's HTTP/2 connection starts with Envoy's stream limit and bounded windows", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  let proxy: GatewayProxy;

  before(async () => {
    const server = pki.issue("h2.example", ["DNS:h2.example"]);
    dir.write(
      "gateway.yaml",
      `${tlsSecret("h2-credential", server.cert, server.key)}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [h2.example]
    tls: {mode: SIMPLE, credentialName: h2-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - directResponse: {status: 200, body: {string: "ok"}}
`,
    );
    proxy = await startFileProxy([dir.dir], [8080, 8443], []);
  });
  after(async () => {
    await proxy.close();
    dir.dispose();
    pki.dispose();
  });

  const opening = [2 ** 31 - 1, 64 * 1024, 1024 * 1024];

  it("announces them over h2c with prior knowledge", async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.boundPorts().get(8080)!}`);
    assert.deepEqual(await openingOf(session), opening);
  });

  it("announces them over TLS (ALPN h2)", async () => {
    const session = http2.connect(`https://127.0.0.1:${proxy.boundPorts().get(8443)!}`, {
      ca: pki.ca.cert,
      servername: "h2.example",
    });
    assert.deepEqual(await openingOf(session), opening);
  });
});
