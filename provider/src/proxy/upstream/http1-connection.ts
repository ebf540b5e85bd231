/**
 * One HTTP/1.1 connection to an upstream endpoint, carrying one exchange at a time (no
 * pipelining, as Envoy's HTTP/1.1 pool). The request head is written in one piece and the body
 * streamed after it with backpressure, framed by its `content-length` or chunked; the response is
 * parsed by Node's own llhttp as it is read and handed to the exchange's {@link Http1Handler} as it
 * arrives. A connection that ends an exchange cleanly, with keep-alive, goes back to its
 * {@link Http1Pool}; any failure destroys it and is told to the handler once.
 *
 * Reads land in memory the socket reuses ({@link OnRead}), and a body framed by its
 * `content-length` alone is counted off them here rather than reported by llhttp, which copies
 * each piece it reports into memory of its own: an ArrayBuffer per response for the young
 * collector to sweep. Under the benchmark's load that sweep took 0.42 ms of each 0.95 ms young
 * collection, and 0.06 ms without it (`node --trace-gc-nvp`); the collections are what the
 * latency tail waits on. A body piece is copied out of the read into a Buffer from node's pool,
 * as the handler may keep it past the read. Chunked bodies and bodies delimited by the
 * connection's end are llhttp's, as before.
 */
import type net from "node:net";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import type tls from "node:tls";
import type { TcpKeepalive } from "../../istio/translate/proxy-config";
import {
  UpstreamConnectError,
  UpstreamConnectTimeoutError,
  UpstreamProtocolError,
  UpstreamResetError,
} from "../errors";
import type { RequestHead } from "./http1-request-head";
import type { OnRead } from "./endpoint-socket";
import { connectEndpoint, readyEvent } from "./endpoint-socket";
import { BODY_PARSED, BODY_READ_BY_CALLER, NO_BODY, ResponseParser } from "../http1/llhttp";
import { contentLengthFraming } from "./response-body-length";
import type { TurnEndWriter } from "../http/turn-end-writes";
import { holdUntilTurnEnd } from "../http/turn-end-writes";
import { HeldWrites } from "../http/held-writes";
import { socketAddress } from "../socket-address";

/**
 * The receiver of one exchange's events, in undici's dispatcher vocabulary. After `onComplete` or
 * `onError` (exactly one of them, once) nothing more is called.
 */
export interface Http1Handler {
  /**
   * The exchange started on `connection`; `abort` ends it (with `onError(err)`) at any time before
   * it completes.
   */
  onConnect(abort: (err: Error) => void, connection?: UpstreamConnectionInfo): void;
  /**
   * The upstream answered `100 Continue` (each time it does): the request's sender may go on with
   * its body. Other 1xx responses are skipped; without this method, so are these.
   */
  onContinue?(): void;
  /**
   * The final response head (1xx responses are skipped): names and values alternating, as sent.
   * Returning false pauses reading until `resume` is called.
   */
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void): boolean;
  /** A piece of the response body; returning false pauses reading until `resume` is called. */
  onData(chunk: Buffer): boolean;
  /** The response ended; its trailers, names and values alternating, if it had any. */
  onComplete(rawTrailers: string[] | null): void;
  /** The exchange failed: connecting, sending, or reading the response. */
  onError(err: Error): void;
}

/** What the access log reads of the upstream connection an exchange went on. */
export interface UpstreamConnectionInfo {
  /** The connection's own address and port (`ip:port`), once it is connected. */
  readonly localSocketAddress: string | undefined;
}

/** Where a connection goes and how it is made. */
export interface ConnectionTarget {
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
  /** TLS to originate, when the cluster asks for it. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** Connect timeout in ms (TCP and TLS handshake together). */
  readonly connectTimeoutMs: number;
  /** Largest response head accepted, in bytes. */
  readonly maxHeaderSize: number;
  /** SO_KEEPALIVE, set once when the socket is made; undefined = off. */
  readonly tcpKeepalive: TcpKeepalive | undefined;
  /** The PROXY protocol header the connection starts with; undefined = none. */
  readonly proxyProtocolHeader?: Buffer | undefined;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** An exchange ended cleanly and the connection may carry another. */
  released(c: Http1Connection): void;
  /** The connection closed. */
  gone(c: Http1Connection): void;
  /** A TLS session to offer on the next connection, and where a new one is kept. */
  tlsSession: Buffer | undefined;
}

/** The server's `Keep-Alive: timeout=N` is trusted less a second, as undici does, to stay clear of its close. */
const KEEP_ALIVE_MARGIN_MS = 1000;

