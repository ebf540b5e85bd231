/**
 * Node's built-in HTTP/1.1 response parser: llhttp compiled into the runtime, the parser node:http
 * itself reads responses with. It parses in C++ and hands each response to JavaScript in three
 * calls (head, body chunks, end), where undici's copy of llhttp runs as WebAssembly and crosses
 * into JavaScript for every header. Node exposes it only through `_http_common`, its own HTTP
 * modules' shared internals; the module has been there since Node 0.x and node:http depends on it,
 * so this file is the one place that names it.
 */
const HTTPParser = loadParser();

/** The parser class, or an error that says what is missing, at start rather than on a request. */
function loadParser(): NativeParserClass {
  let parser: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    parser = (require("_http_common") as { HTTPParser?: unknown }).HTTPParser;
  } catch (err) {
    parser = err;
  }
  if (typeof parser !== "function") {
    throw new Error(
      `this Node.js ${process.version} does not expose its HTTP/1.1 parser (_http_common.HTTPParser), which the proxy's upstream pool reads responses with`,
      { cause: parser },
    );
  }
  return parser as NativeParserClass;
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
  execute(data: Buffer): number | (Error & { code: string });
  /** The connection ended: completes a response delimited by it, or returns why it cannot. */
  finish(): undefined | (Error & { code: string });
  /** Frees the native parser. */
  close(): void;
  [kOnHeaders: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
}

/** What a {@link ResponseParser} reports; the return of `onHeadersComplete` is llhttp's (1: no body). */
export interface ResponseParserEvents {
  onHeaders: OnHeaders;
  onHeadersComplete: OnHeadersComplete;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/** A strict (no leniency flags) response parser for one connection, with `events` as its callbacks. */
export class ResponseParser {
  private readonly native = new HTTPParser();

  constructor(events: ResponseParserEvents, maxHeaderSize: number) {
    const p = this.native;
    p.initialize(HTTPParser.RESPONSE, {}, maxHeaderSize, 0);
    p[HTTPParser.kOnHeaders] = events.onHeaders;
    p[HTTPParser.kOnHeadersComplete] = events.onHeadersComplete;
    p[HTTPParser.kOnBody] = events.onBody;
    p[HTTPParser.kOnMessageComplete] = events.onMessageComplete;
  }

  /** Parses the next bytes; a returned error (code `HPE_*`) ends the connection. */
  execute(data: Buffer): Error | undefined {
    const r = this.native.execute(data);
    return typeof r === "number" ? undefined : r;
  }

  /** The connection ended; an error when a response was cut short. */
  finish(): Error | undefined {
    return this.native.finish() ?? undefined;
  }

  /** Frees the parser. */
  close(): void {
    this.native.close();
  }
}
