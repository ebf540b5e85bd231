/**
 * The parts of a DestinationRule's traffic policy that shape a cluster's behaviour at run time,
 * mapped as Istio's cluster builder maps them to Envoy: `connectionPool` to circuit breakers and
 * HTTP protocol options (`applyConnectionPool`), `tcp.tcpKeepalive` to upstream socket options
 * (`applyTCPKeepalive`), `http.http2KeepAlive` to HTTP/2 PINGs, `outlierDetection` to Envoy's outlier detection
 * and healthy panic threshold (`applyOutlierDetection`), `loadBalancer.consistentHash` to a ring
 * hash on the cluster and a hash policy on the routes to it. Zero and unset are alike, as in Istio
 * (proto3 cannot tell them apart).
 */
import type {
  ConnectionPoolSettings,
  ConsistentHashLB,
  LoadBalancerSettings,
  OutlierDetection,
} from "../model";
import { parseDurationMs } from "./duration";
import { isHeaderValueText } from "./wire-text";
import type {
  CircuitBreakers,
  CookieAttribute,
  HashPolicy,
  Http2KeepaliveSettings,
  HttpProtocolOptions,
  OutlierDetectionConfig,
  RingHashConfig,
  TcpKeepalive,
  TcpProxySettings,
} from "./proxy-config";

/** Istio's value for a circuit-breaker threshold the DestinationRule leaves unset (`math.MaxUint32`). */
export const UNLIMITED = 4294967295;

/** Envoy's default idle timeout of upstream HTTP connections (`common_http_protocol_options.idle_timeout`). */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;

/** Envoy's default ring size (`minimum_ring_size`). */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;

/** Envoy's largest ring (`maximum_ring_size`); bigger requests are capped to it. */
export const MAXIMUM_RING_SIZE = 8_388_608;

const positive = (n: number | undefined): number | undefined =>
  typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;

/** The circuit breakers of a connection pool; undefined without one (Envoy's defaults are then not applied either). */
export function circuitBreakersOf(pool: ConnectionPoolSettings | undefined): CircuitBreakers | undefined {
  if (pool === undefined) return undefined;
  return {
    maxConnections: positive(pool.tcp?.maxConnections) ?? UNLIMITED,
    maxPendingRequests: positive(pool.http?.http1MaxPendingRequests) ?? UNLIMITED,
    maxRequests: positive(pool.http?.http2MaxRequests) ?? UNLIMITED,
    maxRetries: positive(pool.http?.maxRetries) ?? UNLIMITED,
  };
}

/**
 * The HTTP protocol options of a connection pool; undefined when it sets none of them
 * (`http.idleTimeout` wins over `tcp.idleTimeout`, and `tcp.maxConnectionDuration` applies to HTTP
 * connections too, as in Istio).
 */
export function httpProtocolOptionsOf(
  pool: ConnectionPoolSettings | undefined,
): HttpProtocolOptions | undefined {
  const idle = pool?.http?.idleTimeout ?? pool?.tcp?.idleTimeout;
  const idleMs = parseDurationMs(idle);
  const perConnection = positive(pool?.http?.maxRequestsPerConnection);
  const streams = positive(pool?.http?.maxConcurrentStreams);
  const duration = positive(parseDurationMs(pool?.tcp?.maxConnectionDuration));
  if (
    (idleMs === undefined || idleMs === 0) &&
    perConnection === undefined &&
    streams === undefined &&
    duration === undefined
  ) {
    return undefined;
  }
  return {
    idleTimeoutMs: idleMs === undefined || idleMs === 0 ? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS : idleMs,
    maxRequestsPerConnection: perConnection ?? 0,
    maxConcurrentStreams: streams ?? 0,
    maxConnectionDurationMs: duration ?? 0,
  };
}

/** Envoy's `tcp_proxy` idle timeout when none is set, which Istio's gateways keep. */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 3_600_000;

/**
 * The TCP proxy limits of the rule's top-level `connectionPool` (Istio reads only that one for
 * `tcp_proxy`); undefined when it sets neither. `idleTimeout: 0s` turns the idle timeout off; none
 * leaves Envoy's hour.
 */
export function tcpProxySettingsOf(pool: ConnectionPoolSettings | undefined): TcpProxySettings | undefined {
  const idle = parseDurationMs(pool?.tcp?.idleTimeout);
  const duration = positive(parseDurationMs(pool?.tcp?.maxConnectionDuration));
  if (idle === undefined && duration === undefined) return undefined;
  return { idleTimeoutMs: idle ?? DEFAULT_TCP_IDLE_TIMEOUT_MS, maxConnectionDurationMs: duration ?? 0 };
}

/**
 * The TCP keep-alive of a connection pool (`tcp.tcpKeepalive`); undefined without one. Durations
 * are cut to whole seconds, as Istio passes them to Envoy; an empty `tcpKeepalive` turns
 * SO_KEEPALIVE on with the system's settings.
 */
