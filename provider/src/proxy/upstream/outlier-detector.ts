/**
 * Passive health checking of a cluster's endpoints (Envoy's outlier detection with the
 * consecutive-failure detectors Istio enables): every attempt's outcome is fed in; an endpoint
 * that reaches a threshold of failures in a row is ejected, unless that would put more than
 * `maxEjectionPercent` of the endpoints out (Envoy enforces the limit strictly since 1.27, and
 * Istio does not set `always_eject_one_host`: with the default 10%, fewer than 10 endpoints means
 * no ejection at all). An ejected endpoint returns at the
 * first review (every `interval`) after `baseEjectionTime` × its ejections in a row (capped at
 * `maxEjectionTime`); each review that finds an endpoint in service lowers that multiplier.
 *
 * Reviews run lazily, when the cluster picks an endpoint and a review is due, so a cluster
 * without traffic costs nothing and no timer outlives a configuration. Without local-origin
 * splitting, connect failures and resets count as 503 and timeouts as 504, as in Envoy.
 *
 * A detector outlives a configuration whose cluster keeps its policy (Envoy keeps such a cluster
 * across CDS updates): {@link OutlierDetector.retain} then follows the endpoint changes as an EDS
 * update does, keeping the state of every endpoint still there.
 */
import type { OutlierDetectionConfig } from "../../istio/translate/proxy-config";
import type { CounterSeries } from "../observability/metric-family";
import type { AttemptOutcome } from "../router/retry-policy";

const CONNECT_FAILURE: AttemptOutcome = { kind: "connect-failure" };
const TIMEOUT: AttemptOutcome = { kind: "per-try-timeout" };

/** The failure counts and ejection state of one endpoint. */
class HostMonitor {
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocalOrigin = 0;
  /** When the current ejection started (ms, monotonic clock); -1 when not ejected. */
  ejectedAt = -1;
  /** Ejections in a row: the ejection time multiplier. */
  ejections = 0;
}

/**
 * What a TCP-proxied connection's connect came to, as Envoy's `tcp_proxy` reports it:
 * `success` (`LocalOriginConnectSuccessFinal`), `failure` (`LocalOriginConnectFailed`: refused,
 * reset, a failed TLS handshake) or `timeout` (`LocalOriginTimeout`).
 */
export type ConnectResult = "success" | "failure" | "timeout";

/** The outlier detector of one cluster; `T` is the endpoint type. */
export class OutlierDetector<T> {
  private readonly monitors = new Map<T, HostMonitor>();
  /** Endpoints ejected now. */
  ejectedCount = 0;
  /** Bumped on every ejection and return, so callers can rebuild what depends on the healthy set. */
  version = 0;
  private nextReview: number;

  constructor(
    /** The settings. */
    readonly config: OutlierDetectionConfig,
    hosts: Iterable<T>,
    private readonly ejectionsEnforced: CounterSeries,
    private readonly now: () => number,
  ) {
    for (const h of hosts) if (!this.monitors.has(h)) this.monitors.set(h, new HostMonitor());
    this.nextReview = now() + config.intervalMs;
  }

  /** Distinct endpoints watched. */
  get hostCount(): number {
    return this.monitors.size;
  }

  /** True when `host` is ejected. */
  isEjected(host: T): boolean {
    const m = this.monitors.get(host);
    return m !== undefined && m.ejectedAt >= 0;
  }

  /** Runs the review when one is due (returns ejected endpoints whose time is over). */
  maybeReview(): void {
    const now = this.now();
    if (now < this.nextReview) return;
    const interval = this.config.intervalMs;
    // Every review that would have run since the last one lowers the multipliers of healthy hosts.
    const reviews = 1 + Math.floor((now - this.nextReview) / interval);
    this.nextReview += reviews * interval;
    const base = this.config.baseEjectionTimeMs;
    const cap = Math.max(this.config.maxEjectionTimeMs, base);
    for (const m of this.monitors.values()) {
      if (m.ejectedAt >= 0) {
        if (now >= m.ejectedAt + Math.min(base * m.ejections, cap)) {
          m.ejectedAt = -1;
          this.ejectedCount--;
          this.version++;
        }
      } else if (m.ejections > 0) {
        m.ejections = Math.max(0, m.ejections - reviews);
      }
    }
  }

