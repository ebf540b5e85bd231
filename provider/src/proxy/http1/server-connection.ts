/**
 * One client connection speaking HTTP/1.1 to the proxy, Envoy's HTTP/1.1 server codec in small:
 * requests are read by Node's llhttp ({@link RequestParser}), strictly, and served one at a time in
 * the order they came. llhttp reads the socket itself, in C++, as node:http's server reads its
 * clients; from the first read that is not plain requests (an upgrade, a refusal, a parse error)
 * the connection reads in JavaScript instead, where those cases are handled. A client may
 * pipeline: requests read while another is being answered wait their turn, and the connection
 * stops reading from the client while one waits, so pipelining costs no more memory than a socket
 * read. Bodies stream with backpressure both ways.
 *
 * What a client gets wrong is answered here, before any routing, and ends the connection: a
 * malformed request 400, a head over the size or count limit 431, HTTP/1.0 426 (Istio's gateways
 * leave Envoy's `accept_http_10` off), a head not received within the headers timeout 408. A body
 * not received within the request timeout is answered 408 through the connection manager, which
 * owns that request's response. A connection with nothing to do closes after the idle timeout.
 *
 * `Expect: 100-continue` is not answered here: Istio sets Envoy's `proxy_100_continue`, so the
 * expectation goes upstream with the request and the upstream's `100 Continue`, if it sends one,
 * comes back through the response ({@link Http1Response.writeContinue}). A response begun before
 * its request was read to the end (an upstream's early 417, a local reply) closes the connection.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { ProxyErrorCode } from "../errors";
import { ERROR_STATUS } from "../errors";
import { STATUS_CODES } from "node:http";
import { Http1Request } from "./downstream-request";
import type { BodyFlow } from "./downstream-request";
import { Http1Response } from "./downstream-response";
import { httpDate } from "../http/http-date";
import type { ResponseOwner } from "./downstream-response";
import type { ConsumableSocket, ParseError } from "./llhttp";
import { methodName, RequestParser } from "./llhttp";
import { requestHeaders } from "./request-headers";
import { acceptableConnectionHeader } from "./connection-header";
import type { TargetRefusal } from "./request-target";
import { absoluteTarget, connectAuthority, isOriginForm, targetRefusal } from "./request-target";
import { isCodecMethod } from "./codec-methods";
import { HeldWrites } from "../http/held-writes";

/** What the connections of one {@link Http1Server} share. */
export interface Http1ServerSettings {
  /** Most bytes of a request head. */
  readonly maxHeaderBytes: number;
  /** Most request headers. */
  readonly maxHeadersCount: number;
  /** Time from a request's first byte to the end of its head, ms. */
  readonly headersTimeoutMs: number;
  /** Time from a request's first byte to its end, ms. */
  readonly requestTimeoutMs: number;
  /** Time a connection may wait for a request with nothing in flight, ms. */
  readonly idleTimeoutMs: number;
  /** The `server` header of the answers the codec makes itself. */
  readonly serverName: string;
  /** Serves one request. */
  onRequest(req: Http1Request, res: Http1Response): void;
  /** Takes over a connection whose request asked for an upgrade; `head` is what followed the request. */
  onUpgrade(req: Http1Request, socket: Socket, head: Buffer): void;
  /** The server is draining: connections close when their response ends. */
  draining(): boolean;
  /** The codec refused a request itself (`req`, when its head was read): for the access log and metrics. */
  onRefusal(socket: Socket, code: ProxyErrorCode, req: Http1Request | undefined, details?: string): void;
}

/** What a connection tells the server that holds it. */
export interface ConnectionRegistry {
  readonly settings: Http1ServerSettings;
  /** The connection is gone (closed, or taken over by an upgrade). */
  forget(c: Http1ServerConnection): void;
}

/** A request read from the client, waiting its turn or being served. */
interface Exchange {
  readonly kind: "exchange";
  readonly req: Http1Request;
  readonly res: Http1Response;
}

