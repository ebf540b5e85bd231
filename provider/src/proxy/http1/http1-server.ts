/**
 * The proxy's HTTP/1.1 server: the connections a listener hands it (plain, or TLS without ALPN
 * `h2`), each an {@link Http1ServerConnection}, and one timer that enforces their idle, headers and
 * request timeouts. One coarse sweep costs nothing per request, where a timer per connection would
 * be re-armed on every request; a timeout fires at most a quarter of itself late (a second at
 * most), as node:http's own checks are coarse too.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { ConnectionRegistry, Http1ServerSettings } from "./server-connection";
import { Http1ServerConnection } from "./server-connection";

export type { Http1ServerSettings } from "./server-connection";

/** Serves HTTP/1.1 on the connections given to it. */
export class Http1Server implements ConnectionRegistry {
  private readonly connections = new Set<Http1ServerConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;

  constructor(readonly settings: Http1ServerSettings) {
    const shortest = Math.min(settings.idleTimeoutMs, settings.headersTimeoutMs, settings.requestTimeoutMs);
    this.sweepMs = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
  }

  /** Serves HTTP/1.1 on `socket`; `head` holds bytes already read from it (a sniffed preface). */
  serve(socket: Socket, head?: Buffer): void {
    const c = new Http1ServerConnection(socket, this);
    this.connections.add(c);
    this.sweeper ??= setInterval(this.sweep, this.sweepMs).unref();
    if (head !== undefined) c.feed(head);
  }

  /** Closes the connections with nothing in flight (draining); the others close after their response. */
  closeIdleConnections(): void {
    for (const c of this.connections) c.closeIfIdle();
  }

  /** Stops the timeout sweep and destroys every connection. */
  close(): void {
    for (const c of this.connections) c.socket.destroy();
    this.stopSweeping();
  }

  forget(c: Http1ServerConnection): void {
    this.connections.delete(c);
    if (this.connections.size === 0) this.stopSweeping();
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const c of this.connections) if (c.deadline !== 0 && c.deadline <= now) c.expire();
  };

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