/** A connection of an {@link Http1Pool}'s endpoint: made at construction, then one exchange at a time. */
export class Http1Connection implements TurnEndWriter, UpstreamConnectionInfo {
  private readonly socket: net.Socket;
  /** The connection's own address and port, once it is connected. */
  localSocketAddress: string | undefined;
  /** The request's writes, held until the end of each turn. */
  private readonly writes: HeldWrites;
  private readonly parser: ResponseParser;
  /** The handler of the exchange in flight; undefined between exchanges. */
  private handler: Http1Handler | undefined;
  /** Header or trailer lines llhttp flushed before the end of their section. */
  private pendingLines: string[] = [];
  /** The status of the response being read (a 1xx until the final one); 0 before its head. */
  private status = 0;
  /**
   * Bytes of the response's body still to come, while this connection counts them off the reads
   * itself ({@link onRead}); 0 otherwise.
   */
  private bodyLeft = 0;
  /** The response lets the connection carry another exchange. */
  private keepAlive = false;
  /** The request is a HEAD: its response has no body whatever its head says. */
  private isHead = false;
  /** The request is fully written (head and body). */
  private requestDone = true;
  /** The request body being streamed, until its end. */
  private body: Readable | undefined;
  /** The body goes chunked (else as is, by its content-length). */
  private chunked = false;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Writes wait for the end of this turn ({@link holdWrites}). */
  private holding = false;
  /** TCP connected, and with TLS, handshake done: failures from now on are not connect failures. */
  private connected = false;
  /** True once destroyed: it takes no more exchanges. */
  closed = false;
  /** Exchanges started on this connection. */
  requests = 0;
  /** When it was opened (performance.now()). */
  readonly openedAt = performance.now();
  /** When it went idle last (performance.now()). */
  idleSince = 0;
  /** How long it may stay idle: the pool's setting, lowered by the server's Keep-Alive hint. */
  idleLimitMs: number;

