/**
 * The proxy's HTTP/1.1 upstream pool on real loopback sockets: connection reuse and its limits,
 * the response framings HTTP/1.1 has, failures told as the proxy's error codes, backpressure both
 * ways, and TLS with session resumption.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { PassThrough, Readable } from "node:stream";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { ProxyError } from "../../provider/src/proxy/errors";
import type { HeaderMap } from "../../provider/src/proxy/router/header-operations";
import { Http1Pool, type Http1Handler } from "../../provider/src/proxy/upstream/http1-pool";
import { refusingPort } from "./support/backends";
import { TestPki } from "./support/certs";

/** What one exchange gave: the response, or the failure's code. */
interface Outcome {
  status?: number;
  headers?: string[];
  body?: string;
  trailers?: string[] | null;
  error?: string;
}

/** A handler collecting one exchange; `onData` may be replaced to test backpressure. */
class Collector implements Http1Handler {
  readonly outcome: Outcome = {};
  readonly done: Promise<Outcome>;
  abort: ((err: Error) => void) | undefined;
  resume: (() => void) | undefined;
  chunks: Buffer[] = [];
  pauseOnData = false;
  private settle!: (o: Outcome) => void;

  constructor() {
    this.done = new Promise((r) => (this.settle = r));
  }

  onConnect(abort: (err: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void): boolean {
    this.outcome.status = statusCode;
    this.outcome.headers = rawHeaders;
    this.resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return !this.pauseOnData;
  }

  onComplete(rawTrailers: string[] | null): void {
    this.outcome.body = Buffer.concat(this.chunks).toString("latin1");
    this.outcome.trailers = rawTrailers;
    this.settle(this.outcome);
  }

  onError(err: Error): void {
    this.outcome.error = err instanceof ProxyError ? err.code : String((err as { code?: unknown }).code);
    this.settle(this.outcome);
  }
}

function send(
  pool: Http1Pool,
  path = "/",
  extra: { method?: string; headers?: HeaderMap; body?: Readable } = {},
): Collector {
  const c = new Collector();
  pool.dispatch(
    {
      method: extra.method ?? "GET",
      path,
      headers: { host: "upstream.test", ...extra.headers },
      body: extra.body ?? null,
    },
    c,
  );
  return c;
}

/**
 * A raw HTTP/1.1 server: `respond` writes whatever it likes for each request head read (bodies
 * are not read). It counts connections opened and closed.
 */
class RawServer {
  readonly server: net.Server;
  opened = 0;
  closed = 0;
  readonly heads: string[] = [];
  readonly sockets = new Set<net.Socket>();

