/**
 * gRPC through the gateway, from Istio YAML, with gRPC's own framing on node:http2, checked
 * against what Istio's Envoy does: its local replies reach gRPC clients as trailers-only
 * responses (`Utility::prepareLocalReply`), an upstream's trailers-only answer stays one, retry
 * conditions read `grpc-status`, and `grpc-timeout` sets the deadline within the route's timeout.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink } from "./support/access-log-sinks";
import { refusingPort } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { tlsSecret } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** One gRPC message (uncompressed), as gRPC frames it on the wire. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** What a gRPC client sees of one call. */
interface GrpcAnswer {
  /** The response headers, pseudo-headers included. */
  readonly headers: http2.IncomingHttpHeaders;
  /** True when the headers ended the stream (a trailers-only response). */
  readonly trailersOnly: boolean;
  /** The trailers, when a header block followed the body. */
  readonly trailers: http2.IncomingHttpHeaders | undefined;
  /** The body bytes. */
  readonly body: Buffer;
}

/** Makes one unary call on `session`: `path`, the headers gRPC clients send, plus `extra`. */
async function grpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  extra: http2.OutgoingHttpHeaders = {},
): Promise<GrpcAnswer> {
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...extra,
  });
  let headers: http2.IncomingHttpHeaders = {};
  let trailersOnly = false;
  let trailers: http2.IncomingHttpHeaders | undefined;
  const chunks: Buffer[] = [];
  stream.on("response", (h, flags) => {
    headers = h;
    trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  });
  stream.on("trailers", (t) => (trailers = t));
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.end(grpcFrame(Buffer.from("hello")));
  await once(stream, "close");
  return { headers, trailersOnly, trailers, body: Buffer.concat(chunks) };
}

/** The parts of an answer the tables compare. */
function summary(a: GrpcAnswer): unknown[] {
  return [
    a.headers[":status"],
    a.headers["content-type"],
    a.headers["grpc-status"],
    a.headers["grpc-message"],
    a.trailersOnly,
    a.body.length,
  ];
}

/**
 * An h2c gRPC server. By path: `/Slow` answers after 2 s; `/Unavailable` answers trailers-only
 * UNAVAILABLE; `/Flaky` answers UNAVAILABLE twice, then OK; anything else echoes the request body
 * and the `grpc-timeout` and `x-envoy-expected-rq-timeout-ms` it got, with `grpc-status: 0` in
 * trailers.
 */
async function startGreeter(): Promise<{ port: number; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http2.createServer();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("error", () => {});
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const path = String(headers[":path"]);
    const method = path.slice(path.lastIndexOf("/"));
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const ok = (body: Buffer): void => {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "x-grpc-timeout": String(headers["grpc-timeout"]),
          "x-expected-timeout": String(headers["x-envoy-expected-rq-timeout-ms"]),
        },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(body);
    };
    const unavailable = (): void =>
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "busy" },
        { endStream: true },
      );
    if (method === "/Unavailable" || (method === "/Flaky" && n <= 2)) return unavailable();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      if (method !== "/Slow") return ok(Buffer.concat(chunks));
      const t = setTimeout(() => {
        timers.delete(t);
        if (!stream.destroyed) ok(Buffer.concat(chunks));
      }, 2000);
      timers.add(t);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