  constructor(
    target: ConnectionTarget,
    private readonly owner: ConnectionOwner,
    idleLimitMs: number,
  ) {
    this.idleLimitMs = idleLimitMs;
    this.parser = new ResponseParser(
      {
        onHeaders: (lines) => {
          for (const l of lines) this.pendingLines.push(l);
        },
        onHeadersComplete: (_major, _minor, raw, _method, _url, status, _message, _upgrade, keepAlive) =>
          this.onResponseHead(raw, status, keepAlive),
        onBody: (chunk) => this.onResponseBody(chunk),
        onMessageComplete: () => this.onResponseEnd(),
      },
      target.maxHeaderSize,
    );
    const socket = connectEndpoint(
      target,
      {
        ALPNProtocols: ["http/1.1"],
        ...(owner.tlsSession === undefined ? {} : { session: owner.tlsSession }),
      },
      this.onRead,
    );
    this.socket = socket;
    this.writes = new HeldWrites(socket);
    this.connectTimer = setTimeout(
      () => this.fail(new UpstreamConnectTimeoutError()),
      target.connectTimeoutMs,
    );
    socket.once(readyEvent(target), () => {
      this.connected = true;
      // Read now: a socket closed later no longer tells its address.
      this.localSocketAddress = socketAddress(socket.localAddress, socket.localPort);
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    if (target.tls !== undefined) socket.on("session", (s: Buffer) => (owner.tlsSession = s));
    // Flowing, so that the socket still reports the server's end ('end' needs it).
    socket.resume();
    socket.on("end", () => {
      // A response delimited by the connection's end completes here; any other was cut short.
      this.parser.finish();
      this.fail(new UpstreamResetError("upstream reset: connection closed before the response ended"));
    });
    socket.on("error", (err: Error) => {
      this.fail(
        this.connected ? err : new UpstreamConnectError(`upstream connect error: ${codeOf(err)}`, err),
      );
    });
    socket.on("close", () => {
      this.fail(new UpstreamResetError("upstream reset: connection closed"));
      this.parser.close();
      owner.gone(this);
    });
  }

  /** Starts an exchange: writes `head`, then streams `body` if there is one. */
  start(head: RequestHead, isHead: boolean, body: Readable | null, handler: Http1Handler): void {
    this.handler = handler;
    this.requests++;
    this.isHead = isHead;
    this.status = 0;
    handler.onConnect((err) => {
      if (this.handler === handler) this.fail(err);
    }, this);
    if (this.handler !== handler) return; // aborted at once
    this.holdWrites();
    this.writes.write(head.text);
    if (body === null || head.framing === "none") {
      this.requestDone = true;
      return;
    }
    this.requestDone = false;
    this.chunked = head.framing === "chunked";
    this.body = body;
    body.on("data", this.onBodyData);
    body.on("end", this.onBodyEnd);
    body.on("error", this.onBodyError);
    body.on("close", this.onBodyClose);
  }

  /**
   * Holds the request's writes until the end of this turn of the event loop, so that its pieces
   * leave in one write, together with the turn's other writes ({@link holdUntilTurnEnd} says why),
   * ahead of the turn's responses to clients.
   */
  private holdWrites(): void {
    if (this.holding) return;
    this.holding = true;
    holdUntilTurnEnd(this, "upstream");
  }

  /** The turn is over: what it wrote goes to the socket. */
  flushTurn(): void {
    this.holding = false;
    this.writes.flush();
  }

  /** Closes the connection; an exchange in flight fails with a reset. */
  destroy(): void {
    this.fail(new UpstreamResetError("upstream reset: connection closed by the proxy"));
  }

  private readonly onBodyData = (chunk: Buffer): void => {
    const writes = this.writes;
    let flowing: boolean;
    if (!this.chunked) {
      this.holdWrites();
      flowing = writes.write(chunk);
    } else {
      if (chunk.length === 0) return; // an empty chunk would end the body
      this.holdWrites();
      writes.write(`${chunk.length.toString(16)}\r\n`);
      writes.write(chunk);
      flowing = writes.write("\r\n");
    }
    if (!flowing) {
      this.body!.pause();
      this.socket.once("drain", this.resumeBody);
    }
  };

  private readonly resumeBody = (): void => {
    this.body?.resume();
  };

  private readonly onBodyEnd = (): void => {
    if (this.chunked) {
      this.holdWrites();
      this.writes.write("0\r\n\r\n");
    }
    this.detachBody();
    this.requestDone = true;
  };

  private readonly onBodyError = (err: Error): void => {
    this.fail(new UpstreamResetError(`request body failed: ${err.message}`, err));
  };

  /** A body destroyed before its end (a mirror given up on) cuts the request short. */
  private readonly onBodyClose = (): void => {
    this.fail(new UpstreamResetError("request body closed before its end"));
  };

  private detachBody(): void {
    const body = this.body;
    if (body === undefined) return;
    this.body = undefined;
    body.off("data", this.onBodyData);
    body.off("end", this.onBodyEnd);
    body.off("error", this.onBodyError);
    body.off("close", this.onBodyClose);
    this.socket.off("drain", this.resumeBody);
  }

  /**
   * One read, in memory the socket reuses once this returns: the parts llhttp parses go to it, and
   * the body of a response whose head gave its length ({@link onResponseHead}) is counted off
   * here, a copy of each piece going to the handler.
   */
  private readonly onRead: OnRead = (nread, buffer) => {
    let at = 0;
    while (at < nread && !this.closed) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, nread - at);
        const piece = Buffer.allocUnsafe(n);
        buffer.copy(piece, 0, at, at + n);
        at += n;
        this.bodyLeft -= n;
        this.onResponseBody(piece);
        if (this.bodyLeft === 0) this.onResponseEnd();
        continue;
      }
      const parsed = this.parser.execute(buffer.subarray(at, nread));
      if (typeof parsed !== "number") {
        this.fail(new UpstreamProtocolError(`upstream protocol error: ${codeOf(parsed)}`, parsed));
        return;
      }
      // llhttp took it all, unless it stopped at the end of a head whose body is counted here.
      if (this.bodyLeft === 0) return;
      this.parser.restart();
      at += parsed;
    }
  };

  private readonly resume = (): void => {
    this.parser.read(this.socket);
  };

  /** Stops reading until {@link resume} (the client is slower than the upstream). */
  private pause(): void {
    this.parser.hold(this.socket);
  }

  /** The head of a response; answers llhttp with what follows it ({@link BODY_READ_BY_CALLER} and the others). */
  private onResponseHead(raw: string[] | undefined, status: number, keepAlive: boolean): number {
    let lines = raw;
    if (lines === undefined) {
      lines = this.pendingLines;
      this.pendingLines = [];
    }
    const handler = this.handler;
    if (handler === undefined) {
      this.fail(new UpstreamProtocolError("upstream protocol error: a response no request asked for"));
      return NO_BODY;
    }
    if (status < 200) {
      // 1xx: informational, the final response follows. 101 would turn the connection into
      // something else, which no request on this pool asked for.
      if (status === 101) this.fail(new UpstreamProtocolError("upstream protocol error: unexpected 101"));
      this.status = status;
      if (status === 100) handler.onContinue?.();
      return NO_BODY;
    }
    const problem = responseHeadProblem(status, lines);
    if (problem !== undefined) {
      this.fail(new UpstreamProtocolError(`upstream protocol error: ${problem}`));
      return NO_BODY;
    }
    // A 204 may say `content-length: 0`, which Envoy drops as it passes the head on.
    if (status === 204) lines = withoutContentLength(lines);
    this.status = status;
    this.keepAlive = keepAlive;
    if (keepAlive) this.readKeepAliveHint(lines);
    if (!handler.onHeaders(status, lines, this.resume) && this.handler === handler) this.pause();
    if (this.isHead) return NO_BODY;
    // 204 and 304 have no body whatever their head says, which llhttp knows: they stay its own, as
    // does a response whose exchange the handler has just ended (the connection is closing).
    if (status === 204 || status === 304 || this.handler !== handler) return BODY_PARSED;
    const length = contentLengthFraming(lines);
    if (length === undefined || length === 0) return BODY_PARSED;
    this.bodyLeft = length;
    return BODY_READ_BY_CALLER;
  }

  private onResponseBody(chunk: Buffer): void {
    const handler = this.handler;
    if (handler === undefined || this.status < 200) return;
    if (!handler.onData(chunk) && this.handler === handler) this.pause();
  }

  private onResponseEnd(): void {
    // llhttp reports a message complete at the end of a head answered BODY_READ_BY_CALLER.
    if (this.bodyLeft > 0) return;
    const handler = this.handler;
    if (handler === undefined || this.status < 200) return;
    const lines = this.pendingLines;
    this.pendingLines = [];
    this.handler = undefined;
    handler.onComplete(lines.length > 0 ? lines : null);
    if (this.closed) return;
    if (this.keepAlive && this.requestDone) {
      this.resume(); // an idle connection reads, so a close by the server is seen at once
      this.owner.released(this);
    } else {
      // The upstream answered before the request body was sent, or will not keep the connection.
      const body = this.body;
      this.detachBody();
      body?.resume();
      this.destroy();
    }
  }

  /** Lowers the idle limit to the server's `Keep-Alive: timeout=N`, less a margin. */
  private readKeepAliveHint(lines: string[]): void {
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const name = lines[i]!;
      if (name.length !== 10 || name.toLowerCase() !== "keep-alive") continue;
      const m = /(?:^|[\s,;])timeout\s*=\s*(\d+)/i.exec(lines[i + 1]!);
      if (m === null) continue;
      const ms = Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
      if (ms < this.idleLimitMs) this.idleLimitMs = Math.max(ms, 0);
    }
  }

  /** Ends the exchange in flight with `err`, if there is one, and destroys the connection. */
  private fail(err: Error): void {
    const handler = this.handler;
    this.handler = undefined;
    if (!this.closed) {
      this.closed = true;
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
      this.detachBody();
      this.socket.destroy();
    }
    handler?.onError(err);
  }
}

