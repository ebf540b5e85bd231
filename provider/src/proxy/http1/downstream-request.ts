/**
 * One HTTP/1.1 request from a client, as the connection manager reads it: the fields of node:http's
 * `IncomingMessage` it uses (`method`, `url`, `headers`, `httpVersionMajor`, `socket`), and the
 * body as a readable stream. Reading the body drives the socket: when the body's buffer is full the
 * connection stops reading from the client until it is read ({@link BodyFlow}).
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
export class Http1Request extends Readable {
  /** HTTP major version: always 1 here (HTTP/2 requests come from node:http2). */
  readonly httpVersionMajor = 1;
  /** True once the whole request, body included, was read. */
  complete = false;

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
  ) {
    super();
  }

  /** A piece of the body arrived. */
  receive(chunk: Buffer): void {
    if (!this.push(chunk)) this.flow.pauseBody();
  }

  /** The request was read to its end. */
  receiveEnd(): void {
    this.complete = true;
    this.push(null);
    // An ended stream asks for nothing more: a pause it caused must not outlive it.
    this.flow.resumeBody();
  }

  /** The connection closed first: readers see `aborted`, then the stream closes. */
  abort(): void {
    if (this.complete || this.destroyed) return;
    this.emit("aborted");
    this.destroy();
  }

  override _read(): void {
    this.flow.resumeBody();
  }
}