describe("gRPC through the gateway, as Istio's Envoy serves it", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  const access: Record<string, unknown>[] = [];
  let greeter: Awaited<ReturnType<typeof startGreeter>>;
  /** An HTTP/1.1 and an h2c server, each naming the version it was asked in (`x-http-version`). */
  let h1: http.Server;
  let h2: http2.Http2Server;
  let proxy: GatewayProxy;
  let port: number;
  let tlsPort: number;
  let session: http2.ClientHttp2Session;

  before(async () => {
    greeter = await startGreeter();
    const answer = (
      req: http.IncomingMessage | http2.Http2ServerRequest,
      res: http.ServerResponse | http2.Http2ServerResponse,
    ): void => {
      req.resume();
      res.writeHead(200, { "content-type": "application/grpc", "x-http-version": req.httpVersion });
      res.end();
    };
    h1 = http.createServer(answer).listen(0, "127.0.0.1");
    h2 = http2.createServer(answer).listen(0, "127.0.0.1");
    await Promise.all([once(h1, "listening"), once(h2, "listening")]);
    const refusing = await refusingPort();
    const server = pki.issue("grpc.example.com", ["DNS:grpc.example.com"]);
    const file = dir.write(
      "grpc.yaml",
      `${tlsSecret("grpc-credential", server.cert, server.key)}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: grpc-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [grpc.example.com]
    tls: {mode: SIMPLE, credentialName: grpc-credential}
---
apiVersion: v1
kind: Service
metadata: {name: greeter, namespace: istio-system}
spec:
  ports:
  - {port: 50051, name: grpc}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [grpc-gateway]
  http:
  - match: [{uri: {prefix: /abort.Http/}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: greeter}}]
    headers: {response: {set: {x-route: abort}}}
  - match: [{uri: {prefix: /abort.Grpc/}}]
    fault: {abort: {grpcStatus: RESOURCE_EXHAUSTED, percentage: {value: 100}}}
    route: [{destination: {host: greeter}}]
  - match: [{uri: {prefix: /maintenance.Svc/}}]
    directResponse: {status: 503, body: {string: "down 100% for maintenance"}}
  - match: [{uri: {prefix: /timeout.Svc/}}]
    timeout: 0.3s
    route: [{destination: {host: greeter}}]
  - match: [{uri: {prefix: /retry.Svc/}}]
    retries: {attempts: 3, retryOn: "unavailable,cancelled,resource-exhausted,deadline-exceeded"}
    route: [{destination: {host: greeter}}]
  - match: [{uri: {prefix: /refused.Svc/}}]
    route: [{destination: {host: refused, port: {number: 50051}}}]
  - match: [{uri: {prefix: /unresolved.Svc/}}]
    route: [{destination: {host: unresolved.invalid, port: {number: 50051}}}]
  - match: [{uri: {prefix: /helloworld.}}]
    route: [{destination: {host: greeter}}]
  - match: [{uri: {prefix: /metrics.Svc/}}]
    route: [{destination: {host: greeter}}]
  - match: [{uri: {prefix: /plain.Svc/}}]
    route: [{destination: {host: plain-port}}]
  - match: [{uri: {prefix: /client.Svc/}}]
    route: [{destination: {host: client-protocol}}]
---
apiVersion: v1
kind: Service
metadata: {name: plain-port, namespace: istio-system}
spec:
  ports:
  - {port: 8080, name: http}
---
apiVersion: v1
kind: Service
metadata: {name: client-protocol, namespace: istio-system}
spec:
  ports:
  - {port: 8080, name: http}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: client-protocol, namespace: istio-system}
spec:
  host: client-protocol
  trafficPolicy: {connectionPool: {http: {useClientProtocol: true}}}
`,
    );
    proxy = await startFileProxy(
      [file],
      [80, 443],
      [
        { host: "greeter", ip: "127.0.0.1", port: greeter.port },
        { host: "refused", ip: "127.0.0.1", port: refusing },
        { host: "plain-port", ip: "127.0.0.1", port: (h1.address() as net.AddressInfo).port },
        { host: "client-protocol", ip: "127.0.0.1", port: (h2.address() as net.AddressInfo).port },
      ],
      [],
      jsonLinesSink(access),
    );
    port = proxy.boundPorts().get(80)!;
    tlsPort = proxy.boundPorts().get(443)!;
    session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
  });
  after(async () => {
    session.close();
    await proxy.close();
    await greeter.close();
    h1.close();
    h2.close();
    dir.dispose();
  });

  // [path, status, content-type, grpc-status, grpc-message, trailers-only, body bytes, error code]
  const localReplies: [string, string, ...unknown[]][] = [
    ["no route", "/unknown.Svc/Call", 200, "application/grpc", "12", undefined, true, 0, "IGW_ERR_NO_ROUTE"],
    [
      "a fault abort's httpStatus",
      "/abort.Http/Call",
      200,
      "application/grpc",
      "14",
      "fault filter abort",
      true,
      0,
      undefined,
    ],
    [
      "a fault abort's grpcStatus",
      "/abort.Grpc/Call",
      200,
      "application/grpc",
      "8",
      "fault filter abort",
      true,
      0,
      undefined,
    ],
    [
      "a directResponse",
      "/maintenance.Svc/Call",
      200,
      "application/grpc",
      "14",
      "down 100%25 for maintenance",
      true,
      0,
      undefined,
    ],
    [
      "a refused connection",
      "/refused.Svc/Call",
      200,
      "application/grpc",
      "14",
      "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused",
      true,
      0,
      "IGW_ERR_UPSTREAM_CONNECT",
    ],
    [
      "no endpoint",
      "/unresolved.Svc/Call",
      200,
      "application/grpc",
      "14",
      "no healthy upstream",
      true,
      0,
      "IGW_ERR_NO_HEALTHY_UPSTREAM",
    ],
    [
      "the route's timeout",
      "/timeout.Svc/Slow",
      200,
      "application/grpc",
      "14",
      "upstream request timeout",
      true,
      0,
      "IGW_ERR_UPSTREAM_TIMEOUT",
    ],
  ];
  for (const [name, path, ...want] of localReplies) {
    it(`answers ${name} to a gRPC client as a trailers-only response`, async () => {
      const a = await grpcCall(session, path);
      assert.deepEqual([...summary(a), a.headers["x-igw-error-code"]], want);
    });
  }

  it("applies the route's response headers to a gRPC local reply, and logs it as status 200", async () => {
    const a = await grpcCall(session, "/abort.Http/Logged");
    assert.deepEqual([a.headers["x-route"], a.headers["server"]], ["abort", "istio-envoy"]);
    // Lines are written in batches, at most 100 ms after the first.
    const until = Date.now() + 2000;
    let line: Record<string, unknown> | undefined;
    while (
      (line = access.find((l) => l["path"] === "/abort.Http/Logged")) === undefined &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([line?.["response_code"], line?.["response_flags"]], [200, "FI"]);
  });

  it("answers a gRPC client over TLS (ALPN h2) the same way", async () => {
    const tlsSession = http2.connect(`https://grpc.example.com:${tlsPort}`, {
      host: "127.0.0.1",
      servername: "grpc.example.com",
      ca: pki.ca.cert,
    });
    tlsSession.on("error", () => {});
    try {
      const a = await grpcCall(tlsSession, "/unknown.Svc/Call");
      assert.deepEqual(summary(a), [200, "application/grpc", "12", undefined, true, 0]);
    } finally {
      tlsSession.close();
    }
  });

  it("answers an HTTP/1.1 gRPC request with content-length 0, as Envoy's HTTP/1.1 codec", async () => {
    const r = await curl([
      "-H",
      "content-type: application/grpc",
      "--data-binary",
      "x",
      `http://127.0.0.1:${port}/unknown.Svc/Call`,
    ]);
    assert.deepEqual(
      [r.status, r.headers["content-type"], r.headers["grpc-status"], r.headers["content-length"], r.body],
      [200, "application/grpc", "12", "0", ""],
    );
  });

  // Envoy's fault filter answers 200 with the gRPC status aside; only gRPC requests get it.
  it("answers a grpcStatus abort to a request that is not gRPC as a plain 200", async () => {
    const r = await curl([`http://127.0.0.1:${port}/abort.Grpc/Call`]);
    assert.deepEqual(
      [r.status, r.headers["content-type"], r.headers["grpc-status"], r.body],
      [200, "text/plain", undefined, "fault filter abort"],
    );
  });

  it("does not take gRPC-Web for gRPC", async () => {
    const r = await curl([
      "-H",
      "content-type: application/grpc-web",
      `http://127.0.0.1:${port}/unknown.Svc/Call`,
    ]);
    assert.deepEqual([r.status, r.headers["grpc-status"]], [404, undefined]);
  });

  it("passes an upstream's trailers-only answer on as one header block that ends the stream", async () => {
    const a = await grpcCall(session, "/helloworld.Greeter/Unavailable");
    assert.deepEqual(summary(a), [200, "application/grpc", "14", "busy", true, 0]);
  });

  // Envoy's HTTP/1.1 codec frames a response that ends with its head by `content-length: 0`, not
  // by an empty chunked body.
  it("passes an upstream's trailers-only answer to an HTTP/1.1 client with content-length 0", async () => {
    const r = await curl([
      "--http1.1",
      "-H",
      "content-type: application/grpc",
      "--data-binary",
      "x",
      `http://127.0.0.1:${port}/helloworld.Greeter/Unavailable`,
    ]);
    assert.deepEqual(
      [
        r.status,
        r.headers["grpc-status"],
        r.headers["content-length"],
        r.headers["transfer-encoding"],
        r.body,
      ],
      [200, "14", "0", undefined, ""],
    );
  });

  it("retries on the grpc-status of the response headers (retryOn unavailable)", async () => {
    const flaky = await grpcCall(session, "/retry.Svc/Flaky");
    assert.deepEqual(
      [flaky.headers[":status"], flaky.trailers?.["grpc-status"], greeter.hits.get("/retry.Svc/Flaky")],
      [200, "0", 3],
    );
    const down = await grpcCall(session, "/retry.Svc/Unavailable");
    assert.deepEqual(
      [down.headers["grpc-status"], down.trailersOnly, greeter.hits.get("/retry.Svc/Unavailable")],
      ["14", true, 4],
    );
  });

  it("times a call out at its grpc-timeout when the route has no timeout", async () => {
    const start = performance.now();
    const a = await grpcCall(session, "/helloworld.Greeter/Slow", { "grpc-timeout": "200m" });
    const took = performance.now() - start;
    assert.deepEqual(summary(a), [200, "application/grpc", "14", "upstream request timeout", true, 0]);
    assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
  });

  it("sends the deadline upstream in grpc-timeout, within the route's timeout", async () => {
    const within = await grpcCall(session, "/timeout.Svc/Call", { "grpc-timeout": "100S" });
    const shorter = await grpcCall(session, "/timeout.Svc/Call", { "grpc-timeout": "150000u" });
    const none = await grpcCall(session, "/helloworld.Greeter/Call");
    const own = await grpcCall(session, "/helloworld.Greeter/Call", { "grpc-timeout": "5S" });
    assert.deepEqual(
      [within, shorter, none, own].map((a) => [a.headers["x-grpc-timeout"], a.headers["x-expected-timeout"]]),
      [
        ["300m", "300"],
        ["150m", "150"],
        ["undefined", "undefined"],
        ["5000m", "5000"],
      ],
    );
  });

  it("sends gRPC to a port named http over HTTP/1.1, as Istio's gateway clusters do, unless useClientProtocol", async () => {
    const plain = await grpcCall(session, "/plain.Svc/Call");
    const client = await grpcCall(session, "/client.Svc/Call");
    assert.deepEqual(
      [plain.headers[":status"], plain.headers["x-http-version"], client.headers["x-http-version"]],
      [200, "1.1", "2.0"],
    );
  });

  it("counts each call under the grpc_response_status its answer carried, as Istio's stats do", async () => {
    const series: Record<string, string[]> = {
      ok: ['request_protocol="grpc"', 'destination_service_name="greeter"', 'grpc_response_status="0"'],
      unavailable: [
        'request_protocol="grpc"',
        'destination_service_name="greeter"',
        'grpc_response_status="14"',
      ],
      noRoute: [
        'request_protocol="grpc"',
        'destination_service="unknown"',
        'response_code="200"',
        'response_flags="NR"',
        'grpc_response_status="12"',
      ],
      grpcWeb: ['request_protocol="http"', 'destination_service_name="greeter"', 'grpc_response_status=""'],
    };
    const counts = async (): Promise<Record<string, number>> => {
      const lines = (await proxy.metrics.registry.metrics())
        .split("\n")
        .filter((l) => l.startsWith("istio_requests_total{"));
      const out: Record<string, number> = {};
      for (const [name, labels] of Object.entries(series)) {
        out[name] = lines
          .filter((l) => labels.every((label) => l.includes(label)))
          .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
      }
      return out;
    };
    const before = await counts();
    await grpcCall(session, "/metrics.Svc/Call");
    await grpcCall(session, "/metrics.Svc/Unavailable");
    await grpcCall(session, "/unknown.Svc/Metrics");
    await grpcCall(session, "/metrics.Svc/Call", { "content-type": "application/grpc-web" });
    // gRPC over HTTP/1.1 counts as gRPC too: Istio goes by the content type alone.
    const h1 = await curl([
      "-H",
      "content-type: application/grpc",
      "--data-binary",
      "x",
      `http://127.0.0.1:${port}/metrics.Svc/Call`,
    ]);
    assert.equal(h1.status, 200);
    const want = { ok: 2, unavailable: 1, noRoute: 1, grpcWeb: 1 };
    const until = Date.now() + 2000;
    let delta: Record<string, number> = {};
    do {
      const now = await counts();
      delta = Object.fromEntries(Object.keys(series).map((k) => [k, now[k]! - before[k]!]));
      if (JSON.stringify(delta) === JSON.stringify(want)) break;
      await new Promise((r) => setTimeout(r, 20));
    } while (Date.now() < until);
    assert.deepEqual(delta, want);
  });

  it("counts the gRPC messages each way in istio_request_messages_total and istio_response_messages_total", async () => {
    const total = async (name: string): Promise<number> =>
      (await proxy.metrics.registry.metrics())
        .split("\n")
        .filter((l) => l.startsWith(`${name}{`) && l.includes('destination_service_name="greeter"'))
        .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
    const before = [
      await total("istio_request_messages_total"),
      await total("istio_response_messages_total"),
    ];
    // Three messages, the second cut in two writes; the greeter echoes the body, so three come back.
    const stream = session.request({
      ":method": "POST",
      ":path": "/metrics.Svc/Stream",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    const second = grpcFrame(Buffer.from("second message"));
    stream.write(grpcFrame(Buffer.from("first")));
    stream.write(second.subarray(0, 3));
    stream.write(second.subarray(3));
    stream.end(grpcFrame(Buffer.alloc(0)));
    await once(stream, "close");
    assert.equal(Buffer.concat(chunks).length, 10 + 19 + 5);
    const until = Date.now() + 2000;
    let after: number[] = [];
    do {
      after = [await total("istio_request_messages_total"), await total("istio_response_messages_total")];
      if (after[0]! - before[0]! === 3 && after[1]! - before[1]! === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    } while (Date.now() < until);
    assert.deepEqual([after[0]! - before[0]!, after[1]! - before[1]!], [3, 3]);
    // Istio reports them with the peers' labels only, not a request's own.
    const line = (await proxy.metrics.registry.metrics())
      .split("\n")
      .find(
        (l) =>
          l.startsWith("istio_request_messages_total{") && l.includes('destination_service_name="greeter"'),
      );
    assert.ok(line !== undefined);
    assert.ok(
      line.includes('reporter="source"') && line.includes('destination_service_namespace="istio-system"'),
      line,
    );
    assert.ok(!/request_protocol|response_code|response_flags|grpc_response_status/.test(line), line);
  });
});
