/**
 * Node's built-in HTTP/1.1 parser: llhttp compiled into the runtime, the parser node:http itself
 * reads requests and responses with. It parses in C++ and hands each message to JavaScript in a
 * few calls (head, body chunks, end), where undici's copy of llhttp runs as WebAssembly and
 * crosses into JavaScript for every header. Node exposes it only through `_http_common`, its own
 * HTTP modules' shared internals; the module has been there since Node 0.x and node:http depends
 * on it, so this file is the one place that names it. The proxy reads requests from clients
 * ({@link RequestParser}) and responses from upstreams ({@link ResponseParser}) with it.
 */
import type { Socket } from "node:net";

const { HTTPParser, methods: METHODS } = loadCommon();

/** The parser class and method names, or an error that says what is missing, at start rather than on a request. */
function loadCommon(): { HTTPParser: NativeParserClass; methods: readonly string[] } {
  let common: { HTTPParser?: unknown; methods?: unknown } | undefined;
  let cause: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    common = require("_http_common") as { HTTPParser?: unknown; methods?: unknown };
  } catch (err) {
    cause = err;
  }
  if (typeof common?.HTTPParser !== "function" || !Array.isArray(common.methods)) {
    throw new Error(
      `this Node.js ${process.version} does not expose its HTTP/1.1 parser (_http_common.HTTPParser), which the proxy reads HTTP/1.1 with`,
      { cause },
    );
  }
  return { HTTPParser: common.HTTPParser as NativeParserClass, methods: common.methods as string[] };
}

/** The response head, as llhttp reports it. */
export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  /** Names and values alternating, as sent; undefined when they came through {@link OnHeaders}. */
  rawHeaders: string[] | undefined,
  method: undefined,
  url: undefined,
  statusCode: number,
  statusMessage: string,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number;

/** A batch of header (or trailer) lines: llhttp flushes them in batches of 32. */
export type OnHeaders = (rawHeaders: string[], url: string) => void;

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Parses `data`; returns the bytes consumed, or the parse error (code `HPE_*`). */
  execute(data: Buffer): number | (Error & { code: string; bytesParsed?: number });
  /** The connection ended: completes a response delimited by it, or returns why it cannot. */
  finish(): undefined | (Error & { code: string });
  /** Frees the native parser. */
  close(): void;
  /** Reads `handle` (a socket's native stream) in C++ from now on; each read ends in `kOnExecute`. */
  consume(handle: object): void;
  /** Gives the native stream back to its socket. */
  unconsume(): void;
  /** A copy of the read being parsed (inside `kOnExecute`). */
  getCurrentBuffer(): Buffer;
  [kOnHeaders: number]: unknown;
}

/** A socket's native stream (`TCPWrap`, `TLSWrap`), as node:net and node:http use it. */
interface NativeStream {
  readonly isStreamBase?: boolean;
  /** Set once a parser reads it (node:http's own mark, so two never do). */
  _consumed?: boolean;
  /** node:net's record of whether it reads. */
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

/** A socket whose native stream a parser may read. */
export interface ConsumableSocket {
  readonly _handle?: NativeStream | null;
}

interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
}

/** Makes `native` a strict (no leniency flags) parser of `type` messages calling `events`. */
function strict(
  native: NativeParser,
  type: number,
  maxHeaderSize: number,
  events: ResponseParserEvents | RequestParserEvents,
): void {
  native.initialize(type, {}, maxHeaderSize, 0);
  native[HTTPParser.kOnHeaders] = events.onHeaders;
  native[HTTPParser.kOnHeadersComplete] = events.onHeadersComplete;
  native[HTTPParser.kOnBody] = events.onBody;
  native[HTTPParser.kOnMessageComplete] = events.onMessageComplete;
}

