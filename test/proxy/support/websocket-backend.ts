/**
 * A WebSocket echo server of its own, on plain TCP or TLS: it checks nothing but answers the
 * handshake with the accept key, echoes every text frame unmasked, answers a close frame with the
 * same close frame and ends. On `/ws/reset` it resets the connection at the first frame instead.
 * Each handshake is recorded with the SNI the client sent, for suites on upstream TLS.
 */
import crypto from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** One WebSocket frame: FIN, `opcode`, masked with `mask` when given (clients must mask). */
export function frame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, (mask === undefined ? 0 : 0x80) | payload.length])
      : Buffer.from([
          0x80 | opcode,
          (mask === undefined ? 0 : 0x80) | 126,
          payload.length >> 8,
          payload.length & 0xff,
        ]);
  if (mask === undefined) return Buffer.concat([head, payload]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, masked]);
}

/** The first frame of `bytes` (payloads under 64 KiB), unmasked; undefined until it is all there. */
export function parseFrame(bytes: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (bytes.length < 2) return undefined;
  const masked = (bytes[1]! & 0x80) !== 0;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  }
  const maskAt = offset;
  if (masked) offset += 4;
  if (bytes.length < offset + length) return undefined;
  const raw = bytes.subarray(offset, offset + length);
  const payload = masked ? Buffer.from(raw.map((b, i) => b ^ bytes[maskAt + (i % 4)]!)) : Buffer.from(raw);
  return { opcode: bytes[0]! & 0x0f, payload, length: offset + length };
}

/** A handshake the backend answered. */
export interface Handshake {
  /** The request line's target. */
  readonly path: string;
  /** The Host header. */
  readonly host: string;
  /** The SNI of a TLS connection (`false` when the client sent none); undefined on plain TCP. */
  readonly servername?: string | false;
}

/** A started WebSocket backend. */
export interface WebSocketBackend {
  /** The port. */
  readonly port: number;
  /** Handshakes answered, in order. */
  readonly handshakes: Handshake[];
  /** Connections open now. */
  readonly open: () => number;
  /** Stops it, dropping every connection. */
  close(): void;
}

/** Starts a WebSocket echo backend on loopback; over TLS with `tlsOptions`. */
export async function startWebSocketBackend(tlsOptions?: {
  cert: string;
  key: string;
}): Promise<WebSocketBackend> {
  const sockets = new Set<net.Socket>();
  const handshakes: Handshake[] = [];
  const serve = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    let pending: Buffer = Buffer.alloc(0);
    let reset = false;
    const onHead = (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.removeListener("data", onHead);
      const request = pending.subarray(0, end).toString("latin1");
      pending = pending.subarray(end + 4);
      const path = request.split(" ")[1] ?? "";
      const header = (name: string) => new RegExp(`\r\n${name}: *([^\r]*)`, "i").exec(request)?.[1] ?? "";
      handshakes.push({
        path,
        host: header("host"),
        ...(s instanceof tls.TLSSocket
          ? { servername: (s as tls.TLSSocket & { servername: string | false }).servername }
          : {}),
      });
      const accept = crypto
        .createHash("sha1")
        .update(header("sec-websocket-key") + GUID)
        .digest("base64");
      s.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Upstream: ws\r\n\r\n`,
      );
      reset = path === "/ws/reset";
      s.on("data", onFrames);
      if (pending.length > 0) onFrames(Buffer.alloc(0));
    };
    const onFrames = (d: Buffer) => {
      if (reset) return void s.resetAndDestroy();
      pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
      for (let f = parseFrame(pending); f !== undefined; f = parseFrame(pending)) {
        pending = pending.subarray(f.length);
        if (f.opcode === 8) {
          s.end(frame(8, f.payload));
          return;
        }
        if (f.opcode === 1) s.write(frame(1, f.payload));
      }
    };
    s.on("data", onHead);
  };
  const server = tlsOptions === undefined ? net.createServer(serve) : tls.createServer(tlsOptions, serve);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    handshakes,
    open: () => sockets.size,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
