/**
 * Istio Gateway configurations run through the proxy from YAML, with real clients, checked
 * against what Istio's gateways (Envoy as Istio configures it) do with the same configuration.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend, startGrpcBackend } from "./support/backends";
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

/** A Kubernetes Secret of type kubernetes.io/tls in istio-system, as `kubectl create secret tls` makes it. */
function tlsSecret(name: string, cert: string, key: string): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(cert)}
  tls.key: ${b64(key)}
`;
}

/**
 * Runs `openssl s_client` with `args` and stdin closed at once, and resolves with what it printed
 * (stdout and stderr) once it exits, or after 5 s.
 */
function sClient(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn("openssl", ["s_client", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill(), 5000);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end();
  });
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

  describe("a TLS server terminated at the gateway and routed by a tcp rule", () => {
    let port: number;
    before(async () => {
      const grpc = await startGrpcBackend();
      backends.push(grpc);
      const server = pki.issue("grpc.example.com", ["DNS:grpc.example.com"]);
      const file = dir.write(
        "tls-terminated.yaml",
        `${tlsSecret("grpc-credential", server.cert, server.key)}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: grpc-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [grpc.example.com]
    tls: {mode: SIMPLE, credentialName: grpc-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: grpc, namespace: istio-system}
spec:
  hosts: [grpc.example.com]
  gateways: [grpc-gateway]
  tcp:
  - route: [{destination: {host: grpc, port: {number: 50051}}}]
`,
      );
      const proxy = await startFileProxy([file], [443], [{ host: "grpc", ip: "127.0.0.1", port: grpc.port }]);
      proxies.push(proxy);
      port = proxy.boundPorts().get(443)!;
    });

    // Istio's gateways offer ALPN h2 and http/1.1 on every terminating server, TLS ones included.
    it("offers ALPN h2 and http/1.1", async () => {
      const out = await sClient([
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "grpc.example.com",
        "-CAfile",
        pki.ca.certPath,
        "-alpn",
        "h2,http/1.1",
      ]);
      assert.match(out, /ALPN protocol: h2\n/);
      const h1 = await sClient([
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "grpc.example.com",
        "-alpn",
        "http/1.1",
      ]);
      assert.match(h1, /ALPN protocol: http\/1\.1\n/);
    });

    it("carries gRPC over HTTP/2 negotiated by ALPN to an h2c backend", async () => {
      const session = http2.connect(`https://grpc.example.com:${port}`, {
        host: "127.0.0.1",
        servername: "grpc.example.com",
        ca: pki.ca.cert,
      });
      try {
        session.on("error", () => {});
        const stream = session.request({
          ":method": "POST",
          ":path": "/pkg.Service/Method",
          "content-type": "application/grpc",
        });
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
        const [headers, trailers] = await Promise.all([
          new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
            stream.once("response", resolve);
            stream.once("error", reject);
          }),
          new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
            stream.once("trailers", resolve);
            stream.once("error", reject);
          }),
        ]);
        stream.resume();
        // gRPC clients such as grpc-go refuse a TLS connection that did not negotiate h2.
        assert.deepEqual(
          [session.alpnProtocol, headers[":status"], headers["x-path"], trailers["grpc-status"]],
          ["h2", 200, "/pkg.Service/Method", "0"],
        );
      } finally {
        session.close();
      }
    });
  });
});
