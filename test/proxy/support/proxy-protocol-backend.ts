/**
 * Upstreams that take a PROXY protocol header before anything else, as HAProxy's `accept-proxy` or
 * nginx's `listen ... proxy_protocol` do: an HTTP echo (plain, or TLS after the header) and a TCP
 * echo. Each records, per connection, the header it read; a connection without a whole, valid
 * header is closed. The parser here is the test's own, written from HAProxy's proxy-protocol.txt,
 * so that the proxy's headers are checked by something other than the proxy's code.
 */
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { Duplex } from "node:stream";
import tls from "node:tls";

/** What one upstream connection started with. */
export interface SeenHeader {
  /** `v1` or `v2`. */
  readonly version: "v1" | "v2";
  /** `PROXY TCP4 ...` (v1, without CRLF), or `PROXY TCP4|TCP6 ...`, rebuilt from a v2 header. */
  readonly line: string;
}

/** One upstream connection and the requests (HTTP) or bytes (TCP) it carried. */
export interface SeenConnection {
  /** Its header. */
  readonly header: SeenHeader;
  /** Request paths, in order (HTTP). */
  readonly paths: string[];
  /** Whether TLS was spoken after the header. */
  readonly tls: boolean;
}

/** A started backend. */
export interface ProxyProtocolBackend {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every connection, in the order they came. */
  readonly connections: SeenConnection[];
  /** Connections closed for a missing or malformed header. */
  readonly refused: { count: number };
  /** Stops it. */
  close(): Promise<void>;
}

const V2_SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** The header at the start of `buf`: parsed with its length, "more" when incomplete, undefined when invalid. */
export function readHeader(buf: Buffer): { header: SeenHeader; length: number } | "more" | undefined {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) {
    if (buf.length < 16) return "more";
    const length = 16 + buf.readUInt16BE(14);
    if (buf.length < length) return "more";
    if (buf[12] !== 0x21) return undefined;
    const family = buf[13];
    if (family === 0x11 && length >= 28) {
      const ip = (at: number) => [...buf.subarray(at, at + 4)].join(".");
      const line = `PROXY TCP4 ${ip(16)} ${ip(20)} ${buf.readUInt16BE(24)} ${buf.readUInt16BE(26)}`;
      return { header: { version: "v2", line }, length };
    }
    if (family === 0x21 && length >= 52) {
      const ip = (at: number) =>
        new net.SocketAddress({
          address: Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(at + 2 * i).toString(16)).join(":"),
          family: "ipv6",
        }).address;
      const line = `PROXY TCP6 ${ip(16)} ${ip(32)} ${buf.readUInt16BE(48)} ${buf.readUInt16BE(50)}`;
      return { header: { version: "v2", line }, length };
    }
    return undefined;
  }
  const end = buf.indexOf("\r\n");
  if (end < 0) return buf.length >= 108 ? undefined : "more";
  const line = buf.toString("latin1", 0, end);
  const ok =
    /^PROXY TCP4 (\d{1,3}\.){3}\d{1,3} (\d{1,3}\.){3}\d{1,3} \d{1,5} \d{1,5}$/.test(line) ||
    /^PROXY TCP6 [0-9a-f:.]+ [0-9a-f:.]+ \d{1,5} \d{1,5}$/.test(line);
  return ok ? { header: { version: "v1", line }, length: end + 2 } : undefined;
}

/**
 * Reads the header off each connection of `server`, then hands the connection to `serve` with
 * the bytes past the header put back; a connection without a valid header is counted and closed.
 */
async function startHeaderServer(
  serve: (socket: net.Socket, seen: SeenConnection) => void,
  tlsOptions?: tls.SecureContextOptions,
): Promise<ProxyProtocolBackend> {
  const connections: SeenConnection[] = [];
  const refused = { count: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const got = readHeader(buf);
      if (got === "more") return;
      socket.off("data", onData);
      socket.pause();
      if (got === undefined) {
        refused.count++;
        return void socket.destroy();
      }
      const seen: SeenConnection = { header: got.header, paths: [], tls: tlsOptions !== undefined };
      connections.push(seen);
      if (buf.length > got.length) socket.unshift(buf.subarray(got.length));
      if (tlsOptions === undefined) return serve(socket, seen);
      const secure = new tls.TLSSocket(socket, { isServer: true, ...tlsOptions });
      secure.on("error", () => {});
      serve(secure, seen);
    };
    socket.on("data", onData);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    refused,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * An HTTP/1.1 echo behind a PROXY protocol header (and TLS after it, with `tlsOptions`): it
 * answers each request with JSON `{header, path, xff}`, and keeps its connections alive.
 */
export function startProxyProtocolHttpBackend(
  tlsOptions?: tls.SecureContextOptions,
): Promise<ProxyProtocolBackend> {
  const http1 = http.createServer((req, res) => {
    const conn = seenOf(req.socket);
    conn?.paths.push(req.url ?? "");
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({
        header: conn?.header.line,
        path: req.url,
        xff: req.headers["x-forwarded-for"],
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  http1.keepAliveTimeout = 10_000;
  return startHeaderServer((socket, seen) => {
    SEEN.set(socket, seen);
    http1.emit("connection", socket);
    socket.resume();
  }, tlsOptions);
}

/** The connection each socket handed to the HTTP server is. */
const SEEN = new WeakMap<object, SeenConnection>();

function seenOf(socket: unknown): SeenConnection | undefined {
  return typeof socket === "object" && socket !== null ? SEEN.get(socket) : undefined;
}

/** The same answers over h2c (prior knowledge), behind a PROXY protocol header. */
export function startProxyProtocolH2cBackend(): Promise<ProxyProtocolBackend> {
  const h2 = http2.createServer();
  let arriving: SeenConnection | undefined;
  h2.on("session", (session: http2.ServerHttp2Session) => {
    if (arriving !== undefined) SEEN.set(session, arriving);
  });
  h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const conn = seenOf(stream.session);
    const path = headers[":path"] ?? "";
    conn?.paths.push(path);
    stream.resume();
    stream.on("end", () => {
      const body = JSON.stringify({ header: conn?.header.line, path, xff: headers["x-forwarded-for"] });
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(body);
    });
  });
  return startHeaderServer((socket, seen) => {
    // node:http2 makes the session as the connection is handed over.
    arriving = seen;
    h2.emit("connection", streamOf(socket));
    arriving = undefined;
  });
}

/**
 * `socket` as a stream of its own, bytes put back into it included: node:http2 reads a socket's
 * native handle, past what JavaScript already read from it.
 */
function streamOf(socket: net.Socket): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (err, done) => {
      socket.destroy();
      done(err);
    },
  });
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  return stream;
}

/** A TCP echo behind a PROXY protocol header: writes back `<header line> | ` and what it reads. */
export function startProxyProtocolTcpBackend(): Promise<ProxyProtocolBackend> {
  return startHeaderServer((socket, seen) => {
    socket.on("data", (d: Buffer) => socket.write(Buffer.concat([Buffer.from(`${seen.header.line} | `), d])));
    socket.resume();
  });
}