/** A request that asked for a protocol upgrade, with the bytes that followed its head. */
interface Upgrade {
  readonly kind: "upgrade";
  readonly req: Http1Request;
  head: Buffer;
}

/** A client error to answer, after the responses owed before it. */
interface Refusal {
  readonly kind: "refusal";
  readonly code: ProxyErrorCode;
  /** The refused request, when its head was read. */
  readonly req?: Http1Request;
  /** The refused request's method, when known (a HEAD request's answer has no body). */
  readonly method?: string;
  /** Envoy's response code details, when more precise than the code's own. */
  readonly details?: string;
}

/**
 * The method of a refused request whose method is not one llhttp can name: known not to be HEAD,
 * so its answer carries a body, as Envoy's does.
 */
const UNNAMED_METHOD = "";

type Turn = Exchange | Upgrade | Refusal;

/** Why the connection is not reading from the client (several at once are possible). */
const PAUSED_BY_BODY = 1;
const PAUSED_BY_QUEUE = 2;
const PAUSED_FOR_GOOD = 4;

/** What the deadline of a connection is for. */
const enum Wait {
  None,
  Idle,
  Headers,
  Body,
}

/** One HTTP/1.1 client connection. */
export class Http1ServerConnection implements BodyFlow, ResponseOwner {
  private readonly parser: RequestParser;
  private readonly settings: Http1ServerSettings;
  /** The responses' writes, held until the end of each turn (one response writes at a time). */
  private readonly writes: HeldWrites;
  /** The turn being served; undefined between requests. */
  private active: Turn | undefined;
  /** Turns read while another was served, in order. */
  private readonly queue: Turn[] = [];
  /** The request whose head or body is being read, until its end. */
  private reading: Http1Request | undefined;
  /** Header lines and target llhttp flushed before the end of a head. */
  private lines: string[] = [];
  private target = "";
  private paused = 0;
  /** No more requests are read (a refusal or an upgrade ends the HTTP/1.1 conversation). */
  private stopped = false;
  private closed = false;
  /** The connection is ending: what the client still sends is read and dropped. */
  private closing = false;
  /**
   * Ends an ending connection the client has not closed ({@link endGracefully}). Cleared when the
   * socket closes first: a pending timer holds the socket, and through it the connection and its
   * last request, for the whole delay.
   */
  private delayedClose: NodeJS.Timeout | undefined;
  /** When the request being read began. */
  private messageStart = 0;
  /** A request's head has begun and not ended. */
  private inHead = false;
  /** When the connection's wait runs out (performance.now()), and what it waits for. */
  deadline = 0;
  private wait = Wait.None;
  /** The read being parsed held more than plain requests: the rest goes to {@link onData}. */
  private leaveConsumed = false;
  /** A parser callback ran since the last read ended (so a stop now is part of that read). */
  private inRead = false;

  /** The connection is TLS: an `https://` request target may come on it. */
  private readonly encrypted: boolean;

  constructor(
    readonly socket: Socket,
    private readonly registry: ConnectionRegistry,
  ) {
    this.encrypted = (socket as Socket & { encrypted?: boolean }).encrypted === true;
    const settings = registry.settings;
    this.settings = settings;
    this.writes = new HeldWrites(socket);
    this.parser = new RequestParser(
      {
        onMessageBegin: this.onMessageBegin,
        onHeaders: this.onHeaders,
        onHeadersComplete: this.guardedHeadersComplete,
        onBody: this.guardedBody,
        onMessageComplete: this.guardedMessageComplete,
      },
      settings.maxHeaderBytes,
    );
    this.arm(Wait.Idle, performance.now());
    socket.on("data", this.onData);
    socket.on("error", ignore);
    socket.once("close", this.onClose);
    // llhttp reads the socket in C++ and reports each read to onExecute. Bytes already waiting on
    // the socket's JavaScript side would come after those reads: such a connection reads in
    // JavaScript (onData) throughout.
    if (socket.readableLength === 0)
      this.parser.consume(socket as unknown as ConsumableSocket, this.onExecute);
  }