export function tcpKeepaliveOf(pool: ConnectionPoolSettings | undefined): TcpKeepalive | undefined {
  const ka = pool?.tcp?.tcpKeepalive;
  if (ka === undefined || ka === null) return undefined;
  const seconds = (d: string | undefined) => Math.floor((positive(parseDurationMs(d)) ?? 0) / 1000);
  return {
    timeSeconds: seconds(ka.time),
    intervalSeconds: seconds(ka.interval),
    probes: positive(ka.probes) ?? 0,
  };
}

/**
 * The HTTP/2 PINGs of a connection pool (`http.http2KeepAlive`); undefined without them, or when
 * `interval` or `timeout` is missing (validation rejects that).
 */
export function http2KeepaliveOf(
  pool: ConnectionPoolSettings | undefined,
): Http2KeepaliveSettings | undefined {
  const ka = pool?.http?.http2KeepAlive;
  const intervalMs = positive(parseDurationMs(ka?.interval));
  const timeoutMs = positive(parseDurationMs(ka?.timeout));
  if (intervalMs === undefined || timeoutMs === undefined) return undefined;
  return { intervalMs, timeoutMs };
}

/**
 * The cookie attributes the proxy can write: those with a name, and without a character a header
 * cannot carry (Istio rejects an empty name; Envoy rejects control characters).
 */
function cookieAttributesOf(
  list: readonly { name?: string; value?: string }[] | undefined,
): CookieAttribute[] {
  const out: CookieAttribute[] = [];
  for (const a of list ?? []) {
    const name = a?.name ?? "";
    const value = a?.value ?? "";
    if (name === "" || !isHeaderValueText(name) || !isHeaderValueText(value)) continue;
    out.push({ name, value });
  }
  return out;
}

/** Envoy's outlier detection as Istio configures it from `od`; undefined without `od`. */
export function outlierDetectionOf(od: OutlierDetection | undefined): OutlierDetectionConfig | undefined {
  if (od === undefined) return undefined;
  const count = (n: number | undefined, unset: number) =>
    typeof n === "number" && n >= 0 ? Math.floor(n) : unset;
  const split = od.splitExternalLocalOriginErrors === true;
  return {
    consecutive5xx: count(od.consecutive5xxErrors, 5),
    consecutiveGatewayFailure: count(od.consecutiveGatewayErrors, 0),
    // Istio passes the value only when positive; Envoy's default (5, enforced) applies otherwise.
    consecutiveLocalOriginFailure: split ? (positive(od.consecutiveLocalOriginFailures) ?? 5) : 0,
    splitExternalLocalOriginErrors: split,
    intervalMs: positive(parseDurationMs(od.interval)) ?? 10_000,
    baseEjectionTimeMs: positive(parseDurationMs(od.baseEjectionTime)) ?? 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: Math.min(100, positive(od.maxEjectionPercent) ?? 10),
    // Istio always sets the panic threshold from minHealthPercent, so 0 (unset) turns panic off.
    healthyPanicThreshold: Math.min(100, Math.max(0, Math.floor(od.minHealthPercent ?? 0))),
  };
}

/**
 * The ring of a cluster whose `lb` has a `consistentHash` (Istio's `ApplyRingHashLoadBalancer`:
 * whatever it hashes on, even nothing); undefined without one.
 */
export function ringHashOf(lb: LoadBalancerSettings | undefined): RingHashConfig | undefined {
  const ch = lb?.consistentHash;
  if (ch === undefined || ch === null) return undefined;
  const size =
    positive(ch.ringHash?.minimumRingSize) ??
    positive(ch.maglev?.tableSize) ??
    positive(ch.minimumRingSize) ??
    DEFAULT_MINIMUM_RING_SIZE;
  return { minimumRingSize: Math.min(size, MAXIMUM_RING_SIZE) };
}

/**
 * The route hash policy of a `consistentHash` (Istio's `ConsistentHashToHashPolicy`); undefined
 * when it names no key.
 */
export function hashPolicyOf(ch: ConsistentHashLB | undefined): HashPolicy | undefined {
  if (ch === undefined || ch === null) return undefined;
  if (ch.httpHeaderName !== undefined && ch.httpHeaderName !== "") {
    return { kind: "header", name: ch.httpHeaderName.toLowerCase() };
  }
  if (ch.httpCookie !== undefined && ch.httpCookie !== null && ch.httpCookie.name !== "") {
    const ttlMs = parseDurationMs(ch.httpCookie.ttl);
    const attributes = cookieAttributesOf(ch.httpCookie.attributes);
    return {
      kind: "cookie",
      name: ch.httpCookie.name,
      ...(ch.httpCookie.path === undefined || ch.httpCookie.path === "" ? {} : { path: ch.httpCookie.path }),
      ...(ttlMs === undefined ? {} : { ttlSeconds: Math.floor(ttlMs / 1000) }),
      ...(attributes.length === 0 ? {} : { attributes }),
    };
  }
  if (ch.useSourceIp === true) return { kind: "source-ip" };
  if (ch.httpQueryParameterName !== undefined && ch.httpQueryParameterName !== "") {
    return { kind: "query", name: ch.httpQueryParameterName };
  }
  return undefined;
}
