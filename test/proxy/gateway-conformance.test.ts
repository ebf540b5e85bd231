/**
 * Istio Gateway configurations run through the proxy from YAML, with real clients, checked
 * against what Istio's gateways (Envoy as Istio configures it) do with the same configuration.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A GET over h2c with prior knowledge: the status, and the body as text. */
async function h2cGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    session.on("error", () => {});
    const stream = session.request({ ":path": path, ":authority": host });
    const [status, body] = await Promise.all([
      new Promise<number>((resolve, reject) => {
        stream.once("response", (h) => resolve(Number(h[":status"])));
        stream.once("error", reject);
      }),
      new Promise<string>((resolve, reject) => {
        let text = "";
        stream.setEncoding("utf8");
        stream.on("data", (d: string) => (text += d));
        stream.once("end", () => resolve(text));
        stream.once("error", reject);
      }),
    ]);
    return { status, body };
  } finally {
    session.close();
  }
}

describe("Istio gateway configurations through the proxy", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  const backends: Backend[] = [];
  const proxies: GatewayProxy[] = [];
  after(async () => {
    for (const p of proxies) await p.close();
    for (const b of backends) await b.close();
    dir.dispose();
    pki.dispose();
  });

  describe("a plain HTTP server (protocol HTTP)", () => {
    let port: number;
    before(async () => {
      const httpbin = await startEchoBackend("httpbin");
      backends.push(httpbin);
      const file = dir.write(
        "http.yaml",
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - route: [{destination: {host: httpbin, port: {number: 8000}}}]
`,
      );
      const proxy = await startFileProxy(
        [file],
        [80],
        [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      );
      proxies.push(proxy);
      port = proxy.boundPorts().get(80)!;
    });

    // Istio gives every gateway connection manager Envoy's AUTO codec, so an HTTP port takes
    // HTTP/2 with prior knowledge as well as HTTP/1.1.
    it("serves h2c with prior knowledge", async () => {
      const r = await h2cGet(port, "/headers", "httpbin.example.com");
      assert.equal(r.status, 200);
      const echo = JSON.parse(r.body) as Echo;
      assert.deepEqual([echo.name, echo.url], ["httpbin", "/headers"]);
    });

    it("serves HTTP/1.1 on the same port", async () => {
      const r = await curl([
        "--http1.1",
        "-H",
        "Host: httpbin.example.com",
        `http://127.0.0.1:${port}/status/418`,
      ]);
      assert.deepEqual([r.status, r.httpVersion, r.body], [418, "1.1", "httpbin 418\n"]);
    });

    it("serves curl's --http2-prior-knowledge", async () => {
      const r = await curl([
        "--http2-prior-knowledge",
        "-H",
        "Host: httpbin.example.com",
        `http://127.0.0.1:${port}/status/418`,
      ]);
      assert.deepEqual([r.status, r.httpVersion, r.body], [418, "2", "httpbin 418\n"]);
    });
  });
});