  /** Reads bytes given before the connection was handed over (a sniffed preface), then the socket. */
  feed(head: Buffer): void {
    this.onData(head);
  }

  /** Ends the connection now if nothing is in flight (draining). */
  closeIfIdle(): void {
    if (this.active === undefined && this.queue.length === 0 && !this.closed) this.endGracefully();
  }

  /** The wait ran out: answers 408 where a request is owed one, or closes an idle connection. */
  expire(): void {
    const wait = this.wait;
    this.arm(Wait.None, 0);
    if (wait === Wait.Idle) return this.endGracefully();
    const active = this.active;
    if (wait === Wait.Body && active?.kind === "exchange") {
      // The connection manager owns this response: it answers, and logs the request as its own.
      return this.fail(active.res, "IGW_ERR_REQUEST_TIMEOUT");
    }
    // A head too slow in coming: nothing is in flight (the wait is armed only then).
    this.refuseNow("IGW_ERR_REQUEST_TIMEOUT");
  }

  // --- reading requests -------------------------------------------------------------------

  private readonly onData = (data: Buffer): void => {
    // llhttp stops after a request that asked for an upgrade; unless the connection was handed
    // over (an `h2c` upgrade is served as HTTP/1.1), it goes on with the rest of the bytes.
    for (let offset = 0; offset < data.length && !this.stopped;) {
      const rest = offset === 0 ? data : data.subarray(offset);
      let result: number | ParseError;
      try {
        result = this.parser.execute(rest);
      } catch (err) {
        return this.internalError(err);
      } finally {
        this.inRead = false;
      }
      if (this.leaveConsumed) {
        // Bytes handed over before llhttp read the socket itself (a sniffed preface) held more
        // than plain requests: the socket's reads come here too from now on.
        this.leaveConsumed = false;
        this.readInJavaScript();
      }
      if (!this.parsed(rest, result)) return;
      offset += result;
    }
  };

  /**
   * llhttp parsed a read in C++. Plain requests need nothing more here. Anything else (an
   * upgrade's head, a refusal, a parse error) ends the reading in C++: the rest of this read, and
   * every later one, go through {@link onData}, as they would have from the start.
   */
  private readonly onExecute = (result: number | ParseError): void => {
    this.inRead = false;
    if (!this.leaveConsumed && typeof result === "number") return;
    this.leaveConsumed = false;
    const data = this.parser.currentBuffer();
    this.readInJavaScript();
    if (!this.parsed(data, result)) return;
    const rest = data.subarray(result);
    if (rest.length > 0) this.onData(rest);
  };

  /**
   * What follows llhttp's pass over `data`, which it parsed up to `result`: true when reading goes
   * on with the bytes after that.
   */
  private parsed(data: Buffer, result: number | ParseError): result is number {
    if (typeof result !== "number") {
      // A request whose body broke has a known method; one whose head did not parse has none here
      // (llhttp tells it with the whole head only, and the request line may have come in any read).
      this.refuse(
        result.code === "HPE_HEADER_OVERFLOW" ? "IGW_ERR_HEADERS_TOO_LARGE" : "IGW_ERR_BAD_REQUEST",
        undefined,
        this.reading?.method ?? (result.code === "HPE_INVALID_METHOD" ? UNNAMED_METHOD : undefined),
      );
      return false;
    }
    if (this.stopped) {
      const last = this.queue.length > 0 ? this.queue[this.queue.length - 1] : this.active;
      if (last?.kind === "upgrade" && this.reading === last.req) {
        last.head = data.subarray(result);
        this.reading = undefined;
        if (this.active === last) this.takeOver(last);
      }
      return false;
    }
    return true;
  }

