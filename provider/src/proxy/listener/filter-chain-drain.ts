/**
 * The drain of one filter chain, as Envoy's listener manager drains the chains a configuration
 * change modifies or removes (`drainFilterChains`): from the moment the chain drains, its HTTP
 * connections are told to go away on their next response (`Connection: close`, or GOAWAY), as the
 * connection manager's `drainClose()` turns true at once for a draining chain; when the drain time
 * ends, every connection still open on it is closed (`removeFilterChains`), TCP ones included,
 * which Envoy's tcp_proxy as Istio configures it leaves open until then.
 */
import type { Duplex } from "node:stream";

/** One filter chain's connections, and their drain once the chain is changed or removed. */
export class FilterChainDrain {
  private readonly connections = new Set<Duplex>();
  private timer: NodeJS.Timeout | undefined;
  private over = false;
  private drainStarted = false;

  /** True once the chain drains: its HTTP connections close after their next response. */
  get draining(): boolean {
    return this.drainStarted;
  }

  /** Whether any connection accepted on the chain is open. */
  get inUse(): boolean {
    return this.connections.size > 0;
  }

  /** Counts `socket` (a connection accepted on the chain) until it closes. */
  add(socket: Duplex): void {
    // A connection that only reached its chain after the drain ended (its ClientHello was read
    // across the change) is closed as the others were.
    if (this.over) return void socket.destroy();
    this.connections.add(socket);
    socket.once("close", () => this.connections.delete(socket));
  }

  /** Starts the drain: the chain's connections are closed after `drainMs`. Once only. */
  start(drainMs: number): void {
    if (this.drainStarted) return;
    this.drainStarted = true;
    // The timer does not keep the process alive: a proxy closing closes these connections itself.
    this.timer = setTimeout(() => this.end(), drainMs);
    this.timer.unref();
  }

  /** Ends the drain now: closes what is left on the chain. */
  end(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.over = true;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
  }
}
