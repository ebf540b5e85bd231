/**
 * A raw HTTP/1.1 client for conformance tests: it writes exactly the bytes it is given on a plain
 * or TLS socket, collects every byte the server sends, and parses the responses in sequence
 * (Content-Length, chunked with trailers, or until close), so pipelining and framing are seen
 * byte for byte. Every wait is bounded: a server that stops answering fails the test.
 */
import net from "node:net";
import tls from "node:tls";
import { fieldValues } from "./http1-response-parser";

/** One response as it came on the wire. */
export interface RawResponse {
  /** The version in the status line (`HTTP/1.1`). */
  readonly version: string;
  /** The status code. */
  readonly status: number;
  /** The reason phrase. */
  readonly reason: string;
  /** The header fields in order, names lower-cased, values trimmed. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body after transfer decoding. */
  readonly body: Buffer;
  /** Whether the body came chunked. */
  readonly chunked: boolean;
  /** The trailer fields of a chunked body, names lower-cased. */
  readonly trailers: readonly (readonly [string, string])[];
  /** The exact bytes of this response. */
  readonly raw: Buffer;
}

/** The value of `name` in `fields` (repeated fields joined with `, `), or undefined. */
export function field(fields: readonly (readonly [string, string])[], name: string): string | undefined {
  const values = fieldValues(fields, name);
  return values.length === 0 ? undefined : values.join(", ");
}

/** How {@link RawClient.readResponse} frames the body. */
export interface ReadOptions {
  /** The response answers a HEAD request: no body whatever the headers say. */
  readonly head?: boolean;
  /** Give up after this long, ms (default 5000). */
  readonly timeoutMs?: number;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

function parseFields(lines: string[]): [string, string][] {
  return lines.map((line) => {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  });
}

/**
 * Parses one response from the start of `buf`: the response and the bytes it used, or undefined
 * while more bytes are needed. `eof` says the peer has finished sending (a body framed by close
 * ends there).
 */
export function parseResponse(
  buf: Buffer,
  head: boolean,
  eof: boolean,
): { response: RawResponse; used: number } | undefined {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]!);
  if (m === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
  const status = Number(m[2]);
  const headers = parseFields(lines.slice(1));
  const start = end + 4;
  const done = (body: Buffer, used: number, chunked = false, trailers: [string, string][] = []) => ({
    response: {
      version: m[1]!,
      status,
      reason: m[3]!,
      headers,
      body,
      chunked,
      trailers,
      raw: Buffer.from(buf.subarray(0, used)),
    },
    used,
  });
  if (head || (status >= 100 && status < 200) || status === 204 || status === 304)
    return done(Buffer.alloc(0), start);
  const te = field(headers, "transfer-encoding");
  if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf(CRLF, at);
      if (lineEnd < 0) return undefined;
      const sizeText = buf.subarray(at, lineEnd).toString("latin1").split(";")[0]!.trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size ${JSON.stringify(sizeText)}`);
      const size = parseInt(sizeText, 16);
      at = lineEnd + 2;
      if (size === 0) {
        const trailerLines: string[] = [];
        for (;;) {
          const e = buf.indexOf(CRLF, at);
          if (e < 0) return undefined;
          const line = buf.subarray(at, e).toString("latin1");
          at = e + 2;
          if (line === "") return done(Buffer.concat(parts), at, true, parseFields(trailerLines));
          trailerLines.push(line);
        }
      }
      if (buf.length < at + size + 2) return undefined;
      parts.push(buf.subarray(at, at + size));
      if (!buf.subarray(at + size, at + size + 2).equals(CRLF)) throw new Error("chunk not followed by CRLF");
      at += size + 2;
    }
  }
  const cl = field(headers, "content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    if (buf.length < start + n) return undefined;
    return done(Buffer.from(buf.subarray(start, start + n)), start + n);
  }
  if (!eof) return undefined;
  return done(Buffer.from(buf.subarray(start)), buf.length);
}

/** A client socket that keeps every byte received and parses responses from them in order. */
export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** The server has ended its side ('end'). */
  ended = false;
  /** The socket has closed ('close'). */
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  /** Connects over plain TCP to 127.0.0.1:`port`. */
  static connect(port: number): Promise<RawClient> {
    return RawClient.open(net.connect(port, "127.0.0.1"), "connect");
  }

  /** Connects over TLS with `options` (no ALPN unless they ask for it). */
  static connectTls(options: tls.ConnectionOptions): Promise<RawClient> {
    return RawClient.open(tls.connect(options), "secureConnect");
  }

  private static open(socket: net.Socket, ready: string): Promise<RawClient> {
    const client = new RawClient(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("connect timed out"));
      }, 5000);
      socket.once(ready, () => {
        clearTimeout(timer);
        resolve(client);
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Bytes received and not yet consumed by a read. */
  get pending(): Buffer {
    return this.buf;
  }

  /** Writes `data` (strings as latin1, so every byte is what the test wrote). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Waits until `probe` returns a value, the socket closes with nothing more to come, or `timeoutMs`. */
  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (err) {
          finish();
          reject(err as Error);
          return true;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
          return true;
        }
        if (this.closed) {
          finish();
          reject(
            new Error(`socket closed before ${what}; unread ${JSON.stringify(this.buf.toString("latin1"))}`),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; unread ${JSON.stringify(this.buf.toString("latin1"))}`,
          ),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
      };
      if (check()) return;
      this.wake = () => void check();
    });
  }

  /** Reads the next response. */
  readResponse(options: ReadOptions = {}): Promise<RawResponse> {
    return this.until(
      () => {
        const parsed = parseResponse(this.buf, options.head === true, this.ended || this.closed);
        if (parsed === undefined) return undefined;
        this.buf = this.buf.subarray(parsed.used);
        return parsed.response;
      },
      options.timeoutMs ?? 5000,
      "a response",
    );
  }

  /** Reads exactly `n` bytes. */
  readBytes(n: number, timeoutMs = 5000): Promise<Buffer> {
    return this.until(
      () => {
        if (this.buf.length < n) return undefined;
        const out = Buffer.from(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        return out;
      },
      timeoutMs,
      `${n} bytes`,
    );
  }

  /** Resolves once the socket has closed; rejects after `timeoutMs`. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves true when nothing has arrived and the socket is still open after `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.buf.length;
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed && this.buf.length === before;
  }

  /** Destroys the socket. */
  destroy(): void {
    this.socket.destroy();
  }
}