  /** A defect of ours met while reading (the parser's callbacks run inside it): this connection ends, the process goes on. */
  private internalError(err: unknown): void {
    console.error(`istio-gateway proxy: internal error: ${(err as Error).stack ?? String(err)}`);
    this.stop();
    this.socket.destroy();
  }

  // Parser callbacks that run the connection manager: a throw ends the connection, not the
  // process (in C++ reading, nothing above them would catch it).
  private readonly guardedHeadersComplete: typeof this.onHeadersComplete = (
    major,
    minor,
    raw,
    method,
    url,
    status,
    message,
    upgrade,
    keepAlive,
  ) => {
    try {
      return this.onHeadersComplete(major, minor, raw, method, url, status, message, upgrade, keepAlive);
    } catch (err) {
      this.internalError(err);
      return 0;
    }
  };

  private readonly guardedBody = (chunk: Buffer): void => {
    try {
      this.onBody(chunk);
    } catch (err) {
      this.internalError(err);
    }
  };

  private readonly guardedMessageComplete = (): void => {
    try {
      this.onMessageComplete();
    } catch (err) {
      this.internalError(err);
    }
  };

  private readonly onMessageBegin = (): void => {
    this.inRead = true;
    const now = performance.now();
    this.messageStart = now;
    this.inHead = true;
    this.lines = [];
    this.target = "";
    if (this.active === undefined) this.arm(Wait.Headers, now);
  };

  private readonly onHeaders = (lines: string[], url: string): void => {
    this.inRead = true;
    for (const l of lines) this.lines.push(l);
    this.target += url;
  };

  private readonly onHeadersComplete = (
    major: number,
    minor: number,
    raw: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: undefined,
    _message: undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    this.inRead = true;
    if (this.stopped) return 0;
    if (raw === undefined) {
      raw = this.lines;
      this.lines = [];
    }
    if (url === undefined || url === "") {
      url = this.target;
      this.target = "";
    }
    const name = methodName(method);
    // A method Envoy's codec does not know fails its request line: no request to log, and the
    // answer has a body, the method not being HEAD.
    if (name === undefined || !isCodecMethod(name))
      return (this.refuse("IGW_ERR_BAD_REQUEST", undefined, name ?? UNNAMED_METHOD), 0);
    const headers = requestHeaders(raw);
    // A target other than a path is taken as Envoy takes it (request-target.ts): an absolute URL's
    // authority for the Host header and its path for the request's; a CONNECT's authority for the
    // Host header, with no path. Envoy's codec refuses any other.
    let requestTarget = url;
    let httpsInPlaintext = false;
    let badTarget: TargetRefusal | undefined;
    if (headers !== undefined && name === "CONNECT") {
      const authority = connectAuthority(url);
      if (authority === undefined) badTarget = "http1.invalid_url";
      else {
        headers.host = authority;
        requestTarget = "";
      }
    } else if (headers !== undefined && !isOriginForm(name, url)) {
      const absolute = absoluteTarget(url);
      if (absolute === undefined) badTarget = targetRefusal(url);
      else {
        headers.host = absolute.authority;
        requestTarget = absolute.path;
        httpsInPlaintext = absolute.https && !this.encrypted;
      }
    }
    const req = new Http1Request(this.socket, name, requestTarget, headers ?? {}, minor, this);
    req.headBytes = headLength(name, url, raw);
    if (major !== 1 || minor !== 1) return (this.refuse("IGW_ERR_HTTP_VERSION", req), 0);
    if (badTarget !== undefined) return (this.refuse("IGW_ERR_BAD_REQUEST", req, name, badTarget), 0);
    if (httpsInPlaintext) return (this.refuse("IGW_ERR_HTTPS_IN_PLAINTEXT", req), 0);
    if (headers !== undefined && !acceptableConnectionHeader(headers))
      return (this.refuse("IGW_ERR_BAD_REQUEST", req), 0);
    if (raw.length > this.settings.maxHeadersCount * 2)
      return (this.refuse("IGW_ERR_HEADERS_TOO_LARGE", req), 0);
    if (headers === undefined) return (this.refuse("IGW_ERR_BAD_REQUEST", req), 0);
    this.reading = req;
    // A CONNECT is no upgrade here (Istio's gateways upgrade to WebSocket only): it is routed as a
    // request, which no route takes without a path (404), after which the connection cannot go
    // on, llhttp having stopped at its head. An `h2c` upgrade is served as the HTTP/1.1 request it
    // also is, as Envoy serves it: its upgrade headers are hop-by-hop and go no further.
    const connect = name === "CONNECT";
    const tunnel = upgrade && !connect && !isH2c(headers.upgrade);
    const turn: Turn = tunnel
      ? { kind: "upgrade", req, head: EMPTY }
      : {
          kind: "exchange",
          req,
          res: new Http1Response(this.socket, this, name === "HEAD", keepAlive && !connect, this.writes, req),
        };
    if (tunnel || connect) this.stop();
    // llhttp hands back the bytes after an upgrade request's head (h2c included) unparsed.
    else if (upgrade && this.parser.consuming) this.leaveConsumed = true;
    this.inHead = false;
    if (this.active === undefined) {
      this.begin(turn, this.messageStart);
    } else {
      this.queue.push(turn);
      this.pause(PAUSED_BY_QUEUE);
    }
    return 0;
  };