  constructor(respond: (socket: net.Socket, head: string, n: number) => void) {
    this.server = net.createServer((socket) => {
      this.opened++;
      this.sockets.add(socket);
      socket.on("close", () => {
        this.closed++;
        this.sockets.delete(socket);
      });
      socket.on("error", () => {});
      let seen = "";
      socket.on("data", (d: Buffer) => {
        seen += d.toString("latin1");
        let end = seen.indexOf("\r\n\r\n");
        while (end >= 0) {
          const head = seen.slice(0, end + 4);
          seen = seen.slice(end + 4);
          this.heads.push(head);
          respond(socket, head, this.heads.length);
          end = seen.indexOf("\r\n\r\n");
        }
      });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

function pool(port: number, options: Partial<ConstructorParameters<typeof Http1Pool>[2]> = {}): Http1Pool {
  return new Http1Pool("127.0.0.1", port, {
    connectTimeoutMs: 1000,
    idleTimeoutMs: 60_000,
    maxRequestsPerConnection: 0,
    tls: undefined,
    ...options,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Http1Pool: connection reuse", () => {
  let server: RawServer;
  let port: number;
  before(async () => {
    server = new RawServer((socket, head) => {
      if (head.startsWith("GET /close "))
        socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
      else if (head.startsWith("GET /hint "))
        socket.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok");
      else socket.write(OK);
    });
    port = await server.listen();
  });
  after(() => server.close());

  const fresh = async () => {
    while (server.sockets.size > 0) await sleep(5);
    server.opened = 0;
    server.closed = 0;
    server.heads.length = 0;
  };

  it("sends one request after another on one keep-alive connection, the head exactly as given", async () => {
    await fresh();
    const p = pool(port);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await send(p, `/n${i}`, { headers: { "x-n": String(i) } }).done, {
        status: 200,
        headers: ["Content-Length", "2"],
        body: "ok",
        trailers: null,
      });
    }
    assert.deepEqual([server.opened, p.connections], [1, 1]);
    assert.equal(server.heads[2], "GET /n2 HTTP/1.1\r\nhost: upstream.test\r\nx-n: 2\r\n\r\n");
    p.destroy();
  });

  it("opens one connection per concurrent request and reuses them after", async () => {
    await fresh();
    const p = pool(port);
    await Promise.all([send(p).done, send(p).done, send(p).done]);
    await Promise.all([send(p).done, send(p).done, send(p).done]);
    assert.deepEqual([server.opened, p.connections], [3, 3]);
    p.destroy();
  });

  it("closes a connection the server answers with Connection: close", async () => {
    await fresh();
    const p = pool(port);
    assert.equal((await send(p, "/close").done).status, 200);
    assert.equal((await send(p).done).status, 200);
    assert.equal(server.opened, 2);
    p.destroy();
  });

  it("closes a connection after maxRequestsPerConnection requests", async () => {
    await fresh();
    const p = pool(port, { maxRequestsPerConnection: 2 });
    for (let i = 0; i < 5; i++) assert.equal((await send(p).done).status, 200);
    assert.equal(server.opened, 3);
    p.destroy();
  });

  it("closes an idle connection after the idle timeout", async () => {
    await fresh();
    const p = pool(port, { idleTimeoutMs: 100 });
    assert.equal((await send(p).done).status, 200);
    await sleep(400);
    assert.deepEqual([server.opened, server.closed, p.connections], [1, 1, 0]);
    p.destroy();
  });

  it("takes no more requests on a connection at maxConnectionDurationMs, and closes it when idle", async () => {
    await fresh();
    const p = pool(port, { maxConnectionDurationMs: 150 });
    assert.equal((await send(p).done).status, 200);
    assert.equal((await send(p).done).status, 200);
    assert.equal(server.opened, 1);
    await sleep(300);
    assert.deepEqual([server.closed, p.connections], [1, 0]);
    assert.equal((await send(p).done).status, 200);
    assert.equal(server.opened, 2);
    p.destroy();
  });

  it("trusts a server's Keep-Alive timeout less a second: timeout=1 means no reuse", async () => {
    await fresh();
    const p = pool(port);
    assert.equal((await send(p, "/hint").done).status, 200);
    await sleep(20);
    assert.equal((await send(p, "/hint").done).status, 200);
    assert.equal(server.opened, 2);
    p.destroy();
  });

  it("sees the server close an idle connection and opens a new one for the next request", async () => {
    await fresh();
    const p = pool(port);
    assert.equal((await send(p).done).status, 200);
    for (const s of server.sockets) s.end();
    await sleep(50);
    assert.equal(p.connections, 0);
    assert.equal((await send(p).done).status, 200);
    assert.equal(server.opened, 2);
    p.destroy();
  });

  it("retired: closes idle connections at once, a busy one when its exchange ends, and keeps none after", async () => {
    await fresh();
    const slowServer = new RawServer((socket, head) => {
      if (head.startsWith("GET /slow ")) setTimeout(() => socket.write(OK), 100);
      else socket.write(OK);
    });
    const p = pool(await slowServer.listen());
    const busy = send(p, "/slow");
    assert.equal((await send(p).done).status, 200);
    await sleep(30);
    assert.equal(p.connections, 2);
    p.retire();
    await sleep(30);
    assert.deepEqual([slowServer.closed, p.connections], [1, 1]);
    assert.equal((await busy.done).status, 200);
    await sleep(30);
    assert.deepEqual([slowServer.closed, p.connections], [2, 0]);
    // A late request (a retry of the previous configuration) still goes, on a connection of its own.
    assert.equal((await send(p).done).status, 200);
    await sleep(30);
    assert.deepEqual([slowServer.opened, slowServer.closed, p.connections], [3, 3, 0]);
    p.destroy();
    slowServer.close();
  });

  it("refuses requests once destroyed, and fails the one in flight as a reset", async () => {
    await fresh();
    const slow = new RawServer(() => {});
    const p = pool(await slow.listen());
    const inFlight = send(p);
    await sleep(50);
    p.destroy();
    assert.equal((await inFlight.done).error, "IGW_ERR_UPSTREAM_RESET");
    assert.equal((await send(p).done).error, "IGW_ERR_UPSTREAM_CONNECT");
    slow.close();
  });
});

describe("Http1Pool: response framing", () => {
  let server: RawServer;
  let p: Http1Pool;
  before(async () => {
    const manyHeaders = Array.from({ length: 40 }, (_, i) => `X-${i}: v${i}\r\n`).join("");
    server = new RawServer((socket, head) => {
      const path = head.slice(head.indexOf(" ") + 1, head.indexOf(" HTTP/"));
      switch (path) {
        case "/head":
          return socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        case "/continue":
          return socket.write(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK,
          );
        case "/trailers":
          return socket.write(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n" +
              "3\r\nabc\r\n2\r\nde\r\n0\r\ngrpc-status: 0\r\nX-T: 1\r\n\r\n",
          );
        case "/many":
          return socket.write(`HTTP/1.1 204 No Content\r\n${manyHeaders}\r\n`);
        case "/until-close":
          socket.write("HTTP/1.1 200 OK\r\n\r\nall of ");
          return void setTimeout(() => socket.end("it"), 20);
        case "/cut":
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
          return void setTimeout(() => socket.destroy(), 20);
        case "/hang-up":
          return socket.destroy();
        case "/garbage":
          return socket.write("HTTP/1.1 2OO OK\r\n\r\n");
        case "/smuggle":
          return socket.write(
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          );
        case "/switch":
          return socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
          );
        case "/not-modified":
          return socket.write("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
        case "/extra":
          // One write, so one read: a second response after the body, which no request asked for.
          return socket.write(OK + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        case "/big-head":
          return socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(90_000)}\r\nContent-Length: 0\r\n\r\n`);
        case "/large-head":
          // Envoy takes response heads up to 80 KiB: a large set-cookie or CSP passes.
          return socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(60_000)}\r\nContent-Length: 0\r\n\r\n`);
        case "/too-many":
          return socket.write(`HTTP/1.1 200 OK\r\n${"X-H: v\r\n".repeat(100)}Content-Length: 0\r\n\r\n`);
        case "/no-content-body":
          return socket.write("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello");
        case "/no-content-chunked":
          return socket.write("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        case "/no-content-zero":
          return socket.write("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Ok: 1\r\n\r\n");
        default:
          return socket.write(OK);
      }
    });
    p = pool(await server.listen());
  });
  after(() => {
    p.destroy();
    server.close();
  });

  const noBody: [string, string, "GET" | "HEAD", number, string][] = [
    ["a HEAD request's head", "/head", "HEAD", 200, "1000"],
    ["a 304's head whatever its content-length", "/not-modified", "GET", 304, "5"],
  ];
  for (const [what, path, method, status, length] of noBody) {
    it(`reads no body after ${what}, and the connection carries the next request`, async () => {
      assert.deepEqual(await send(p, path, { method }).done, {
        status,
        headers: ["Content-Length", length],
        body: "",
        trailers: null,
      });
      const opened = server.opened;
      assert.equal((await send(p).done).body, "ok");
      assert.equal(server.opened, opened);
    });
  }

  it("completes an exchange whose body is followed by bytes no request asked for, then drops the connection", async () => {
    const closed = server.closed;
    assert.deepEqual(await send(p, "/extra").done, {
      status: 200,
      headers: ["Content-Length", "2"],
      body: "ok",
      trailers: null,
    });
    await sleep(20);
    assert.equal(server.closed, closed + 1);
    const opened = server.opened;
    assert.equal((await send(p).done).body, "ok");
    assert.equal(server.opened, opened + 1);
  });

  it("skips 1xx responses and hands over the final one", async () => {
    assert.deepEqual(await send(p, "/continue").done, {
      status: 200,
      headers: ["Content-Length", "2"],
      body: "ok",
      trailers: null,
    });
  });

  it("hands over a chunked body whole and its trailers as sent", async () => {
    const o = await send(p, "/trailers").done;
    assert.deepEqual([o.body, o.trailers], ["abcde", ["grpc-status", "0", "X-T", "1"]]);
  });

  it("hands over every header of a head with more than llhttp's batch of 32", async () => {
    const o = await send(p, "/many").done;
    assert.equal(o.status, 204);
    assert.deepEqual(o.headers, Array.from({ length: 40 }, (_, i) => [`X-${i}`, `v${i}`]).flat());
  });

  it("takes a head up to Envoy's 80 KiB, and a 204's content-length: 0 without passing it on", async () => {
    const large = await send(p, "/large-head").done;
    assert.deepEqual([large.status, (large.headers?.[1] ?? "").length], [200, 60_000]);
    const zero = await send(p, "/no-content-zero").done;
    assert.deepEqual([zero.status, zero.headers], [204, ["X-Ok", "1"]]);
  });

  it("completes a body delimited by the connection's close", async () => {
    assert.deepEqual((await send(p, "/until-close").done).body, "all of it");
  });

  const failures: [string, string][] = [
    ["/cut", "IGW_ERR_UPSTREAM_RESET"],
    ["/hang-up", "IGW_ERR_UPSTREAM_RESET"],
    ["/garbage", "IGW_ERR_UPSTREAM_PROTOCOL"],
    ["/smuggle", "IGW_ERR_UPSTREAM_PROTOCOL"],
    ["/switch", "IGW_ERR_UPSTREAM_PROTOCOL"],
    ["/big-head", "IGW_ERR_UPSTREAM_PROTOCOL"],
    // Envoy's codec: at most 100 headers, and a 204 that says it has a body is malformed.
    ["/too-many", "IGW_ERR_UPSTREAM_PROTOCOL"],
    ["/no-content-body", "IGW_ERR_UPSTREAM_PROTOCOL"],
    ["/no-content-chunked", "IGW_ERR_UPSTREAM_PROTOCOL"],
  ];
  for (const [path, code] of failures) {
    it(`fails ${path} with ${code}`, async () => {
      const o = await send(p, path).done;
      assert.equal(o.error, code, JSON.stringify(o));
    });
  }

  it("fails a refused connection with IGW_ERR_UPSTREAM_CONNECT", async () => {
    const refused = pool(await refusingPort());
    assert.equal((await send(refused).done).error, "IGW_ERR_UPSTREAM_CONNECT");
    refused.destroy();
  });

  it("fails a TLS handshake that never finishes with IGW_ERR_UPSTREAM_CONNECT at the connect timeout", async () => {
    const silent = new RawServer(() => {});
    const tlsPool = pool(await silent.listen(), {
      connectTimeoutMs: 100,
      tls: { rejectUnauthorized: false },
    });
    const started = Date.now();
    assert.equal((await send(tlsPool).done).error, "IGW_ERR_UPSTREAM_CONNECT");
    const took = Date.now() - started;
    assert.ok(took >= 90 && took < 2000, `took ${took} ms`);
    tlsPool.destroy();
    silent.close();
  });

  it("refuses a header value with a line break before anything is sent", () => {
    const heads = server.heads.length;
    assert.throws(() => send(p, "/", { headers: { "x-a": "1\r\nx-b: 2" } }), /x-a/);
    assert.equal(server.heads.length, heads);
  });
});

describe("Http1Pool: bodies and backpressure", () => {
  let server: http.Server;
  let port: number;
  /** Per request: method, framing headers and a digest of the body as the server read it. */
  const seen: { framing: string; bytes: number; sha: string }[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      req.on("data", (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      req.on("end", () => {
        seen.push({
          framing: req.headers["transfer-encoding"] ?? `length ${req.headers["content-length"]}`,
          bytes,
          sha: hash.digest("hex"),
        });
        if (req.url === "/stream") {
          res.writeHead(200, { "content-type": "text/plain" });
          res.write("first;");
          setTimeout(() => res.end("second"), 100);
          return;
        }
        res.end("done");
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  const payload = Buffer.alloc(4 * 1024 * 1024, "0123456789abcdef");
  const sha = createHash("sha256").update(payload).digest("hex");
  /** The payload in 64 KiB pieces, as a stream. */
  const pieces = () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < payload.length; i += 65536) yield payload.subarray(i, i + 65536);
      })(),
    );

  it("streams a body of unknown length chunked, and one with a content-length as is", async () => {
    seen.length = 0;
    const p = pool(port);
    assert.equal((await send(p, "/", { method: "POST", body: pieces() }).done).body, "done");
    assert.equal(
      (
        await send(p, "/", {
          method: "PUT",
          body: pieces(),
          headers: { "content-length": String(payload.length) },
        }).done
      ).body,
      "done",
    );
    assert.deepEqual(seen, [
      { framing: "chunked", bytes: payload.length, sha },
      { framing: `length ${payload.length}`, bytes: payload.length, sha },
    ]);
    assert.equal(p.connections, 1);
    p.destroy();
  });

  it("fails the exchange as a reset when its body is destroyed before its end", async () => {
    const p = pool(port);
    const body = new PassThrough();
    const c = send(p, "/", { method: "POST", body });
    body.write("part");
    await sleep(50);
    body.destroy();
    assert.equal((await c.done).error, "IGW_ERR_UPSTREAM_RESET");
    await sleep(20);
    assert.equal(p.connections, 0);
    p.destroy();
  });

  it("stops reading the response while the handler holds back, and goes on at resume", async () => {
    const p = pool(port);
    const c = send(p, "/stream");
    c.pauseOnData = true;
    await sleep(300);
    assert.deepEqual(
      c.chunks.map((b) => b.toString()),
      ["first;"],
    );
    c.pauseOnData = false;
    c.resume!();
    const o = await c.done;
    assert.equal(o.body, "first;second");
    p.destroy();
  });

  it("aborts an exchange with the error given, and the connection is not reused", async () => {
    const p = pool(port);
    const c = send(p, "/stream");
    await sleep(50);
    c.abort!(new ProxyError("IGW_ERR_UPSTREAM_TIMEOUT", "per-try timeout"));
    assert.equal((await c.done).error, "IGW_ERR_UPSTREAM_TIMEOUT");
    await sleep(20);
    assert.equal(p.connections, 0);
    p.destroy();
  });
});

describe("Http1Pool: TLS", () => {
  const pki = new TestPki();
  const cert = pki.issue("upstream.test", ["DNS:upstream.test"]);
  let server: tls.Server;
  let port: number;
  const resumed: boolean[] = [];
  before(async () => {
    server = tls.createServer({ cert: cert.cert, key: cert.key }, (socket) => {
      resumed.push(socket.isSessionReused());
      socket.on("error", () => {});
      socket.on("data", () => socket.write(OK));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    server.close();
    pki.dispose();
  });

  it("verifies the server against the CA by SNI and resumes the TLS session on the next connection", async () => {
    const p = pool(port, {
      maxRequestsPerConnection: 1,
      tls: { ca: pki.ca.cert, servername: "upstream.test" },
    });
    assert.equal((await send(p).done).body, "ok");
    await sleep(50); // TLS 1.3 hands the session over after the handshake
    assert.equal((await send(p).done).body, "ok");
    assert.deepEqual(resumed, [false, true]);
    p.destroy();
  });

  it("fails a certificate the CA did not sign with IGW_ERR_UPSTREAM_CONNECT", async () => {
    const other = new TestPki("other-ca");
    const p = pool(port, { tls: { ca: other.ca.cert, servername: "upstream.test" } });
    assert.equal((await send(p).done).error, "IGW_ERR_UPSTREAM_CONNECT");
    p.destroy();
    other.dispose();
  });
});
