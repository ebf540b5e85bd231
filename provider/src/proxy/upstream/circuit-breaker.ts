/**
 * A cluster's circuit breakers (Envoy's per-cluster resource manager): requests in flight,
 * requests waiting for a connection, and retries waiting for their backoff, each with a limit
 * from the DestinationRule's `connectionPool`. A request over a limit is not sent: the proxy
 * answers 503 with response flag `UO`, as Envoy does.
 *
 * HTTP/1.1 carries one request per connection at a time, so requests in flight are the
 * connections in use: `maxConnections` bounds them, and a request beyond it waits in the pending
 * queue (`maxPendingRequests`) for one to finish. HTTP/2 multiplexes, so only `maxRequests`
 * applies there and nothing waits. TCP-proxied connections count against `maxConnections`
 * apart from requests (a cluster serves one or the other). Counts are per cluster and per proxy
 * process (each `--workers` process has its own). A WebSocket tunnel holds its request's slot
 * until it closes.
 */
import type { CircuitBreakers } from "../../istio/translate/proxy-config";
import type { CounterSeries } from "../observability/metric-family";

/** A request that may have to wait for a connection. */
export interface BreakerWaiter {
  /** Called once a slot is free for it; it then holds the slot until it calls `release()`. */
  admitted(): void;
}

/**
 * What {@link CircuitBreaker.admit} decided: `go` (send now, the caller holds a slot), `queued`
 * (`admitted()` is called when a slot frees, unless `cancel()` removes the waiter first) or
 * `overflow` (over a limit: answer 503 `UO`).
 */
export type Admission = "go" | "queued" | "overflow";

/** Envoy's overflow counters of one cluster. */
export interface BreakerStats {
  /** `upstream_rq_pending_overflow`: requests refused because the pending queue or `maxRequests` was full. */
  readonly pendingOverflow: CounterSeries;
  /** `upstream_rq_retry_overflow`: retries not made because `maxRetries` were waiting. */
  readonly retryOverflow: CounterSeries;
  /** `upstream_cx_overflow`: TCP-proxied connections refused because `maxConnections` were open. */
  readonly connectionOverflow: CounterSeries;
}

/** The circuit breakers of one cluster at run time. */
export class CircuitBreaker {
  /** Requests holding a slot (sent, or about to be). */
  active = 0;
  /** Retries waiting for their backoff. */
  retries = 0;
  /** TCP-proxied connections open. */
  connections = 0;
  private readonly queue: BreakerWaiter[] = [];
  /** Requests in flight an HTTP/1.1 request may join: connections, and never more than `maxRequests`. */
  private readonly h1Capacity: number;

  constructor(
    /** The thresholds. */
    readonly limits: CircuitBreakers,
    private readonly stats: BreakerStats,
  ) {
    this.h1Capacity = Math.min(limits.maxConnections, limits.maxRequests);
  }

  /** Requests waiting for a connection. */
  get pending(): number {
    return this.queue.length;
  }

  /** Admits a request (`h1`: it goes over HTTP/1.1 and may wait for a connection). */
  admit(waiter: BreakerWaiter, h1: boolean): Admission {
    if (this.active >= this.limits.maxRequests) return this.overflow();
    if (!h1 || this.active < this.h1Capacity) {
      this.active++;
      return "go";
    }
    if (this.queue.length >= this.limits.maxPendingRequests) return this.overflow();
    this.queue.push(waiter);
    return "queued";
  }

  /** Gives a slot back and hands it to the oldest waiter, if any. */
  release(): void {
    this.active--;
    while (this.queue.length > 0 && this.active < this.h1Capacity) {
      const next = this.queue.shift()!;
      this.active++;
      next.admitted();
    }
  }

  /** Removes a waiter that gave up (its client left, its route timeout fired). */
  cancel(waiter: BreakerWaiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Takes a connection slot for a TCP-proxied connection; false (and counted) over `maxConnections`. */
  tryConnection(): boolean {
    if (this.connections >= this.limits.maxConnections) {
      this.stats.connectionOverflow.inc();
      return false;
    }
    this.connections++;
    return true;
  }

  /** A TCP-proxied connection closed. */
  connectionClosed(): void {
    this.connections--;
  }

  /** Takes a retry slot; false (and counted) when `maxRetries` retries are already waiting. */
  tryRetry(): boolean {
    if (this.retries >= this.limits.maxRetries) {
      this.stats.retryOverflow.inc();
      return false;
    }
    this.retries++;
    return true;
  }

  /** The retry's backoff is over. */
  retryDone(): void {
    this.retries--;
  }

  private overflow(): "overflow" {
    this.stats.pendingOverflow.inc();
    return "overflow";
  }
}

/**
 * One request's hold on a cluster's circuit breaker: it asks ({@link admit}), may wait in the
 * queue, and gives its slot or its place back ({@link release}) once, whichever way the request
 * ends; releasing again changes nothing. A request asks again after releasing (a retry).
 */
export class BreakerSlot implements BreakerWaiter {
  private state: "held" | "waiting" | undefined;

  constructor(
    private readonly breaker: CircuitBreaker,
    /** Called when a slot waited for is granted (never from inside the releasing request's handler). */
    private readonly onAdmitted: () => void,
  ) {}

  /** True while it holds a slot or waits for one. */
  get taken(): boolean {
    return this.state !== undefined;
  }

  /** Asks the breaker for a slot (`h1`: the request goes over HTTP/1.1 and may wait for one). */
  admit(h1: boolean): Admission {
    const admission = this.breaker.admit(this, h1);
    this.state = admission === "go" ? "held" : admission === "queued" ? "waiting" : undefined;
    return admission;
  }

  admitted(): void {
    this.state = "held";
    queueMicrotask(this.onAdmitted);
  }

  /** Gives the slot back, or leaves the queue. */
  release(): void {
    if (this.state === "held") this.breaker.release();
    else if (this.state === "waiting") this.breaker.cancel(this);
    this.state = undefined;
  }
}