/** `onHeadersComplete`'s answer: a body follows, and llhttp reports it (`onBody`) and its end. */
export const BODY_PARSED = 0;
/** `onHeadersComplete`'s answer: no body follows, whatever the head says (a response to HEAD). */
export const NO_BODY = 1;
/**
 * `onHeadersComplete`'s answer: the caller reads the body from the bytes after the head. llhttp
 * stops there (it takes the rest for another protocol, as after an upgrade) and reports the
 * message complete at once; `execute` returns where the head ended, and the parser must
 * {@link ResponseParser.restart} before the next response.
 */
export const BODY_READ_BY_CALLER = 2;

/** What a {@link ResponseParser} reports; `onHeadersComplete` answers with what follows the head. */
export interface ResponseParserEvents {
  onHeaders: OnHeaders;
  onHeadersComplete: OnHeadersComplete;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/**
 * What both parsers share: the native parser, and reading a socket with it in C++
 * ({@link consume}) as node:http's server reads its clients, with no Buffer and no stream event per
 * read. The proxy reads its clients that way; it reads upstreams itself, into reused memory, and
 * hands the reads to {@link ResponseParser.execute} (upstream/http1-connection.ts says why).
 */
abstract class NativeReader {
  protected readonly native = new HTTPParser();
  /** The native stream read in C++, while {@link consume} has it. */
  private consumed: NativeStream | undefined;

  /**
   * Reads `socket` in C++ from now on: each read goes from the socket's native stream straight to
   * llhttp, and `onExecute` gets what llhttp made of it (the bytes it consumed, or the parse
   * error). False when the socket has no native stream to take (it must then be read with
   * `execute`).
   */
  consume(socket: ConsumableSocket, onExecute: (result: number | ParseError) => void): boolean {
    const handle = socket._handle;
    if (handle?.isStreamBase !== true || handle._consumed === true) return false;
    handle._consumed = true;
    this.native[HTTPParser.kOnExecute] = onExecute;
    this.native.consume(handle);
    this.consumed = handle;
    return true;
  }

  /** Whether llhttp reads the socket itself ({@link consume}, until {@link unconsume}). */
  get consuming(): boolean {
    return this.consumed !== undefined;
  }

  /** The bytes of the read being parsed now (a copy); only inside `onExecute`. */
  currentBuffer(): Buffer {
    return this.native.getCurrentBuffer();
  }

  /**
   * Gives the socket's native stream back: the socket emits what it reads again. The stream is
   * left reading: the socket's own stream asked for a read when it started, has had no data since,
   * and asks again only once data comes.
   */
  unconsume(): void {
    const handle = this.release();
    if (handle !== undefined && handle.reading !== true) {
      handle.reading = true;
      handle.readStart();
    }
  }

  /** Stops reading `socket` (backpressure), wherever its reads go. */
  hold(socket: Socket): void {
    const handle = this.consumed;
    if (handle === undefined) socket.pause();
    else if (handle.reading === true) {
      handle.reading = false;
      handle.readStop();
    }
  }

  /** Reads `socket` again, wherever its reads go. */
  read(socket: Socket): void {
    const handle = this.consumed;
    if (handle === undefined) socket.resume();
    else if (handle.reading !== true && !socket.destroyed) {
      handle.reading = true;
      handle.readStart();
    }
  }

  /**
   * Frees the parser (a consumed socket's stream is given back first). The native parser goes on
   * the next turn of the event loop, as node:http frees its own: a socket closed from inside one
   * of the parser's callbacks closes while llhttp is still running on it.
   */
  close(): void {
    this.release();
    setImmediate(closeNative, this.native);
  }

