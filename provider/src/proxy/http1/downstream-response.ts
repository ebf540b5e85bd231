/**
 * The response to one HTTP/1.1 request from a client: the writing half of node:http's
 * `ServerResponse` that the connection manager uses (`writeHead`, `write`, `addTrailers`, `end`,
 * `destroy`, and the `drain` and `close` events), over the client's socket directly.
 *
 * What a turn of the event loop writes leaves at its end, joined: a small response whose head and
 * body come in one turn leaves in one write, and a head whose body comes later (a stream of
 * server-sent events) leaves without waiting for it, as Envoy sends a head. Framing follows the
 * head: its `content-length`, none for HEAD, 1xx, 204 and 304, and chunked otherwise, trailers
 * included. A response that says `connection: close`, or answers a request that did, ends the
 * connection when it is done, as does one that begins before its request was read to the end (the
 * rest of that request could not be told from the next one): that one says `connection: close`,
 * as Envoy's connection manager has it. Before its head, a response may pass on an upstream's
 * `100 Continue` ({@link Http1Response.writeContinue}).
 */
import { EventEmitter } from "node:events";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { isHeaderValueText } from "../../istio/translate/wire-text";
import { headerLines, isHeaderName } from "./header-lines";
import type { ProxyErrorCode } from "../errors";
import type { HeaderMap } from "../router/header-operations";
import type { TurnEndWriter } from "../http/turn-end-writes";
import { holdUntilTurnEnd } from "../http/turn-end-writes";
import { HeldWrites } from "../http/held-writes";
import { httpDate } from "../http/http-date";

/** Trailer fields by name (node:http's form: numbers are written as text). */
export type Trailers = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** What a response tells the connection it belongs to. */
export interface ResponseOwner {
  /** The response is written (`finished`) or will never be (the connection closed); called once. */
  responseDone(res: Http1Response, finished: boolean): void;
}

/** The interim response that lets a client waiting on `Expect: 100-continue` send its body. */
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/** Status lines by code, each made once. */
const statusLines: string[] = [];

/** `HTTP/1.1 200 OK\r\n` for `status`. */
function statusLine(status: number): string {
  const known = statusLines[status];
  if (known !== undefined) return known;
  const line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
  // A code is three digits (the parser and validation see to it): the list stays small and dense.
  if (Number.isInteger(status) && status >= 100 && status <= 999) statusLines[status] = line;
  return line;
}

/** The response to one client request on an HTTP/1.1 connection. */
export class Http1Response extends EventEmitter implements TurnEndWriter {
  /** True once `writeHead` was called (the head leaves at the end of that turn of the event loop). */
  headersSent = false;
  /** The bytes of the heads written (status line, header lines, blank line; a 100 too); 0 before. */
  headBytes = 0;
  /** True when the body is sent chunked (then trailers can follow it). */
  chunkedEncoding = false;
  /** True once the whole response was handed to the socket. */
  writableFinished = false;
  /** True when the connection must close after this response. */
  closeAfter: boolean;
  /**
   * Answers the request with the failure `code` when the client breaks it after it was handed over
   * (too slow to send its body, or a body that breaks the framing): set by the connection manager,
   * which owns the response and logs the request.
   */
  onRequestFailure: ((code: ProxyErrorCode) => void) | undefined;
  private hasBody = true;
  private ended = false;
  private done = false;
  private waitingForDrain = false;
  /** Writes wait for the end of the turn ({@link hold}). */
  private holding = false;
  private trailers: Trailers | undefined;

  constructor(
    /** The client's socket. */
    readonly socket: Socket,
    private readonly owner: ResponseOwner,
    /** The request is a HEAD: its response carries no body whatever its head says. */
    private readonly isHead: boolean,
    keepAlive: boolean,
    /**
     * Where the response's writes wait for the end of the turn: its connection's, which the
     * connection's responses share one after another (one is done before the next writes).
     */
    private readonly writes: HeldWrites = new HeldWrites(socket),
    /** The request answered, read on while the response is written; none for a refusal's. */
    private readonly request?: { readonly unread: boolean },
  ) {
    super();
    this.closeAfter = !keepAlive;
  }

