import assert from "node:assert/strict";
import crypto from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { refusingPort } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/** What the HTTP/2 backend answers about a request. */
interface Seen {
  backend: string;
  method: string;
  path: string;
  authority: string;
  alpn: string;
  attempt: number;
}

/**
 * An HTTP/2-only backend (h2c, or h2 over TLS when given a certificate): the response head goes
 * out at once with what it saw, the body is echoed as it arrives, and trailers carry the body's
 * SHA-256 and the request's trailers as JSON (`null` without any). Paths under `/fail-once/`
 * answer 503 to their first request.
 */
async function startH2Backend(
  name: string,
  tlsOptions?: { cert: string; key: string },
): Promise<{
  port: number;
  received: Map<string, [Seen, string][]>;
  opening: Map<string, unknown[]>;
  requestTrailers: Map<string, http2.IncomingHttpHeaders | null>;
  close(): Promise<void>;
}> {
  const attempts = new Map<string, number>();
  const received = new Map<string, [Seen, string][]>();
  const opening = new Map<string, unknown[]>();
  const opened = new WeakSet<http2.Http2Session>();
  const requestTrailers = new Map<string, http2.IncomingHttpHeaders | null>();
  const server =
    tlsOptions === undefined
      ? http2.createServer()
      : http2.createSecureServer({ ...tlsOptions, allowHTTP1: false });
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    const attempt = (attempts.get(path) ?? 0) + 1;
    attempts.set(path, attempt);
    const session = stream.session!;
    const peer = session.remoteSettings;
    // The connection window counts down as the session carries answers: only a first stream sees it whole.
    if (!opened.has(session))
      opening.set(path, [
        peer.enablePush,
        peer.maxConcurrentStreams,
        peer.initialWindowSize,
        session.state.remoteWindowSize,
      ]);
    opened.add(session);
    const seen: Seen = {
      backend: name,
      method: String(headers[":method"]),
      path,
      authority: String(headers[":authority"]),
      alpn: String((stream.session?.socket as { alpnProtocol?: string | false } | undefined)?.alpnProtocol),
      attempt,
    };
    if (path.includes("/fail-once/") && attempt === 1) {
      stream.respond({ ":status": 503, "content-length": "0" }, { endStream: true });
      stream.resume();
      return;
    }
    const hash = crypto.createHash("sha256");
    let trailers: http2.IncomingHttpHeaders | null = null;
    stream.on("trailers", (t: http2.IncomingHttpHeaders) => (trailers = t));
    stream.respond({ ":status": 200, "x-seen": JSON.stringify(seen) }, { waitForTrailers: true });
    stream.on("data", (c: Buffer) => {
      hash.update(c);
      stream.write(c);
    });
    stream.on("wantTrailers", () => {
      const digest = hash.digest("hex");
      received.set(path, [...(received.get(path) ?? []), [seen, digest]]);
      // A plain copy of the names and values: node's header objects have no prototype, and a
      // symbol key listing sensitive headers.
      requestTrailers.set(path, trailers === null ? null : Object.fromEntries(Object.entries(trailers)));
      stream.sendTrailers({ "x-sha256": digest, "x-request-trailers": JSON.stringify(trailers) });
    });
    stream.on("end", () => stream.end());
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("error", () => {});
    s.on("close", () => sessions.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    opening,
    requestTrailers,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An HTTP/1.1 request with a body written in two halves, the second only once the first came back echoed. */
function exchange(
  port: number,
  path: string,
  body: Buffer,
): Promise<{
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  echoedBeforeEnd: boolean;
}> {
  return new Promise((resolve, reject) => {
    const half = Math.floor(body.length / 2);
    let echoedBeforeEnd = false;
    let ended = false;
    const req = http.request(
      { host: "127.0.0.1", port, path, method: "POST", headers: { host: "shop.example" }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on("data", (c: Buffer) => {
          chunks.push(c);
          received += c.length;
          if (!ended && received >= half) {
            echoedBeforeEnd = true;
            ended = true;
            req.end(body.subarray(half));
          }
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            trailers: res.trailers,
            echoedBeforeEnd,
          }),
        );
      },
    );
    req.on("error", reject);
    req.write(body.subarray(0, half));
    // A backend that answers only after the whole body would never echo the first half alone.
    setTimeout(() => {
      if (!ended) {
        ended = true;
        req.end(body.subarray(half));
      }
    }, 2000);
  });
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

describe("upstream HTTP/2 for destinations that speak it", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  let h2c: Awaited<ReturnType<typeof startH2Backend>>;
  let h2tls: Awaited<ReturnType<typeof startH2Backend>>;
  /** A backend of its own for the one test that needs the first stream of a connection. */
  let fresh: Awaited<ReturnType<typeof startH2Backend>>;
  let proxy: GatewayProxy;
  let port: number;
  let h2Port: number;

  before(async () => {
    h2c = await startH2Backend("h2c");
    const cert = pki.issue("h2.test", ["DNS:h2.test"]);
    h2tls = await startH2Backend("h2tls", cert);
    fresh = await startH2Backend("fresh");
    const refused = await refusingPort();
    dir.write("ca.crt", pki.ca.cert);
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
  - port: {number: 8081, name: http2, protocol: HTTP2}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /declared/}}]
    route: [{destination: {host: h2.internal, port: {number: 80}}}]
    retries: {attempts: 2, retryOn: 5xx}
  - match: [{uri: {prefix: /fresh/}}]
    route: [{destination: {host: fresh.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /mirrored/}}]
    route: [{destination: {host: upgraded.internal, port: {number: 80}}}]
    mirror: {host: h2.test, port: {number: 443}}
    mirrorPercentage: {value: 100}
  - match: [{uri: {prefix: /named/}}]
    route: [{destination: {host: h2.internal, port: {number: 81}}}]
  - match: [{uri: {prefix: /upgraded/}}]
    route: [{destination: {host: upgraded.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /plain/}}]
    route: [{destination: {host: plain.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /tls/}}]
    route: [{destination: {host: h2.test, port: {number: 443}}}]
  - match: [{uri: {prefix: /refused/}}]
    route: [{destination: {host: refused.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /misnamed/}}]
    route: [{destination: {host: h2-by-authority.test, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: refused, namespace: istio-system}
spec:
  hosts: [refused.internal]
  ports: [{number: 80, name: web, protocol: HTTP2, targetPort: ${refused}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h2-by-authority, namespace: istio-system}
spec:
  hosts: [h2-by-authority.test]
  ports: [{number: 443, name: web, protocol: HTTP2, targetPort: ${h2tls.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: h2-by-authority, namespace: istio-system}
spec:
  host: h2-by-authority.test
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h2, namespace: istio-system}
spec:
  hosts: [h2.internal]
  ports:
  - {number: 80, name: web, protocol: HTTP2, targetPort: ${h2c.port}}
  - {number: 81, name: grpc-api, targetPort: ${h2c.port}}
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: fresh, namespace: istio-system}
spec:
  hosts: [fresh.internal]
  ports: [{number: 80, name: web, protocol: HTTP2, targetPort: ${fresh.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: upgraded, namespace: istio-system}
spec:
  hosts: [upgraded.internal, plain.internal]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: ${h2c.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: upgraded, namespace: istio-system}
spec:
  host: upgraded.internal
  trafficPolicy:
    connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h2-tls, namespace: istio-system}
spec:
  hosts: [h2.test]
  ports: [{number: 443, name: web, protocol: HTTP2, targetPort: ${h2tls.port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: h2-tls, namespace: istio-system}
spec:
  host: h2.test
  trafficPolicy:
    # Without sni, Istio's auto_sni would send the request's authority (shop.example).
    tls: {mode: SIMPLE, caCertificates: ${dir.dir}/ca.crt, sni: h2.test}
`,
    );
    proxy = await startFileProxy([dir.dir], [8080, 8081], []);
    port = proxy.boundPorts().get(8080)!;
    h2Port = proxy.boundPorts().get(8081)!;
  });
  after(async () => {
    await proxy.close();
    await h2c.close();
    await h2tls.close();
    await fresh.close();
    dir.dispose();
    pki.dispose();
  });

  const cases: [string, string, string, string][] = [
    // name, path, backend, ALPN the backend saw
    ["a ServiceEntry port with protocol HTTP2", "/declared/a", "h2c", "undefined"],
    ["a port named grpc-api", "/named/a", "h2c", "undefined"],
    ["a DestinationRule with h2UpgradePolicy UPGRADE", "/upgraded/a", "h2c", "undefined"],
    ["upstream TLS, offering h2 by ALPN", "/tls/a", "h2tls", "h2"],
  ];
  for (const [name, path, backend, alpn] of cases) {
    it(`HTTP/1.1 client to an HTTP/2-only backend: ${name}; bodies stream both ways, trailers dropped as Istio's HTTP/1.1 codec drops them`, async () => {
      const body = crypto.randomBytes(256 * 1024);
      const r = await exchange(port, path, body);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(String(r.headers["x-seen"])), {
        backend,
        method: "POST",
        path,
        authority: "shop.example",
        alpn,
        attempt: 1,
      });
      assert.deepEqual(
        [r.body.length, sha256(r.body), r.trailers["x-sha256"], r.echoedBeforeEnd],
        [body.length, sha256(body), undefined, true],
      );
    });
  }

  it("HTTP/2 client, not gRPC, to an HTTP/2 cluster (a Gateway port with protocol HTTP2)", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    const stream = session.request({
      ":method": "POST",
      ":path": "/declared/h2",
      ":authority": "shop.example",
    });
    const body = crypto.randomBytes(50_000);
    stream.end(body);
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    const trailers = once(stream, "trailers") as Promise<[http2.IncomingHttpHeaders]>;
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const [t] = await trailers;
    session.close();
    assert.deepEqual(
      [
        headers[":status"],
        JSON.parse(String(headers["x-seen"])).backend,
        sha256(Buffer.concat(chunks)),
        t["x-sha256"],
      ],
      [200, "h2c", sha256(body), sha256(body)],
    );
  });

  // Istio gives a cluster that speaks HTTP/2 an empty `http2_protocol_options`: Envoy's client
  // announces no server push and 2^31 - 1 streams. The windows are those of Envoy's edge guidance
  // (64 KiB a stream, the connection's opened to 1 MiB), which keep backpressure.
  it("opens upstream HTTP/2 connections with Envoy's default options and bounded windows", async () => {
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/fresh/opening`]);
    assert.equal(r.status, 200);
    assert.deepEqual(fresh.opening.get("/fresh/opening"), [false, 2 ** 31 - 1, 64 * 1024, 1024 * 1024]);
  });

  // Envoy's router passes a downstream's request trailers to the upstream request (and keeps them
  // for a retry); only HTTP/1.1 codecs drop them, as Istio leaves `enable_trailers` off.
  for (const path of ["/declared/trailers", "/declared/fail-once/trailers"]) {
    it(`passes an HTTP/2 client's request trailers to an HTTP/2 cluster: ${path}`, async () => {
      const session = http2.connect(`http://127.0.0.1:${h2Port}`);
      const stream = session.request(
        { ":method": "POST", ":path": path, ":authority": "shop.example" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "c0ffee" }));
      stream.end(Buffer.from("payload"));
      const trailers = once(stream, "trailers") as Promise<[http2.IncomingHttpHeaders]>;
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const [t] = await trailers;
      session.close();
      assert.deepEqual(
        [Buffer.concat(chunks).toString(), t["x-request-trailers"]],
        ["payload", JSON.stringify({ "x-checksum": "c0ffee" })],
      );
    });
  }

  it("passes an HTTP/2 client's request trailers to an HTTP/2 mirror too", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    const stream = session.request(
      { ":method": "POST", ":path": "/mirrored/trailers", ":authority": "shop.example" },
      { waitForTrailers: true },
    );
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "c0ffee" }));
    stream.end(Buffer.from("payload"));
    stream.resume();
    await once(stream, "close");
    session.close();
    const until = Date.now() + 3000;
    while (!h2tls.requestTrailers.has("/mirrored/trailers") && Date.now() < until)
      await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(
      [h2c.requestTrailers.get("/mirrored/trailers"), h2tls.requestTrailers.get("/mirrored/trailers")],
      [{ "x-checksum": "c0ffee" }, { "x-checksum": "c0ffee" }],
    );
  });

  it("ends an HTTP/2 client's body without trailers at the upstream as it came", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    const stream = session.request({
      ":method": "POST",
      ":path": "/declared/no-trailers",
      ":authority": "shop.example",
    });
    stream.end(Buffer.from("payload"));
    const trailers = once(stream, "trailers") as Promise<[http2.IncomingHttpHeaders]>;
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const [t] = await trailers;
    session.close();
    assert.deepEqual([Buffer.concat(chunks).toString(), t["x-request-trailers"]], ["payload", "null"]);
  });

  // A connection that fails is Envoy's connection failure on HTTP/2 as on HTTP/1.1 (503 UF, and
  // retried by Istio's default connect-failure retries): a refused connect, or a certificate that
  // does not name the request's authority (auto_san_validation, the rule having no sni).
  for (const [what, path, reason] of [
    ["is refused", "/refused/a", "delayed connect error: Connection refused"],
    [
      "fails TLS verification",
      "/misnamed/a",
      "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
    ],
  ]) {
    it(`answers 503 UF when the connection to an HTTP/2 endpoint ${what}`, async () => {
      const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}${path}`]);
      assert.deepEqual(
        [r.status, r.headers["x-igw-error-code"], r.body],
        [
          503,
          "IGW_ERR_UPSTREAM_CONNECT",
          "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: " +
            `remote connection failure, transport failure reason: ${reason}`,
        ],
      );
    });
  }

  it("mirrors a POST to an HTTP/2 cluster over HTTP/2, body whole", async () => {
    const body = crypto.randomBytes(100_000);
    const r = await exchange(port, "/mirrored/a", body);
    assert.deepEqual([r.status, sha256(r.body)], [200, sha256(body)]);
    const until = Date.now() + 3000;
    while (!h2tls.received.has("/mirrored/a") && Date.now() < until)
      await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(h2tls.received.get("/mirrored/a"), [
      [
        {
          backend: "h2tls",
          method: "POST",
          path: "/mirrored/a",
          authority: "shop.example-shadow",
          alpn: "h2",
          attempt: 1,
        },
        sha256(body),
      ],
    ]);
  });

  it("retries a POST to an HTTP/2 cluster with the body replayed", async () => {
    const body = crypto.randomBytes(100_000);
    const r = await exchange(port, "/declared/fail-once/x", body);
    assert.deepEqual(
      [r.status, JSON.parse(String(r.headers["x-seen"])).attempt, sha256(r.body)],
      [200, 2, sha256(body)],
    );
  });

  it("sends HTTP/1.1 to a plain HTTP port without the upgrade policy (the HTTP/2-only backend refuses it)", async () => {
    const r = await exchange(port, "/plain/a", Buffer.from("x"));
    assert.deepEqual([r.status, r.headers["x-igw-error-code"]], [502, "IGW_ERR_UPSTREAM_PROTOCOL"]);
  });
});