  private readonly onBody = (chunk: Buffer): void => {
    this.inRead = true;
    if (!this.stopped) this.reading?.receive(chunk);
  };

  private readonly onMessageComplete = (): void => {
    this.inRead = true;
    // llhttp flushes a trailer section with the request's target again: neither is kept.
    this.lines = [];
    this.target = "";
    const req = this.reading;
    if (req === undefined || this.stopped) return;
    this.reading = undefined;
    req.receiveEnd();
    const active = this.active;
    if (active !== undefined && active.kind !== "refusal" && active.req === req) this.arm(Wait.None, 0);
  };

  // --- serving turns ------------------------------------------------------------------------

  /** Serves `turn` now; `from` is when its request began, for the request timeout. */
  private begin(turn: Turn, from: number): void {
    this.active = turn;
    if (turn.kind === "refusal") return this.refuseNow(turn.code, turn.req, turn.method, turn.details);
    if (turn.kind === "upgrade") {
      // Taken over once the parser has handed back the bytes after the head.
      if (this.reading !== turn.req) this.takeOver(turn);
      return;
    }
    const req = turn.req;
    if (req.complete) this.arm(Wait.None, 0);
    else this.arm(Wait.Body, from);
    if (this.settings.draining()) turn.res.closeAfter = true;
    try {
      this.settings.onRequest(req, turn.res);
    } catch (err) {
      console.error(`istio-gateway proxy: internal error: ${(err as Error).stack ?? String(err)}`);
      this.socket.destroy();
    }
  }

  /** A response ended (or was abandoned): the connection goes on to the next turn, or closes. */
  responseDone(res: Http1Response, finished: boolean): void {
    const active = this.active;
    if (active?.kind !== "exchange" || active.res !== res) return;
    this.active = undefined;
    if (!finished || this.closed) return void this.socket.destroy();
    // A request not read to its end leaves bytes that could not be told from the next request.
    if (res.closeAfter || !active.req.complete || this.settings.draining()) {
      return this.endGracefully();
    }
    const next = this.queue.shift();
    if (this.queue.length === 0) this.resume(PAUSED_BY_QUEUE);
    const now = performance.now();
    if (next !== undefined) return this.begin(next, now);
    this.arm(this.inHead ? Wait.Headers : Wait.Idle, now);
  }