function codeOf(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err.message;
}

/** Envoy's limit on the headers of an upstream response (its clusters' `max_headers_count`). */
export const MAX_RESPONSE_HEADERS = 100;

/**
 * Why Envoy's HTTP/1.1 codec refuses a final response head (`lines`: names and values
 * alternating), or undefined: more headers than {@link MAX_RESPONSE_HEADERS}, or a 204 that says it
 * has a body (`transfer-encoding`, or a `content-length` other than 0), as its strict 1xx and 204
 * rule has it.
 */
function responseHeadProblem(status: number, lines: readonly string[]): string | undefined {
  if (lines.length / 2 > MAX_RESPONSE_HEADERS) {
    return `the response has more than ${MAX_RESPONSE_HEADERS} headers`;
  }
  if (status !== 204) return undefined;
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const name = lines[i]!.toLowerCase();
    if (name === "transfer-encoding") return "transfer-encoding is not allowed in a 204";
    if (name === "content-length" && lines[i + 1]!.trim() !== "0") {
      return "a content-length other than 0 is not allowed in a 204";
    }
  }
  return undefined;
}

/** `lines` without their `content-length` (names and values alternating). */
function withoutContentLength(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (lines[i]!.toLowerCase() === "content-length") continue;
    out.push(lines[i]!, lines[i + 1]!);
  }
  return out;
}
