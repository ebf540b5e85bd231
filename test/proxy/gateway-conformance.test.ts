/**
 * Istio Gateway configurations run through the proxy from YAML, with real clients, checked
 * against what Istio's gateways (Envoy as Istio configures it) do with the same configuration.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend, startGrpcBackend } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { tlsSecret } from "./support/istio-yaml";
import { sClient } from "./support/openssl";
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

  describe("cipherSuites and minProtocolVersion", () => {
    let ports: Map<number, number>;
    before(async () => {
      const server = pki.issue("shop.example.com", ["DNS:shop.example.com"]);
      const web = await startEchoBackend("web");
      backends.push(web);
      const servers: [number, string][] = [
        [4001, "{}"],
        [4002, "{cipherSuites: [TLS_AES_128_GCM_SHA256]}"],
        [4003, "{cipherSuites: [NOT-A-CIPHER]}"],
        [4004, '{cipherSuites: ["[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]"]}'],
        [4005, "{minProtocolVersion: TLSV1_0, cipherSuites: [ECDHE-ECDSA-AES128-SHA]}"],
      ];
      const file = dir.write(
        "ciphers.yaml",
        `${tlsSecret("shop-credential", server.cert, server.key)}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers
  .map(
    ([p, extra]) => `  - port: {number: ${p}, name: https-${p}, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-credential, ${extra.slice(1, -1)}}`,
  )
  .join("\n")}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: istio-system}
spec:
  hosts: [shop.example.com]
  gateways: [shop-gateway]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      );
      const proxy = await startFileProxy(
        [file],
        servers.map(([p]) => p),
        [{ host: "web", ip: "127.0.0.1", port: web.port }],
      );
      proxies.push(proxy);
      ports = proxy.boundPorts();
    });

    /** The protocol and cipher `openssl s_client` negotiates with `args`, e.g. "TLSv1.2 ECDHE-...". */
    async function negotiated(gatewayPort: number, args: string[]): Promise<string> {
      const out = await sClient([
        "-connect",
        `127.0.0.1:${ports.get(gatewayPort)}`,
        "-servername",
        "shop.example.com",
        ...args,
      ]);
      const cipher = /Cipher is (\S+)/.exec(out)?.[1] ?? "?";
      if (cipher === "(NONE)") return "refused";
      // The session block names the protocol; s_client prints none for a TLS 1.3 session whose
      // ticket has not come yet, but a TLS 1.3 suite's own version is the protocol then.
      const protocol = /Protocol\s*: (\S+)/.exec(out)?.[1] ?? /New, (TLSv1\.3), Cipher/.exec(out)?.[1] ?? "?";
      return `${protocol} ${cipher}`;
    }

    // Envoy's default server list for TLS 1.2: ECDHE with AES-GCM or ChaCha20 only.
    const cases: [string, number, string[], string][] = [
      [
        "the default list takes ECDHE with AES-GCM",
        4001,
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384",
      ],
      [
        "the default list refuses CBC suites",
        4001,
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"],
        "refused",
      ],
      ["TLS 1.3 is negotiated with the default list", 4001, [], "TLSv1.3 TLS_AES_256_GCM_SHA384"],
      // Istio drops names it does not know (TLS 1.3 suites among them): the default list applies.
      // The server's order chooses, as Envoy's does: its first suite, AES-128-GCM.
      [
        "a TLS 1.3 suite name is dropped: TLS 1.2 still served",
        4002,
        ["-tls1_2"],
        "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
      ],
      [
        "a TLS 1.3 suite name is dropped: every TLS 1.3 suite still served",
        4002,
        ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
        "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256",
      ],
      [
        "an unknown name is dropped: the default list applies",
        4003,
        ["-tls1_2"],
        "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
      ],
      [
        "an equal-preference group serves its members",
        4004,
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
        "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305",
      ],
      [
        "an equal-preference group refuses other suites",
        4004,
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        "refused",
      ],
      [
        "minProtocolVersion TLSV1_0 serves TLS 1.0 with the suite given",
        4005,
        ["-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA@SECLEVEL=0"],
        "TLSv1 ECDHE-ECDSA-AES128-SHA",
      ],
    ];
    for (const [name, port, args, want] of cases) {
      it(name, async () => assert.equal(await negotiated(port, args), want));
    }
  });

  // Istio's SDS resolves `kubernetes://name` and `kubernetes://namespace/name` (the `-cacert`
  // companion being `kubernetes://namespace/name-cacert`), and refuses a Secret of a namespace
  // other than the gateway's.
  describe("credentialName as kubernetes://name and kubernetes://namespace/name", () => {
    let port: number;
    let client: { certPath: string; keyPath: string };
    before(async () => {
      const web = await startEchoBackend("web");
      backends.push(web);
      const cert = pki.issue("shop.example.com", ["DNS:*.example.com"]);
      client = pki.issue("client", ["URI:spiffe://example.com/client"], "client");
      const b64 = Buffer.from(pki.ca.cert).toString("base64");
      const file = dir.write(
        "kubernetes-uri.yaml",
        `${tlsSecret("shop-credential", cert.cert, cert.key)}---
${tlsSecret("default-credential", cert.cert, cert.key, "default")}---
apiVersion: v1
kind: Secret
metadata: {name: shop-credential-cacert, namespace: istio-system}
data: {ca.crt: ${b64}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: uri-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-simple, protocol: HTTPS}
    hosts: [simple.example.com]
    tls: {mode: SIMPLE, credentialName: "kubernetes://shop-credential"}
  - port: {number: 443, name: https-mutual, protocol: HTTPS}
    hosts: [mutual.example.com]
    tls: {mode: MUTUAL, credentialName: "kubernetes://istio-system/shop-credential"}
  - port: {number: 443, name: https-other-ns, protocol: HTTPS}
    hosts: [other.example.com]
    tls: {mode: SIMPLE, credentialName: "kubernetes://default/default-credential"}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*.example.com"]
  gateways: [uri-gateway]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      );
      const proxy = await startFileProxy([file], [443], [{ host: "web", ip: "127.0.0.1", port: web.port }]);
      proxies.push(proxy);
      port = proxy.boundPorts().get(443)!;
    });

    const https = (host: string, args: string[] = []) =>
      curl([
        "--resolve",
        `${host}:${port}:127.0.0.1`,
        "--cacert",
        pki.ca.certPath,
        ...args,
        `https://${host}:${port}/status/200`,
      ]);

    it("serves kubernetes://name from the proxy's namespace", async () => {
      const r = await https("simple.example.com");
      assert.deepEqual([r.status, r.headers["x-backend"]], [200, "web"]);
    });

    it("serves kubernetes://namespace/name with the CA of its -cacert companion", async () => {
      const r = await https("mutual.example.com", ["--cert", client.certPath, "--key", client.keyPath]);
      assert.deepEqual([r.status, r.headers["x-backend"]], [200, "web"]);
      await assert.rejects(https("mutual.example.com"));
    });

    it("fails handshakes for a Secret of another namespace", async () => {
      const out = await sClient(["-connect", `127.0.0.1:${port}`, "-servername", "other.example.com"]);
      assert.match(out, /no peer certificate available/);
    });
  });

  describe("a credentialName whose Secret does not exist, beside a catch-all server", () => {
    let port: number;
    before(async () => {
      const web = await startEchoBackend("web");
      backends.push(web);
      const wildcard = pki.issue("any.example.com", ["DNS:*.example.com"]);
      const file = dir.write(
        "missing-secret.yaml",
        `${tlsSecret("wildcard-credential", wildcard.cert, wildcard.key)}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-any, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: wildcard-credential}
  - port: {number: 443, name: https-httpbin, protocol: HTTPS}
    hosts: [httpbin.example.com]
    tls: {mode: SIMPLE, credentialName: httpbin-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [mygateway]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      );
      const proxy = await startFileProxy([file], [443], [{ host: "web", ip: "127.0.0.1", port: web.port }]);
      proxies.push(proxy);
      port = proxy.boundPorts().get(443)!;
    });

    const https = (host: string) =>
      curl([
        "--resolve",
        `${host}:${port}:127.0.0.1`,
        "--cacert",
        pki.ca.certPath,
        `https://${host}:${port}/status/200`,
      ]);

    it("serves the other hosts with the catch-all server", async () => {
      const r = await https("shop.example.com");
      assert.deepEqual([r.status, r.headers["x-backend"]], [200, "web"]);
    });

    // Istio keeps the server's SNI filter chain, whose certificate never arrives: Envoy fails the
    // handshake rather than serve the name with the catch-all server's certificate and routes.
    it("fails handshakes for the hosts of the server whose Secret is missing", async () => {
      const out = await sClient(["-connect", `127.0.0.1:${port}`, "-servername", "httpbin.example.com"]);
      assert.match(out, /no peer certificate available/);
      await assert.rejects(https("httpbin.example.com"));
    });
  });
});