  /**
   * Refuses what is being read (`refused`, when its head was read), after the responses owed
   * before it; nothing more is read.
   */
  private refuse(
    code: ProxyErrorCode,
    refused?: Http1Request,
    method = refused?.method,
    details?: string,
  ): void {
    const reading = this.reading;
    this.stop();
    this.reading = undefined;
    const active = this.active;
    if (
      reading !== undefined &&
      active !== undefined &&
      active.kind !== "refusal" &&
      active.req === reading
    ) {
      // The body of the request being served broke the framing: its response is the refusal.
      // It is answered first: the abort then fails its forwarding, which finds the response sent.
      const res = (active as Exchange).res;
      this.fail(res, code);
      reading.abort();
      return;
    }
    if (reading !== undefined) {
      // A waiting request whose body broke the framing: it is answered by the refusal instead.
      const i = this.queue.findIndex((t) => t.kind !== "refusal" && t.req === reading);
      if (i >= 0) this.queue.length = i;
      reading.abort();
    }
    const turn: Refusal = { kind: "refusal", code, req: refused, method, details };
    if (this.active === undefined) this.begin(turn, 0);
    else this.queue.push(turn);
  }

  /** Answers the request being served with the failure `code` (through its owner), then the connection ends. */
  private fail(res: Http1Response, code: ProxyErrorCode): void {
    if (res.headersSent) return void this.socket.destroy();
    res.closeAfter = true;
    if (res.onRequestFailure !== undefined) res.onRequestFailure(code);
    else this.refuseNow(code);
  }

  /**
   * Writes the refusal for `code` and ends the connection; the refusal is reported with `req`, if
   * read, and Envoy's `details` when they say more than the code; `method` is the refused
   * request's, when known.
   */
  private refuseNow(code: ProxyErrorCode, req?: Http1Request, method = req?.method, details?: string): void {
    this.stop();
    this.settings.onRefusal(this.socket, code, req, details);
    const status = ERROR_STATUS[code].status;
    const reason = STATUS_CODES[status] ?? "Unknown";
    if (this.socket.writable) {
      // Envoy answers what its codec cannot read with a local reply whose body is the status's
      // text (Bad Request, Request Header Fields Too Large, Upgrade Required); a head that did
      // not arrive in time gets an empty one. A HEAD request is told the length, without the body;
      // a request whose method is not known (its head did not parse) gets an empty body, right
      // whatever the method.
      const body = code === "IGW_ERR_REQUEST_TIMEOUT" || method === undefined ? "" : reason;
      const typed = body === "" ? "" : "content-type: text/plain\r\n";
      this.socket.write(
        `HTTP/1.1 ${status} ${reason}\r\nx-igw-error-code: ${code}\r\ncontent-length: ${body.length}\r\n${typed}connection: close\r\ndate: ${httpDate()}\r\nserver: ${this.settings.serverName}\r\n\r\n${method === "HEAD" ? "" : body}`,
        "latin1",
      );
    }
    this.endGracefully();
  }

