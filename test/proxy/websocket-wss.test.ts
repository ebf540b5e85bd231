// WebSocket over TLS to the gateway (wss://): an HTTPS server's HTTP/1.1 connections reach the
// same tunnel as plain ones, whichever way the client negotiated HTTP/1.1 (ALPN or none).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Agent, WebSocket } from "undici";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import { startConfigProxy } from "./support/config-proxy";
import {
  cluster,
  downstreamTls,
  forward,
  httpsChain,
  proxyConfig,
  route,
  tlsListener,
  vhost,
} from "./support/proxy-config-builders";
import type { WebSocketBackend } from "./support/websocket-backend";
import { startWebSocketBackend } from "./support/websocket-backend";

describe("WebSocket over TLS to the gateway (wss://)", () => {
  const pki = new TestPki();
  let backend: WebSocketBackend;
  let proxy: GatewayProxy;
  let port: number;
  let agent: Agent;
  const access: Record<string, unknown>[] = [];

  before(async () => {
    backend = await startWebSocketBackend();
    const cert = pki.issue("chat.test", ["DNS:chat.test"]);
    proxy = await startConfigProxy(
      proxyConfig(
        "wss",
        [
          tlsListener(443, [
            httpsChain("https.443", ["chat.test"], downstreamTls(cert.cert, cert.key), [
              vhost("chat", ["*"], [route("ws", forward("outbound|80||ws"))]),
            ]),
          ]),
        ],
        [cluster("outbound|80||ws", [{ address: "127.0.0.1", port: backend.port }])],
      ),
      access,
    );
    port = proxy.boundPorts().get(443)!;
    agent = new Agent({ connect: { ca: pki.ca.cert, servername: "chat.test" } });
  });
  after(async () => {
    await agent.close();
    await proxy.close();
    backend.close();
    pki.dispose();
  });

  it("tunnels a WebSocket from a TLS client to the upstream, logged under the HTTPS filter chain", async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/room`, { dispatcher: agent });
    const closed = new Promise((r) => ws.addEventListener("close", r));
    const echoed = await new Promise<string>((resolve) => {
      ws.addEventListener("open", () => ws.send("over wss"));
      ws.addEventListener("message", (e) => resolve(String(e.data)));
      ws.addEventListener("error", () => resolve("(error)"));
    });
    ws.close(1000);
    await closed;
    assert.equal(echoed, "over wss");
    assert.deepEqual(backend.handshakes, [{ path: "/room", host: `127.0.0.1:${port}` }]);
    const until = Date.now() + 3000;
    while (!access.some((l) => l["path"] === "/room") && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const line = access.find((l) => l["path"] === "/room") ?? {};
    assert.deepEqual(
      [
        line["response_code"],
        line["response_flags"],
        line["requested_server_name"],
        line["filter_chain"],
        line["route_name"],
      ],
      [101, "-", "chat.test", "https.443", "ws"],
    );
  });
});
