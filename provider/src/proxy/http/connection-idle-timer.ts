/**
 * Envoy's connection idle timeout, for a connection that carries many requests at once (an HTTP/2
 * session, from a client or to an upstream): the connection is idle while no request is open on
 * it, and `onIdle` runs once it has been idle for the whole timeout. Bytes do not count: a request
 * open and silent for longer keeps the connection, and PINGs do not keep an idle one.
 *
 * Why not node:http2's `setTimeout` (on the session or the server): it counts time without bytes,
 * which is another timeout, and a session that closes keeps its timer, which holds the closed
 * session (its socket, its buffers) until the timer fires. {@link stop} when the connection
 * closes.
 *
 * One timer per connection, not one per request: armed when the connection starts idle or goes
 * idle, it looks again when it fires. A request that came and went meanwhile leaves it to sleep out
 * the idle time left; one still open disarms it, and the connection's next idle moment arms it
 * again.
 */
export class ConnectionIdleTimer {
  /** Requests open now. */
  private active = 0;
  /** When the last request ended, or the connection began (`performance.now()`). */
  private idleSince = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * Starts timing a connection with no request open yet. A `timeoutMs` of 0 never fires.
   * `onIdle` runs at most once.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm(timeoutMs);
  }

  /** Requests open on the connection now. */
  get open(): number {
    return this.active;
  }

  /** A request opened on the connection. */
  requestStarted(): void {
    this.active++;
  }

  /** A request on the connection ended (finished, reset or abandoned). */
  requestEnded(): void {
    if (--this.active > 0) return;
    this.idleSince = performance.now();
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /** The connection closed, or needs no idle timeout any more: the timer lets go of it. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    if (this.stopped || this.timeoutMs <= 0) return;
    this.timer = setTimeout(this.check, ms).unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped || this.active > 0) return;
    const left = this.idleSince + this.timeoutMs - performance.now();
    if (left > 0) return this.arm(left);
    this.stop();
    this.onIdle();
  };
}