  /**
   * Ends the connection after what was written, as Envoy's delayed close does: it half-closes,
   * then reads on (and drops what it reads) until the client closes too, or for a second. Closing
   * at once with the client's bytes unread would make the close a reset, and a reset can make the
   * client drop the responses it has not read yet, the last one included.
   */
  private endGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.stop();
    this.arm(Wait.None, 0);
    const socket = this.socket;
    socket.end();
    this.readSocket();
    this.delayedClose = setTimeout(() => socket.destroy(), DELAYED_CLOSE_MS).unref();
  }

  /** Hands the connection to the upgrade's handler, with the bytes after the request head. */
  private takeOver(turn: Upgrade): void {
    this.detach();
    this.registry.forget(this);
    // Paused, so nothing is lost before the tunnel reads: its pipe resumes the socket.
    this.socket.pause();
    try {
      this.settings.onUpgrade(turn.req, this.socket, turn.head);
    } catch (err) {
      console.error(`istio-gateway proxy: internal error: ${(err as Error).stack ?? String(err)}`);
      this.socket.destroy();
    }
  }

  // --- the socket ---------------------------------------------------------------------------

  /** The body's buffer is full: stop reading the socket until it is read. */
  pauseBody(): void {
    this.pause(PAUSED_BY_BODY);
  }

  /** The body was read: read the socket again. */
  resumeBody(): void {
    this.resume(PAUSED_BY_BODY);
  }

  private pause(reason: number): void {
    if (this.closing) return;
    if (this.paused === 0) this.parser.hold(this.socket);
    this.paused |= reason;
  }

  private resume(reason: number): void {
    if ((this.paused & reason) === 0) return;
    this.paused &= ~reason;
    if (this.paused === 0) this.readSocket();
  }

  /** Reads the socket (again). */
  private readSocket(): void {
    if (!this.closed) this.parser.read(this.socket);
  }

  /**
   * Ends the reading in C++: the socket's reads come to {@link onData} from now on, held back if
   * the connection is paused.
   */
  private readInJavaScript(): void {
    if (!this.parser.consuming) return;
    this.parser.unconsume();
    if (this.closed) return;
    if (this.paused !== 0 && !this.closing) this.socket.pause();
    else this.socket.resume();
  }

  /** Reads no more requests. */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // What the client sends from now on is read in JavaScript, and dropped there. A stop in the
    // middle of a read (an upgrade, a refusal) takes effect once llhttp has handed that read back.
    if (this.parser.consuming) {
      if (this.inRead) this.leaveConsumed = true;
      else this.readInJavaScript();
    }
    this.pause(PAUSED_FOR_GOOD);
  }

  private arm(wait: Wait, from: number): void {
    const s = this.settings;
    const ms =
      wait === Wait.None
        ? 0
        : wait === Wait.Idle
          ? s.idleTimeoutMs
          : wait === Wait.Headers
            ? s.headersTimeoutMs
            : s.requestTimeoutMs;
    // A limit of 0 is none (`--request-timeout 0`, as Istio leaves Envoy's).
    this.wait = ms === 0 ? Wait.None : wait;
    this.deadline = ms === 0 ? 0 : from + ms;
  }

  /** Lets go of the socket: no more reading, waiting or answering here. */
  private detach(): void {
    const socket = this.socket;
    socket.removeListener("data", this.onData);
    socket.removeListener("error", ignore);
    socket.removeListener("close", this.onClose);
    this.arm(Wait.None, 0);
    this.closed = true;
    this.parser.close();
  }

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.delayedClose);
    this.arm(Wait.None, 0);
    this.parser.close();
    this.registry.forget(this);
    this.reading?.abort();
    const active = this.active;
    this.active = undefined;
    if (active !== undefined && active.kind !== "refusal") {
      active.req.abort();
      if (active.kind === "exchange") active.res.abandon();
    }
    for (const t of this.queue) if (t.kind !== "refusal") t.req.abort();
    this.queue.length = 0;
  };
}

const EMPTY = Buffer.alloc(0);
/** How long an ending connection waits for the client to close (Envoy's `delayed_close_timeout`). */
const DELAYED_CLOSE_MS = 1000;

function ignore(): void {}

/** Whether an `Upgrade` header asks for HTTP/2 over cleartext (RFC 7540 §3.2). */
function isH2c(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === "h2c";
}

/**
 * The bytes a request head took on the wire, as written without optional whitespace: the request
 * line, `name: value` lines and the blank line (Istio's `istio_request_bytes` counts them).
 */
function headLength(method: string, target: string, raw: readonly string[]): number {
  // "METHOD SP target SP HTTP/1.1 CRLF" (12 besides the two) and the blank line's CRLF, then
  // "name: value CRLF" each.
  let n = method.length + target.length + 14;
  for (let i = 0; i < raw.length; i += 2) n += raw[i]!.length + raw[i + 1]!.length + 4;
  return n;
}
