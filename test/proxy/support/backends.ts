/**
 * Upstreams for proxy tests, on loopback port 0: an HTTP echo server (answers JSON describing the
 * request, or the status a `/status/<code>` path asks for, as httpbin does), a TCP echo server and
 * an HTTP/2 (h2c) server answering gRPC-style with trailers.
 */
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { freePort } from "../../../provider/src/local/free-port";

/** A started server and how to stop it. */
export interface Backend {
  /** The port. */
  readonly port: number;
  /** Requests served. */
  readonly hits: { count: number };
  /** Stops it. */
  close(): Promise<void>;
}

/** What the echo server answers. */
export interface Echo {
  /** The backend's name. */
  name: string;
  /** Method. */
  method: string;
  /** Path with query. */
  url: string;
  /** Request headers. */
  headers: http.IncomingHttpHeaders;
  /** Body bytes received. */
  bodyLength: number;
}

/**
 * Starts `server` on a free loopback port: its port, and what stops it (open connections first,
 * so keep-alive clients do not hold the close up), running `beforeClose` (timers to clear) first.
 */
export async function listenOnLoopback(
  server: http.Server,
  beforeClose: () => void = () => {},
): Promise<{ port: number; close(): Promise<void> }> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        beforeClose();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * An HTTP/1.1 echo server named `name`. `/status/<n>` answers n; `/delay/<ms>` waits first. Each
 * request, described as the echo describes it, is also pushed to `seen` when given: what a client
 * never reads, a mirrored request's, shows there.
 */
export async function startEchoBackend(name: string, seen?: Echo[]): Promise<Backend> {
  const hits = { count: 0 };
  const server = http.createServer((req, res) => {
    hits.count++;
    let bodyLength = 0;
    req.on("data", (c: Buffer) => (bodyLength += c.length));
    req.on("end", () => {
      const url = req.url ?? "/";
      const echo: Echo = { name, method: req.method ?? "", url, headers: req.headers, bodyLength };
      seen?.push(echo);
      const status = /\/status\/(\d{3})/.exec(url);
      const delay = /\/delay\/(\d+)/.exec(url);
      const answer = () => {
        if (status !== null) {
          res.writeHead(Number(status[1]), { "x-backend": name, "content-type": "text/plain" });
          res.end(`${name} ${status[1]}\n`);
          return;
        }
        const body = JSON.stringify(echo);
        res.writeHead(200, {
          "x-backend": name,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        });
        res.end(body);
      };
      if (delay !== null) setTimeout(answer, Number(delay[1]));
      else answer();
    });
  });
  server.keepAliveTimeout = 5000;
  return { ...(await listenOnLoopback(server)), hits };
}

/** Runs the server `create` makes, answering each socket with `<prefix>` and what it reads. */
async function startEchoServer(
  prefix: string,
  create: (onSocket: (s: net.Socket) => void) => net.Server,
): Promise<Backend> {
  const hits = { count: 0 };
  const sockets = new Set<net.Socket>();
  const server = create((s) => {
    hits.count++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.on("data", (d) => s.write(Buffer.concat([Buffer.from(prefix), d])));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A TCP server that writes back `<prefix>` followed by what it reads. */
export function startTcpEcho(prefix: string): Promise<Backend> {
  return startEchoServer(prefix, (onSocket) => net.createServer(onSocket));
}

/** An h2c server answering every request gRPC-style: body echoed, `grpc-status: 0` in trailers. */
export async function startGrpcBackend(): Promise<Backend> {
  const hits = { count: 0 };
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    hits.count++;
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "x-path": String(headers[":path"]) },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "ok" }));
      stream.end(Buffer.concat(chunks));
    });
  });
  server.on("session", (s) => s.on("error", () => {}));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A TLS server (certificate `cert`) that writes back `<prefix>` followed by what it reads. */
export function startTlsEcho(prefix: string, cert: string, key: string): Promise<Backend> {
  return startEchoServer(prefix, (onSocket) => tls.createServer({ cert, key }, onSocket));
}

/**
 * A loopback port nothing listens on: connecting to it is refused. It is taken below the kernel's
 * ephemeral range, so that no other test's `listen(0)` is given it while this test relies on it.
 */
export async function refusingPort(): Promise<number> {
  return await freePort();
}