  /**
   * Watches exactly `hosts` from now on: an endpoint still there keeps its counts and ejection,
   * a new one starts healthy, one no longer there is forgotten (should it come back, it starts
   * healthy). Callers rebuild what depends on the healthy set, as after an ejection.
   */
  retain(hosts: Iterable<T>): void {
    const next = new Map<T, HostMonitor>();
    for (const h of hosts) if (!next.has(h)) next.set(h, this.monitors.get(h) ?? new HostMonitor());
    let changed = next.size !== this.monitors.size;
    let ejected = 0;
    for (const [h, m] of next) {
      if (m.ejectedAt >= 0) ejected++;
      if (!this.monitors.has(h)) changed = true;
    }
    if (!changed) return;
    this.monitors.clear();
    for (const [h, m] of next) this.monitors.set(h, m);
    this.ejectedCount = ejected;
    this.version++;
  }

  /**
   * Feeds what the connect of a TCP-proxied connection to `host` came to. Without local-origin
   * splitting a failure counts as a 503 and a timeout as a 504, and a success as an answer below
   * 500; with it, failures and timeouts are local-origin failures and a success resets only their
   * count, as in Envoy.
   */
  observeConnect(host: T, result: ConnectResult): void {
    if (result !== "success") {
      return this.observe(host, result === "timeout" ? TIMEOUT : CONNECT_FAILURE);
    }
    const m = this.monitors.get(host);
    if (m === undefined) return;
    m.consecutiveLocalOrigin = 0;
    if (!this.config.splitExternalLocalOriginErrors) {
      m.consecutive5xx = 0;
      m.consecutiveGateway = 0;
    }
  }

  /** Feeds the outcome of one attempt sent to `host`. */
  observe(host: T, outcome: AttemptOutcome): void {
    const m = this.monitors.get(host);
    if (m === undefined) return;
    const c = this.config;
    if (outcome.kind === "response") {
      const status = outcome.status;
      if (status < 500) {
        m.consecutive5xx = 0;
        m.consecutiveGateway = 0;
        // Envoy's split mode counts an answer as the connection's success as well.
        m.consecutiveLocalOrigin = 0;
        return;
      }
      return this.httpFailure(m, status);
    }
    if (c.splitExternalLocalOriginErrors) {
      m.consecutiveLocalOrigin++;
      if (
        c.consecutiveLocalOriginFailure > 0 &&
        m.consecutiveLocalOrigin >= c.consecutiveLocalOriginFailure
      ) {
        m.consecutiveLocalOrigin = 0;
        this.eject(m);
      }
      return;
    }
    this.httpFailure(m, outcome.kind === "per-try-timeout" ? 504 : 503);
  }

  private httpFailure(m: HostMonitor, status: number): void {
    const c = this.config;
    m.consecutive5xx++;
    const gateway = status === 502 || status === 503 || status === 504;
    if (gateway) m.consecutiveGateway++;
    if (gateway && c.consecutiveGatewayFailure > 0 && m.consecutiveGateway >= c.consecutiveGatewayFailure) {
      m.consecutiveGateway = 0;
      m.consecutive5xx = 0;
      return this.eject(m);
    }
    if (c.consecutive5xx > 0 && m.consecutive5xx >= c.consecutive5xx) {
      m.consecutive5xx = 0;
      m.consecutiveGateway = 0;
      this.eject(m);
    }
  }

  private eject(m: HostMonitor): void {
    if (m.ejectedAt >= 0) return;
    const percent = (100 * (this.ejectedCount + 1)) / this.monitors.size;
    if (percent > this.config.maxEjectionPercent) return;
    m.ejectedAt = this.now();
    m.ejections++;
    this.ejectedCount++;
    this.version++;
    this.ejectionsEnforced.inc();
  }
}
