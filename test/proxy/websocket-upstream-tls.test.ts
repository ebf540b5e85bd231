// WebSocket upgrades to an upstream the proxy originates TLS to (DestinationRule tls.mode SIMPLE):
// the tunnel's TLS connection sends the cluster's SNI and verifies the endpoint's certificate as
// ordinary requests to that cluster do.
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "undici";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import { undated } from "./support/http1-response-parser";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";
import type { WebSocketBackend } from "./support/websocket-backend";
import { startWebSocketBackend } from "./support/websocket-backend";

/** A ServiceEntry for `host` on port 443 to the backend, and a DestinationRule with `tls`. */
function destination(name: string, host: string, backendPort: number, tls: string): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${host}]
  ports: [{number: 443, name: https, protocol: HTTPS, targetPort: ${backendPort}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: istio-system}
spec:
  host: ${host}
  trafficPolicy:
    tls: ${tls}
`;
}

/** Opens a WebSocket through the proxy, sends `text` and resolves with the echo. */
async function echo(url: string, text: string): Promise<string> {
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((res, rej) => {
      ws.addEventListener("open", () => res());
      ws.addEventListener("error", () => rej(new Error(`${url}: the WebSocket did not open`)));
    });
    const answer = new Promise<string>((res) => ws.addEventListener("message", (e) => res(String(e.data))));
    ws.send(text);
    return await answer;
  } finally {
    ws.close(1000);
  }
}

/** Sends an upgrade request by hand and resolves with everything the proxy answers. */
async function rawUpgrade(port: number, path: string): Promise<string> {
  const s = net.connect(port, "127.0.0.1");
  await once(s, "connect");
  s.write(
    `GET ${path} HTTP/1.1\r\nHost: gw.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const chunks: Buffer[] = [];
  s.on("data", (c: Buffer) => chunks.push(c));
  await once(s, "close");
  return Buffer.concat(chunks).toString("latin1");
}

describe("WebSocket upgrades to a TLS upstream (DestinationRule tls.mode SIMPLE)", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  const otherPki = new TestPki("other-ca");
  let backend: WebSocketBackend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    backend = await startWebSocketBackend(pki.issue("chat.test", ["DNS:chat.test"]));
    dir.write("ca.crt", pki.ca.cert);
    dir.write("other-ca.crt", otherPki.ca.cert);
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
  - match: [{uri: {prefix: /verified/}}]
    rewrite: {authority: chat.test}
    route: [{destination: {host: chat.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /by-authority/}}]
    route: [{destination: {host: chat.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /named/}}]
    route: [{destination: {host: chat-by-san.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /untrusted/}}]
    route: [{destination: {host: chat-untrusted.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /misnamed/}}]
    route: [{destination: {host: chat-misnamed.test, port: {number: 443}}}]
`,
    );
    dir.write(
      "destinations.yaml",
      [
        destination("chat", "chat.test", backend.port, `{mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt}`),
        destination(
          "chat-by-san",
          "chat-by-san.test",
          backend.port,
          `{mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt, sni: ws.example, subjectAltNames: [chat.test]}`,
        ),
        destination(
          "chat-untrusted",
          "chat-untrusted.test",
          backend.port,
          `{mode: SIMPLE, caCertificates: ${dir.dir}/other-ca.crt}`,
        ),
        destination(
          "chat-misnamed",
          "chat-misnamed.test",
          backend.port,
          `{mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt, subjectAltNames: [other.test]}`,
        ),
      ].join("---\n"),
    );
    proxy = await startFileProxy([dir.dir], [8080], []);
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    backend.close();
    dir.dispose();
    pki.dispose();
    otherPki.dispose();
  });

  // Without a DestinationRule sni, Istio sets Envoy's auto_sni and auto_san_validation: the SNI and
  // the name the certificate must hold are the upstream request's authority (after rewrites).
  it("tunnels over TLS with the request's authority as SNI, verified against the DestinationRule's CA", async () => {
    const before = backend.handshakes.length;
    assert.equal(await echo(`ws://127.0.0.1:${port}/verified/room`, "over tls"), "over tls");
    assert.deepEqual(backend.handshakes.slice(before), [
      { path: "/verified/room", host: "chat.test", servername: "chat.test" },
    ]);
  });

  it("sends the DestinationRule's sni and accepts the certificate by its subjectAltNames", async () => {
    const before = backend.handshakes.length;
    assert.equal(await echo(`ws://127.0.0.1:${port}/named/room`, "by san"), "by san");
    assert.deepEqual(backend.handshakes.slice(before), [
      { path: "/named/room", host: `127.0.0.1:${port}`, servername: "ws.example" },
    ]);
  });

  for (const [what, path] of [
    ["whose certificate the DestinationRule's CA does not sign", "/untrusted/room"],
    ["whose certificate has none of the DestinationRule's subjectAltNames", "/misnamed/room"],
    // The authority is gw.example (curl's 127.0.0.1), which the certificate does not name.
    ["whose certificate does not name the request's authority", "/by-authority/room"],
  ]) {
    it(`refuses an endpoint ${what} with 503 UF, as an ordinary request to it`, async () => {
      const before = backend.handshakes.length;
      // Retried, the upgrade as the ordinary request (Istio's default connect-failure retries).
      const body =
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end";
      assert.equal(
        undated(await rawUpgrade(port, path)),
        `HTTP/1.1 503 Service Unavailable\r\nx-igw-error-code: IGW_ERR_UPSTREAM_CONNECT\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\nserver: istio-envoy\r\n\r\n${body}`,
      );
      const plain = await curl([`http://127.0.0.1:${port}${path}`]);
      assert.deepEqual(
        [plain.status, plain.headers["x-igw-error-code"], plain.body],
        [503, "IGW_ERR_UPSTREAM_CONNECT", body],
      );
      assert.deepEqual(backend.handshakes.slice(before), []);
    });
  }
});
