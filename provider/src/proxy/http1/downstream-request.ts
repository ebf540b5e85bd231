/**
 * One HTTP/1.1 request from a client, as the connection manager reads it: the fields of node:http's
 * `IncomingMessage` it uses (`method`, `url`, `headers`, `httpVersionMajor`, `socket`), and the
 * body as a readable stream ({@link Http1Request.body}). Reading the body drives the socket: when
 * the body's buffer is full the connection stops reading from the client until it is read
 * ({@link BodyFlow}).
 *
 * The body stream is made only when a body byte arrives or someone asks for it. Most requests a
 * gateway serves have no body, and a Readable is the costliest object a request would otherwise
 * carry: its state, its listeners, and the end that `push(null)` schedules on the next tick (about
 * a microsecond a request, measured, where the whole request costs the proxy a few dozen).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";

/** Who reads from the client's socket on the body's behalf. */
export interface BodyFlow {
  /** The body's buffer is full: stop reading the socket. */
  pauseBody(): void;
  /** The body was read: read the socket again. */
  resumeBody(): void;
}

/** A client's request on an HTTP/1.1 connection. */
export class Http1Request {
  /** HTTP major version: always 1 here (HTTP/2 requests come from node:http2). */
  readonly httpVersionMajor = 1;
  /** True once the whole request, body included, was read. */
  complete = false;
  /** True once the connection closed before the request was read to its end. */
  aborted = false;
  /** The bytes of the request's head on the wire: request line, header lines, blank line. */
  headBytes = 0;
  private stream: RequestBody | undefined;

  constructor(
    /** The client's socket (with the connection's state attached). */
    readonly socket: Socket,
    /** The method, upper case. */
    readonly method: string,
    /** The request target, as sent. */
    readonly url: string,
    /** The headers, by lower-case name (see `request-headers.ts` for repeated ones). */
    readonly headers: IncomingHttpHeaders,
    /** The HTTP minor version (1, or 0 for an HTTP/1.0 request). */
    readonly httpVersionMinor: number,
    private readonly flow: BodyFlow,
  ) {}

  /**
   * The body, as a stream made on first use: what arrived so far, then the rest as it arrives. It
   * ends with the request, or emits `aborted` and is destroyed when the connection closes first.
   */
  get body(): Readable {
    let stream = this.stream;
    if (stream === undefined) {
      stream = this.stream = new RequestBody(this.flow);
      if (this.complete) stream.push(null);
      // Asked for after the connection closed: a stream that is already over, as it would be now.
      else if (this.aborted) setImmediate(() => stream!.abort());
    }
    return stream;
  }

  /**
   * Whether some of the request is still to come: a body its head announced (`content-length`
   * other than 0, or `transfer-encoding`) not read to its end. A request without a body is whole
   * once its head is read, before the parser reports its end.
   */
  get unread(): boolean {
    if (this.complete) return false;
    const cl = this.headers["content-length"];
    return cl === undefined ? this.headers["transfer-encoding"] !== undefined : cl !== "0";
  }

  /** A piece of the body arrived. */
  receive(chunk: Buffer): void {
    if (!this.body.push(chunk)) this.flow.pauseBody();
  }

  /** The request was read to its end. */
  receiveEnd(): void {
    this.complete = true;
    this.stream?.push(null);
    // An ended stream asks for nothing more: a pause it caused must not outlive it.
    this.flow.resumeBody();
  }

  /** The connection closed first: the body's readers see `aborted`, then the stream closes. */
  abort(): void {
    if (this.complete || this.aborted) return;
    this.aborted = true;
    this.stream?.abort();
  }
}

/** A request's body stream. */
class RequestBody extends Readable {
  constructor(private readonly flow: BodyFlow) {
    super();
  }

  /** The request was cut short. */
  abort(): void {
    if (this.destroyed) return;
    this.emit("aborted");
    this.destroy();
  }

  override _read(): void {
    this.flow.resumeBody();
  }
}