  /**
   * Sets the status and headers. They leave at the end of this turn, with the body bytes it writes.
   * Throws, writing nothing, on a header that HTTP/1.1 cannot carry. `endsWithHead` says no body
   * follows (the caller ends the response next): one that could carry a body and gives no length is
   * framed by `content-length: 0`, as Envoy's HTTP/1.1 codec frames a response that ends with its
   * head, rather than by an empty chunked body.
   */
  writeHead(status: number, headers: HeaderMap, endsWithHead = false): this {
    if (this.headersSent) throw new Error("the response head was already written");
    let text = statusLine(status);
    let hasLength = false;
    let hasDate = false;
    let hasConnection = false;
    for (const name in headers) {
      const value = headers[name]!;
      const lower = name.toLowerCase();
      if (lower === "transfer-encoding") continue; // the framing is this response's own
      if (lower === "content-length") hasLength = true;
      else if (lower === "date") hasDate = true;
      else if (lower === "connection") {
        hasConnection = true;
        if (/(^|,)\s*close\s*(,|$)/i.test(String(value))) this.closeAfter = true;
      }
      text += headerLines(name, value);
    }
    if (!hasDate) text += `date: ${httpDate()}\r\n`;
    // What is left of the request could not be told from the next one: the connection ends with
    // this response, and says so, as Envoy's connection manager does.
    if (this.request?.unread === true) this.closeAfter = true;
    this.hasBody = !(this.isHead || status < 200 || status === 204 || status === 304);
    if (this.hasBody && !hasLength) {
      if (endsWithHead) text += "content-length: 0\r\n";
      else {
        this.chunkedEncoding = true;
        text += "transfer-encoding: chunked\r\n";
      }
    }
    if (this.closeAfter && !hasConnection) text += "connection: close\r\n";
    this.headersSent = true;
    this.hold();
    text += "\r\n";
    this.headBytes += text.length;
    this.writes.write(text);
    return this;
  }

  /**
   * Passes on an upstream's `100 Continue`: the client, waiting on `Expect: 100-continue`, may
   * send its body. Nothing once the head is written. It leaves at the end of this turn.
   */
  writeContinue(): void {
    if (this.headersSent || this.done) return;
    this.hold();
    this.headBytes += CONTINUE.length;
    this.writes.write(CONTINUE);
  }

  /** Sends a piece of the body; false when the socket's buffer is full (wait for `drain`). */
  write(chunk: Buffer | string): boolean {
    if (this.ended || this.done) return false;
    if (!this.headersSent) this.writeHead(200, {});
    this.hold();
    const writes = this.writes;
    const socket = this.socket;
    if (!this.hasBody || chunk.length === 0)
      return this.flowing(socket.writableLength < socket.writableHighWaterMark);
    // The held writes take strings as latin1 framing: body text is UTF-8, as node:http sends it.
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let flowing: boolean;
    if (this.chunkedEncoding) {
      writes.write(`${bytes.length.toString(16)}\r\n`);
      writes.write(bytes);
      flowing = writes.write("\r\n");
    } else {
      flowing = writes.write(bytes);
    }
    return this.flowing(flowing);
  }

  /** Trailers for the end of a chunked body (ignored otherwise, as node:http ignores them). */
  addTrailers(trailers: Trailers): void {
    this.trailers = trailers;
  }

  /**
   * Sends the rest of the response (with `chunk` as its last body bytes, if given). It is done
   * once the socket has it all, at the end of this turn of the event loop.
   */
  end(chunk?: Buffer | string): this {
    if (this.ended || this.done) return this;
    if (!this.headersSent) this.writeHead(200, {});
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    this.hold();
    this.ended = true;
    if (this.chunkedEncoding) this.writes.write(this.lastChunk());
    return this;
  }

  /**
   * Abandons the response: the connection is closed (the client sees it cut short). A finished
   * response stays, and so does an ended one waiting for the end of the turn: it is whole.
   */
  destroy(): void {
    if (!this.done && !this.ended) this.socket.destroy();
  }

  /** The connection closed before the response was written: it ends here, unfinished. */
  abandon(): void {
    this.finish(false);
  }

  /**
   * Holds what this turn of the event loop writes until its end: a response whose head, body and
   * end come in one turn (most do) leaves in one system call, not one per piece, and the writes
   * of the turn's responses leave together ({@link holdUntilTurnEnd} says why).
   */
  private hold(): void {
    if (this.holding) return;
    this.holding = true;
    holdUntilTurnEnd(this);
  }

  /** The turn is over: what it wrote goes to the socket, and an ended response is done. */
  flushTurn(): void {
    this.holding = false;
    this.writes.flush();
    if (this.ended) this.finish(!this.socket.destroyed);
  }

  private finish(finished: boolean): void {
    if (this.done) return;
    this.done = true;
    this.writableFinished = finished;
    if (finished) this.emit("finish");
    this.emit("close");
    this.owner.responseDone(this, finished);
  }

  private flowing(ok: boolean): boolean {
    if (!ok && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.socket.once("drain", () => {
        this.waitingForDrain = false;
        if (!this.done) this.emit("drain");
      });
    }
    return ok;
  }

  /** The last chunk and the trailer section. */
  private lastChunk(): string {
    let text = "0\r\n";
    const trailers = this.trailers;
    if (trailers !== undefined) {
      for (const name in trailers) {
        const value = trailers[name];
        if (value === undefined || !isHeaderName(name)) continue;
        for (const v of typeof value === "object" ? value : [String(value)]) {
          if (isHeaderValueText(v)) text += `${name}: ${v}\r\n`;
        }
      }
    }
    return text + "\r\n";
  }
}
