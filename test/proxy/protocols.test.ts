import assert from "node:assert/strict";
import crypto from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { ProxyConfig } from "../../provider/src/istio/translate/proxy-config";
import { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startEchoBackend, startGrpcBackend } from "./support/backends";
import { curl } from "./support/curl";
import {
  cluster,
  forward,
  httpListener,
  match,
  proxyConfig,
  route,
  vhost,
} from "./support/proxy-config-builders";

/** Sends raw bytes and resolves with everything the proxy answers before closing (or 2 s). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    let out = "";
    s.on("data", (d: Buffer) => (out += d.toString("latin1")));
    s.on("error", () => {});
    const t = setTimeout(() => s.destroy(), 2000);
    s.on("close", () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

describe("protocols, faults, retries and hardening", () => {
  let web: Backend;
  let grpc: Backend;
  let mirror: Backend;
  let ws: net.Server;
  let wsPort: number;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    web = await startEchoBackend("web");
    mirror = await startEchoBackend("mirror");
    grpc = await startGrpcBackend();
    // A minimal WebSocket server: answers the upgrade, then echoes bytes.
    ws = net.createServer((s) => {
      s.on("error", () => {});
      s.once("data", (d: Buffer) => {
        const key = /sec-websocket-key: (.*)\r\n/i.exec(d.toString())?.[1] ?? "";
        const accept = crypto
          .createHash("sha1")
          .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
          .digest("base64");
        s.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        s.on("data", (m: Buffer) => s.write(m));
      });
    });
    ws.listen(0, "127.0.0.1");
    await once(ws, "listening");
    wsPort = (ws.address() as net.AddressInfo).port;
    const config: ProxyConfig = proxyConfig(
      "p1",
      [
        httpListener(
          8080,
          [
            vhost(
              "any",
              ["*"],
              [
                route("grpc", forward("outbound|50051||grpc"), {
                  match: match({ uri: { kind: "prefix", value: "/pkg.Service/" } }),
                }),
                route("ws", forward("outbound|80||ws"), {
                  match: match({ uri: { kind: "prefix", value: "/ws" } }),
                }),
                route(
                  "abort",
                  {
                    kind: "route",
                    clusters: [
                      {
                        cluster: "outbound|80||web",
                        weight: 1,
                        headers: {
                          request: { set: [], add: [], remove: [] },
                          response: { set: [], add: [], remove: [] },
                        },
                      },
                    ],
                    mirrors: [],
                  },
                  {
                    match: match({ uri: { kind: "prefix", value: "/abort" } }),
                    fault: { abort: { httpStatus: 418, percentage: 100 } },
                  },
                ),
                route("delay", forward("outbound|80||web"), {
                  match: match({ uri: { kind: "prefix", value: "/delayed" } }),
                  fault: { delay: { fixedDelayMs: 300, percentage: 100 } },
                }),
                route(
                  "retry",
                  forward("outbound|80||flaky", {
                    retries: {
                      attempts: 2,
                      retryOn: "connect-failure,5xx",
                      backoffMs: 5,
                      previousHosts: true,
                    },
                  }),
                  {
                    match: match({ uri: { kind: "prefix", value: "/retry" } }),
                  },
                ),
                route("cors", forward("outbound|80||web"), {
                  match: match({ uri: { kind: "prefix", value: "/cors" } }),
                  cors: {
                    allowOrigins: [{ kind: "exact", value: "https://app.example" }],
                    allowMethods: ["GET", "POST"],
                    allowHeaders: ["x-token"],
                    exposeHeaders: ["x-backend"],
                    maxAgeSeconds: 60,
                    allowCredentials: true,
                    unmatchedPreflights: "FORWARD",
                  },
                }),
                route(
                  "mirrored",
                  forward("outbound|80||web", {
                    mirrors: [{ cluster: "outbound|80||mirror", percentage: 100 }],
                  }),
                  {
                    match: match({ uri: { kind: "prefix", value: "/mirrored" } }),
                  },
                ),
                route("web", forward("outbound|80||web")),
              ],
            ),
          ],
          "auto",
        ),
      ],
      [
        cluster("outbound|80||web", [{ address: "127.0.0.1", port: web.port }]),
        cluster("outbound|80||mirror", [{ address: "127.0.0.1", port: mirror.port }]),
        // A `grpc` port: Istio gives its cluster HTTP/2.
        cluster("outbound|50051||grpc", [{ address: "127.0.0.1", port: grpc.port }], {
          upstreamProtocol: "HTTP/2",
        }),
        cluster("outbound|80||ws", [{ address: "127.0.0.1", port: wsPort }]),
        // One endpoint that refuses connections and one that works: round robin plus retries.
        cluster("outbound|80||flaky", [
          { address: "127.0.0.1", port: 1 },
          { address: "127.0.0.1", port: web.port },
        ]),
      ],
    );
    proxy = new GatewayProxy({
      load: async () => ({ config, messages: [] }),
      watchPaths: [],
      namespace: "istio-system",
      log: () => {},
    });
    await proxy.start();
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    await web.close();
    await mirror.close();
    await grpc.close();
    ws.close();
  });

  it("h2c with prior knowledge keeps gRPC trailers end to end", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request({
      ":method": "POST",
      ":path": "/pkg.Service/Echo",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const response = once(stream, "response") as Promise<[http2.IncomingHttpHeaders]>;
    const trailersP = once(stream, "trailers") as Promise<[http2.IncomingHttpHeaders]>;
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    const ended = once(stream, "end");
    stream.end(Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
    const [headers] = await response;
    const [trailers] = await trailersP;
    await ended;
    session.close();
    assert.deepEqual(
      [headers[":status"], headers["content-type"], headers["x-path"]],
      [200, "application/grpc", "/pkg.Service/Echo"],
    );
    assert.deepEqual(Buffer.concat(chunks), Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
    assert.deepEqual([trailers["grpc-status"], trailers["grpc-message"]], ["0", "ok"]);
  });

  it("h2c requests to HTTP/1.1 upstreams work too", async () => {
    const r = await curl(["--http2-prior-knowledge", `http://127.0.0.1:${port}/plain`]);
    assert.deepEqual([r.status, r.httpVersion, r.headers["x-backend"]], [200, "2", "web"]);
  });

  it("forwards an HTTP/2 request's :authority, not a host header that came with it, as Envoy's codec drops it", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":path": "/plain", ":authority": "a.example", host: "b.example" });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      await once(stream, "end");
      const echo = JSON.parse(Buffer.concat(chunks).toString()) as { headers: Record<string, string> };
      assert.equal(echo.headers["host"], "a.example");
    } finally {
      session.close();
    }
  });

  it("keeps the upstream's content-length for HTTP/2 clients, as Envoy does, on GET and HEAD", async () => {
    const get = await curl(["--http2-prior-knowledge", `http://127.0.0.1:${port}/plain/length`]);
    assert.deepEqual(
      [get.status, get.httpVersion, get.headers["content-length"]],
      [200, "2", String(Buffer.byteLength(get.body))],
    );
    const head = await curl(["--http2-prior-knowledge", "-I", `http://127.0.0.1:${port}/plain/length`]);
    // The echo describes the request, so its length for HEAD is that of the GET's with "HEAD".
    const headLength = Buffer.byteLength(get.body.replace('"method":"GET"', '"method":"HEAD"'));
    assert.deepEqual([head.status, head.headers["content-length"], head.body], [200, String(headLength), ""]);
  });

  it("tunnels a WebSocket upgrade", async () => {
    const s = net.connect(port, "127.0.0.1");
    await once(s, "connect");
    s.write(
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    const [head] = (await once(s, "data")) as [Buffer];
    assert.match(head.toString(), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head.toString(), /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    s.write("frame-bytes");
    const [echoed] = (await once(s, "data")) as [Buffer];
    assert.equal(echoed.toString(), "frame-bytes");
    s.destroy();
  });

  it("injects an abort with the fault's status", async () => {
    const r = await curl([`http://127.0.0.1:${port}/abort`]);
    assert.deepEqual(
      [r.status, r.body, r.headers["x-igw-error-code"]],
      [418, "fault filter abort", undefined],
    );
    assert.equal(web.hits.count >= 0, true);
  });

  it("injects a delay, then forwards", async () => {
    const t = Date.now();
    const r = await curl([`http://127.0.0.1:${port}/delayed`]);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t >= 300);
  });

  it("retries a connect failure on the next endpoint", async () => {
    for (let i = 0; i < 4; i++) {
      const r = await curl([`http://127.0.0.1:${port}/retry/${i}`]);
      assert.equal(r.status, 200);
    }
  });

  it("answers CORS preflights and decorates allowed responses", async () => {
    const pre = await curl([
      "-X",
      "OPTIONS",
      "-H",
      "Origin: https://app.example",
      "-H",
      "Access-Control-Request-Method: POST",
      `http://127.0.0.1:${port}/cors`,
    ]);
    assert.equal(pre.status, 200);
    assert.equal(pre.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(pre.headers["access-control-allow-methods"], "GET,POST");
    assert.equal(pre.headers["access-control-allow-headers"], "x-token");
    assert.equal(pre.headers["access-control-max-age"], "60");
    const get = await curl(["-H", "Origin: https://app.example", `http://127.0.0.1:${port}/cors`]);
    assert.equal(get.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(get.headers["access-control-expose-headers"], "x-backend");
    const other = await curl(["-H", "Origin: https://evil.example", `http://127.0.0.1:${port}/cors`]);
    assert.equal(other.headers["access-control-allow-origin"], undefined);
  });

  it("mirrors requests fire and forget", async () => {
    const before = mirror.hits.count;
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/mirrored`]);
    assert.equal(r.headers["x-backend"], "web");
    const until = Date.now() + 2000;
    while (mirror.hits.count === before && Date.now() < until)
      await new Promise((res) => setTimeout(res, 20));
    assert.equal(mirror.hits.count, before + 1);
  });

  const hostile: [string, string, RegExp][] = [
    [
      "conflicting Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "two Content-Length values",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "a header block over the limit",
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`,
      /^HTTP\/1\.1 431 /,
    ],
    ["binary garbage", "\u0000\u0001\u0002\u00ff\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["a request without Host", "GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
  ];
  for (const [name, bytes, want] of hostile) {
    it(`refuses ${name} and keeps serving`, async () => {
      const out = await raw(port, bytes);
      assert.match(out, want);
      assert.equal((await curl([`http://127.0.0.1:${port}/after`])).status, 200);
    });
  }

  it("refuses more request headers than the limit with 431, as Envoy does, and keeps serving", async () => {
    const headers = Array.from({ length: 150 }, (_, i) => `X-H${i}: v`).join("\r\n");
    const out = await raw(port, `GET /many HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(out, /\r\nx-igw-error-code: IGW_ERR_HEADERS_TOO_LARGE\r\n/);
    assert.equal((await curl([`http://127.0.0.1:${port}/after`])).status, 200);
  });

  it("uses HTTP/1.1 keep-alive downstream", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((res) => {
        http.get(`http://127.0.0.1:${port}/ka`, { agent }, (r) => {
          ports.add(r.socket.localPort ?? 0);
          r.resume();
          r.on("end", res);
        });
      });
    }
    agent.destroy();
    assert.equal(ports.size, 1);
  });
});