  /** Ends {@link consume}; the stream it took, if any. */
  private release(): NativeStream | undefined {
    const handle = this.consumed;
    if (handle === undefined) return undefined;
    this.consumed = undefined;
    handle._consumed = false;
    this.native.unconsume();
    return handle;
  }
}

function closeNative(native: NativeParser): void {
  native.close();
}

/**
 * A strict (no leniency flags) response parser for one connection, with `events` as its callbacks.
 * `onHeadersComplete` answers llhttp with what follows the head: {@link BODY_PARSED} (the body, as
 * llhttp finds its end), {@link NO_BODY}, or {@link BODY_READ_BY_CALLER}.
 */
export class ResponseParser extends NativeReader {
  constructor(
    events: ResponseParserEvents,
    private readonly maxHeaderSize: number,
  ) {
    super();
    strict(this.native, HTTPParser.RESPONSE, maxHeaderSize, events);
  }

  /**
   * Parses the next bytes. Returns the bytes consumed: all of them, except after a head answered
   * with {@link BODY_READ_BY_CALLER}, where llhttp stopped (the body starts at that offset). Or
   * the parse error (code `HPE_*`), which ends the connection.
   */
  execute(data: Buffer): number | ParseError {
    return this.native.execute(data);
  }

  /**
   * Forgets the message in progress: the next byte parsed begins a response. Needed after a head
   * answered {@link BODY_READ_BY_CALLER}: llhttp would go on to the next response by itself, but
   * node's binding keeps the upgrade flag set until the parser is initialized again, and with it
   * set reports a later parse error as a count of bytes parsed instead of the error.
   */
  restart(): void {
    this.native.initialize(HTTPParser.RESPONSE, {}, this.maxHeaderSize, 0);
  }

  /** The connection ended; an error when a response was cut short. */
  finish(): Error | undefined {
    return this.native.finish() ?? undefined;
  }
}

/**
 * A request head, as llhttp reports it. `method` indexes llhttp's method names
 * ({@link methodName}); `upgrade` is set for CONNECT and for `Connection: upgrade` with an
 * `Upgrade` header, after which llhttp stops at the end of the head.
 */
export type OnRequestHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  /** Names and values alternating, as sent; undefined when they came through {@link OnHeaders}. */
  rawHeaders: string[] | undefined,
  method: number,
  /** The request target; undefined when it came through {@link OnHeaders}. */
  url: string | undefined,
  statusCode: undefined,
  statusMessage: undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number;

/** What a {@link RequestParser} reports; `onMessageBegin` comes with the first byte of each request. */
export interface RequestParserEvents {
  onMessageBegin(): void;
  onHeaders: OnHeaders;
  onHeadersComplete: OnRequestHeadersComplete;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/**
 * Node's method names run in llhttp's order, and match llhttp's numbers up to `SOURCE` only:
 * llhttp numbers its later methods past a gap (`QUERY` is 46) where node's list has none.
 */
const NUMBERED = METHODS.indexOf("SOURCE") + 1;

/**
 * The name of llhttp's method number `index` (`GET`, `POST`, ...); undefined for a method past
 * `SOURCE` (`QUERY`), which Envoy's codec refuses anyway (codec-methods.ts).
 */
export function methodName(index: number): string | undefined {
  return index < NUMBERED ? METHODS[index] : undefined;
}

/** What {@link RequestParser.execute} found wrong: llhttp's `HPE_*` code. */
export interface ParseError extends Error {
  /** llhttp's error name, such as `HPE_HEADER_OVERFLOW` or `HPE_INVALID_HEADER_TOKEN`. */
  readonly code: string;
}

/** A strict (no leniency flags) request parser for one client connection, with `events` as its callbacks. */
export class RequestParser extends NativeReader {
  constructor(events: RequestParserEvents, maxHeaderSize: number) {
    super();
    strict(this.native, HTTPParser.REQUEST, maxHeaderSize, events);
    this.native[HTTPParser.kOnMessageBegin] = events.onMessageBegin;
  }

  /**
   * Parses the next bytes. Returns the bytes consumed (fewer than given only after an upgrade
   * request's head: the rest belongs to the upgraded protocol), or the parse error.
   */
  execute(data: Buffer): number | ParseError {
    return this.native.execute(data);
  }
}
