/**
 * Clusters at run time: each {@link Cluster} of a configuration with its endpoints resolved to
 * socket addresses and a load-balancing pick. Connection pools ({@link Http1Pool} for HTTP/1.1,
 * node:http2 sessions for HTTP/2 and gRPC) belong to {@link UpstreamPools} and outlive
 * configurations, so a reload that keeps an endpoint keeps its warm keep-alive connections. Likewise a cluster whose
 * policy a reload leaves alone keeps its breaker counts and outlier state (`cluster-state.ts`).
 */
import { performance } from "node:perf_hooks";
import type tls from "node:tls";
import type {
  Cluster,
  Http2KeepaliveSettings,
  ProxyProtocolVersion,
  TcpKeepalive,
  UpstreamTlsContext,
} from "../../istio/translate/proxy-config";
import type { DownstreamAddresses } from "../listener/downstream-addresses";
import type { HttpStats, MetricsDestination, ProxyMetrics, TcpStats } from "../observability/metrics";
import { autoSniKey, autoSniOptions, buildUpstreamTls } from "../tls/secure-context";
import { CircuitBreaker } from "./circuit-breaker";
import { carriedState } from "./cluster-state";
import type { EndpointResolver } from "./endpoint-resolver";
import { HashRing } from "./hash-ring";
import { Http1Pool } from "./http1-pool";
import { http2KeepaliveKey } from "./http2-keepalive";
import { Http2Sessions } from "./http2-sessions";
import { OutlierDetector } from "./outlier-detector";
import { downstreamKey, proxyProtocolHeader } from "./proxy-protocol-encoder";
import { tcpKeepaliveKey } from "./tcp-keepalive";
import { socketAddress } from "../socket-address";

/** One resolved endpoint of a cluster, with its pools. */
export interface UpstreamEndpoint {
  /** `ip:port` (IPv6 in brackets), as access logs print `upstream_host`. */
  readonly hostPort: string;
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
  /** TLS towards the endpoint, when the cluster originates TLS. */
  readonly tls?: tls.ConnectionOptions;
  /** SO_KEEPALIVE for every socket opened to the endpoint (pools, TCP proxying, tunnels). */
  readonly tcpKeepalive: TcpKeepalive | undefined;
  /**
   * The PROXY protocol header every socket opened to the endpoint starts with: set on the copies
   * {@link forDownstream} makes for a cluster with `proxyProtocol`, undefined otherwise.
   */
  readonly proxyProtocolHeader: Buffer | undefined;
  /** The HTTP/1.1 keep-alive pool. */
  readonly pool: Http1Pool;
  /** The HTTP/2 sessions (h2c, or h2 over TLS), opened as streams need them. */
  readonly h2: Http2Sessions;
  /**
   * The endpoint as one request reaches it: itself, or, when the cluster originates TLS without a
   * DestinationRule `sni`, a copy with its own connections whose SNI (and, with Istio's
   * `auto_san_validation`, verified name) is `authorityHost`, the host of the request's upstream
   * authority, as Envoy's `auto_sni` keeps such connections apart. Outlier detection and the
   * access log still see the endpoint itself.
   */
  forAuthority(authorityHost: string): UpstreamEndpoint;
  /**
   * The endpoint as one downstream connection reaches it: itself, or, when the cluster sends a
   * PROXY protocol header (DestinationRule `proxyProtocol`), a copy whose connections carry
   * `addresses` in it and serve no other downstream address pair, as Envoy keys its connection
   * pools by the header's addresses. Outlier detection and the access log still see the endpoint
   * itself.
   */
  forDownstream(addresses: DownstreamAddresses): UpstreamEndpoint;
  /** The endpoint left the configuration: its connections close once idle ({@link UpstreamPools.retain}). */
  retire(): void;
  /**
   * Requests in flight to it now (Envoy's `rq_active`, which `LEAST_REQUEST` compares): HTTP/1.1
   * connections carrying one and HTTP/2 streams open, over its connections kept apart by authority.
   */
  activeRequests(): number;
}

/** Connections kept apart by authority per endpoint, at most; the oldest are retired past it. */
const MAX_AUTHORITY_VARIANTS = 64;
/**
 * Connections kept apart by downstream address pair (PROXY protocol) per endpoint, at most; the
 * least recently used are retired past it (their requests in flight finish first).
 */
const MAX_DOWNSTREAM_VARIANTS = 1024;

/** A cluster ready to serve. */
export interface ClusterRuntime {
  /** The configuration. */
  readonly config: Cluster;
  /** Resolved endpoints; empty = 503 no healthy upstream. */
  readonly endpoints: readonly UpstreamEndpoint[];
  /** Labels for metrics. */
  readonly destination: MetricsDestination;
  /** HTTP/1.1 request stats. */
  readonly httpStats: HttpStats;
  /** gRPC request stats. */
  readonly grpcStats: HttpStats;
  /** HTTP/2 request stats. */
  readonly http2Stats: HttpStats;
  /** TCP stats. */
  readonly tcpStats: TcpStats;
  /** The circuit breakers, when the DestinationRule has a `connectionPool`. */
  readonly breaker: CircuitBreaker | undefined;
  /** Passive health checking, when the DestinationRule has `outlierDetection`. */
  readonly outlier: OutlierDetector<UpstreamEndpoint> | undefined;
  /**
   * Picks an endpoint by the cluster's policy, leaving out ejected endpoints (unless too few are
   * left: Envoy's panic mode); undefined when there is none. `hash` is the request's consistent
   * hash, for `RING_HASH` clusters (without it they pick at random). A retry passes the endpoints
   * it already `tried`: a pick among them is made again, up to {@link HOST_RESELECTIONS} times
   * (on a ring, the next entries along it), as Envoy's `previous_hosts` retry predicate does.
   */
  pick(hash?: number, tried?: readonly UpstreamEndpoint[]): UpstreamEndpoint | undefined;
}

/** Settings of an endpoint's connection pool that come from the cluster. */
export interface PoolOptions {
  /** Connect timeout in ms. */
  readonly connectTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long (ms). */
  readonly idleTimeoutMs: number;
  /** Requests after which a connection is closed; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** Streams an HTTP/2 connection carries at once; more open another connection. 0 = unlimited. */
  readonly maxConcurrentStreams: number;
  /** Age after which a connection takes no more requests; 0 = none. */
  readonly maxConnectionDurationMs: number;
  /** SO_KEEPALIVE on every socket; undefined = off. */
  readonly tcpKeepalive?: TcpKeepalive;
  /** PINGs on HTTP/2 sessions; undefined = none. */
  readonly http2Keepalive?: Http2KeepaliveSettings;
  /** The PROXY protocol header version connections start with; undefined = none. */
  readonly proxyProtocol?: ProxyProtocolVersion;
}

/** The idle time of upstream connections when the DestinationRule says nothing. */
const DEFAULT_IDLE_MS = 60_000;

/** Connection pools keyed by endpoint and TLS settings, shared across configurations. */
export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamEndpoint>();

  /** The endpoint object for an address and TLS settings, created on first use. */
  endpoint(
    ip: string,
    port: number,
    options: PoolOptions,
    tlsOptions: tls.ConnectionOptions | undefined,
    tlsKey: string,
    tlsContext?: UpstreamTlsContext,
  ): UpstreamEndpoint {
    const hostPort = socketAddress(ip, port);
    const { connectTimeoutMs, idleTimeoutMs, maxRequestsPerConnection, maxConnectionDurationMs } = options;
    const { tcpKeepalive, http2Keepalive, maxConcurrentStreams, proxyProtocol } = options;
    const key = `${hostPort}|${connectTimeoutMs}|${idleTimeoutMs}|${maxRequestsPerConnection}|${maxConcurrentStreams}|${maxConnectionDurationMs}|${tlsKey}|${tcpKeepaliveKey(tcpKeepalive)}|${http2KeepaliveKey(http2Keepalive)}|${proxyProtocol ?? ""}`;
    const existing = this.pools.get(key);
    if (existing !== undefined) return existing;
    const scheme = tlsOptions === undefined ? "http" : "https";
    const origin = `${scheme}://${hostPort}`;
    /**
     * The endpoint's connections with `connectionTls`, starting with `header` when given; `variants`
     * as {@link UpstreamEndpoint.forAuthority}. A cluster with `proxyProtocol` gets its headers on
     * the copies {@link UpstreamEndpoint.forDownstream} makes of an endpoint made without one.
     */
    const make = (
      connectionTls: tls.ConnectionOptions | undefined,
      variants: Map<string, UpstreamEndpoint> | undefined,
      header?: Buffer,
    ): UpstreamEndpoint => {
      const pool = new Http1Pool(ip, port, {
        connectTimeoutMs,
        idleTimeoutMs,
        maxRequestsPerConnection,
        maxConnectionDurationMs,
        tls: connectionTls,
        ...(tcpKeepalive === undefined ? {} : { tcpKeepalive }),
        ...(header === undefined ? {} : { proxyProtocolHeader: header }),
      });
      const h2 = new Http2Sessions({
        origin,
        tls: connectionTls,
        idleTimeoutMs,
        maxRequestsPerConnection,
        maxConcurrentStreams,
        maxConnectionDurationMs,
        tcpKeepalive,
        http2Keepalive,
        ip,
        port,
        proxyProtocolHeader: header,
      });
      const downstream =
        proxyProtocol !== undefined && header === undefined ? new Map<string, UpstreamEndpoint>() : undefined;
      const ep: UpstreamEndpoint = {
        hostPort,
        ip,
        port,
        tls: connectionTls,
        tcpKeepalive,
        proxyProtocolHeader: header,
        pool,
        h2,
        forDownstream(addresses) {
          if (downstream === undefined || proxyProtocol === undefined) return ep;
          const key = downstreamKey(addresses);
          let variant = downstream.get(key);
          if (variant !== undefined) {
            // Most recently used last, so that the oldest entry is the least recently used.
            downstream.delete(key);
            downstream.set(key, variant);
            return variant;
          }
          if (downstream.size >= MAX_DOWNSTREAM_VARIANTS) {
            const [oldestKey, oldest] = downstream.entries().next().value!;
            downstream.delete(oldestKey);
            oldest.retire();
          }
          variant = make(connectionTls, undefined, proxyProtocolHeader(proxyProtocol, addresses));
          downstream.set(key, variant);
          return variant;
        },
        forAuthority(authorityHost) {
          if (variants === undefined || tlsOptions === undefined || tlsContext === undefined) return ep;
          const key = autoSniKey(tlsContext, authorityHost);
          if (key === undefined) return ep;
          let variant = variants.get(key);
          if (variant === undefined) {
            if (variants.size >= MAX_AUTHORITY_VARIANTS) {
              const [oldestKey, oldest] = variants.entries().next().value!;
              variants.delete(oldestKey);
              oldest.retire();
            }
            variant = make(autoSniOptions(tlsOptions, tlsContext, authorityHost), undefined);
            variants.set(key, variant);
          }
          return variant;
        },
        activeRequests() {
          let n = pool.busy + h2.activeStreams;
          if (variants !== undefined) for (const v of variants.values()) n += v.activeRequests();
          if (downstream !== undefined) for (const v of downstream.values()) n += v.activeRequests();
          return n;
        },
        retire() {
          pool.retire();
          h2.retire();
          for (const v of variants?.values() ?? []) v.retire();
          variants?.clear();
          for (const v of downstream?.values() ?? []) v.retire();
          downstream?.clear();
        },
      };
      return ep;
    };
    const ep = make(tlsOptions, tlsContext?.sni === undefined ? new Map() : undefined);
    this.pools.set(key, ep);
    return ep;
  }

  /**
   * Keeps the pools of the endpoints `clusters` use and retires the rest: the endpoints a new
   * configuration dropped (pods gone, ports or connection settings changed). Without this, every
   * address ever resolved would keep its pool, and its idle connections until their timeout.
   * Requests of an earlier configuration still in flight hold their endpoints and finish on them.
   */
  retain(clusters: Iterable<ClusterRuntime>): void {
    const used = new Set<UpstreamEndpoint>();
    for (const c of clusters) for (const ep of c.endpoints) used.add(ep);
    for (const [key, ep] of this.pools) {
      if (used.has(ep)) continue;
      this.pools.delete(key);
      ep.retire();
    }
  }

  /** Closes every pool and session (at shutdown). */
  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    for (const ep of all) {
      ep.pool.destroy();
      ep.h2.close();
      ep.retire();
    }
  }
}

/**
 * Builds the run-time clusters of a configuration: resolves endpoints and reads upstream TLS
 * material. A cluster of `previous` (the serving configuration) with the same name and policy
 * hands its breaker and outlier detector on ({@link carriedState}); call
 * {@link activateClusters} once the result serves.
 */
export async function buildClusters(
  clusters: readonly Cluster[],
  resolver: EndpointResolver,
  pools: UpstreamPools,
  metrics: ProxyMetrics,
  proxyNamespace: string,
  previous?: ReadonlyMap<string, ClusterRuntime>,
): Promise<Map<string, ClusterRuntime>> {
  const out = new Map<string, ClusterRuntime>();
  await Promise.all(
    clusters.map(async (c) => {
      const tlsOptions =
        c.tls === undefined ? undefined : await buildUpstreamTls(c.tls, `cluster ${JSON.stringify(c.name)}`);
      const tlsKey = c.tls === undefined ? "" : JSON.stringify(c.tls);
      const endpoints: UpstreamEndpoint[] = [];
      const poolOptions: PoolOptions = {
        connectTimeoutMs: c.connectTimeoutMs,
        idleTimeoutMs: c.httpProtocolOptions?.idleTimeoutMs ?? DEFAULT_IDLE_MS,
        maxRequestsPerConnection: c.httpProtocolOptions?.maxRequestsPerConnection ?? 0,
        maxConcurrentStreams: c.httpProtocolOptions?.maxConcurrentStreams ?? 0,
        maxConnectionDurationMs: c.httpProtocolOptions?.maxConnectionDurationMs ?? 0,
        ...(c.tcpKeepalive === undefined ? {} : { tcpKeepalive: c.tcpKeepalive }),
        ...(c.http2ConnectionKeepalive === undefined ? {} : { http2Keepalive: c.http2ConnectionKeepalive }),
        ...(c.proxyProtocol === undefined ? {} : { proxyProtocol: c.proxyProtocol }),
      };
      for (const e of c.endpoints) {
        for (const addr of await resolver.resolve(e.address, e.port)) {
          const ep = pools.endpoint(addr.ip, addr.port, poolOptions, tlsOptions, tlsKey, c.tls);
          const copies = Math.max(1, Math.min(e.weight, 100));
          for (let i = 0; i < copies; i++) endpoints.push(ep);
        }
      }
      const destination = destinationOf(c, proxyNamespace);
      const base = {
        config: c,
        endpoints,
        destination,
        httpStats: metrics.http(destination, "http"),
        grpcStats: metrics.http(destination, "grpc"),
        http2Stats: metrics.http(destination, "http"),
        tcpStats: metrics.tcp(destination),
      };
      if (c.circuitBreakers === undefined && c.outlierDetection === undefined && c.ringHash === undefined) {
        // Every runtime has the same fields, so the request path's reads of them stay monomorphic.
        const pick = simplePick(endpoints, c.lbPolicy);
        out.set(c.name, { ...base, breaker: undefined, outlier: undefined, pick });
        return;
      }
      const { breaker, outlier } = carriedState(c, previous) ?? freshState(c, endpoints, metrics);
      out.set(c.name, {
        ...base,
        breaker,
        outlier,
        pick: policyPick(c, endpoints, outlier),
      });
    }),
  );
  return out;
}

/** A new breaker and outlier detector for `c`, as its DestinationRule asks. */
function freshState(
  c: Cluster,
  endpoints: readonly UpstreamEndpoint[],
  metrics: ProxyMetrics,
): Pick<ClusterRuntime, "breaker" | "outlier"> {
  const stats = metrics.cluster(c.name);
  const breaker = c.circuitBreakers === undefined ? undefined : new CircuitBreaker(c.circuitBreakers, stats);
  const outlier =
    c.outlierDetection === undefined
      ? undefined
      : new OutlierDetector(c.outlierDetection, endpoints, stats.ejectionsEnforced, () => performance.now());
  return { breaker, outlier };
}

/**
 * How many times a retry picks again when it picked an endpoint already tried: Envoy's
 * `host_selection_retry_max_attempts`, which Istio sets to 5. The last pick then stands, tried
 * or not (with fewer endpoints than attempts, some are tried twice).
 */
export const HOST_RESELECTIONS = 5;

/**
 * Envoy's `previous_hosts` retry predicate over a pick: `first`, or while the pick is an endpoint
 * already `tried`, `again(i)` for the i-th pick again, up to {@link HOST_RESELECTIONS} times; the
 * last pick stands. Only retries call it, so a first attempt's pick stays one call.
 */
function avoidingTried(
  first: UpstreamEndpoint | undefined,
  tried: readonly UpstreamEndpoint[],
  again: (i: number) => UpstreamEndpoint | undefined,
): UpstreamEndpoint | undefined {
  let ep = first;
  for (let i = 1; i <= HOST_RESELECTIONS && ep !== undefined && tried.includes(ep); i++) ep = again(i);
  return ep;
}

/**
 * The pick over `endpoints` by `policy` without a hash: round robin, random (a ring hash's pick
 * when the request has no hash key), or least request. An endpoint's weight is its number of
 * copies in the list.
 */
function simplePick(
  endpoints: readonly UpstreamEndpoint[],
  policy: Cluster["lbPolicy"],
): ClusterRuntime["pick"] {
  const n = endpoints.length;
  const once = drawOne(endpoints, policy);
  return (_hash, tried) => {
    if (n === 0) return undefined;
    if (n === 1) return endpoints[0];
    const ep = once();
    return tried === undefined ? ep : avoidingTried(ep, tried, once);
  };
}

/** One pick over a list of two endpoints or more by `policy`, each call the next. */
function drawOne(
  endpoints: readonly UpstreamEndpoint[],
  policy: Cluster["lbPolicy"],
): () => UpstreamEndpoint {
  const n = endpoints.length;
  if (policy === "LEAST_REQUEST") return () => leastRequestOnce(endpoints, Math.random);
  // A hashing cluster's request without a hash key is drawn at random, as Envoy's ring draws it.
  if (policy === "RANDOM" || policy === "RING_HASH") return () => endpoints[Math.floor(Math.random() * n)]!;
  let rr = 0;
  return () => {
    rr = rr + 1 >= n ? 0 : rr + 1;
    return endpoints[rr]!;
  };
}

/**
 * Envoy's least request balancer (Istio's default): of two endpoints drawn at random, the one with
 * fewer requests in flight, the first on a tie ("power of two choices"); drawn again, as often as
 * allowed, while it is one already `tried`. Envoy draws by weight otherwise when endpoints' weights
 * differ; here a heavier endpoint is drawn more often by its copies in the list.
 */
export function leastRequestPick(
  endpoints: readonly UpstreamEndpoint[],
  tried: readonly UpstreamEndpoint[] | undefined,
  random: () => number = Math.random,
): UpstreamEndpoint | undefined {
  if (endpoints.length === 0) return undefined;
  const ep = leastRequestOnce(endpoints, random);
  return tried === undefined ? ep : avoidingTried(ep, tried, () => leastRequestOnce(endpoints, random));
}

/** One power-of-two-choices draw over a non-empty `endpoints`. */
function leastRequestOnce(endpoints: readonly UpstreamEndpoint[], random: () => number): UpstreamEndpoint {
  const n = endpoints.length;
  const first = endpoints[Math.floor(random() * n)]!;
  const second = endpoints[Math.floor(random() * n)]!;
  return second.activeRequests() < first.activeRequests() ? second : first;
}

/**
 * The pick of a cluster with outlier detection or consistent hashing: over the endpoints not
 * ejected (all of them when fewer than the panic threshold are left), by ring or round robin.
 * What depends on the healthy set is rebuilt only when the detector reports a change.
 */
function policyPick(
  c: Cluster,
  endpoints: readonly UpstreamEndpoint[],
  outlier: OutlierDetector<UpstreamEndpoint> | undefined,
): ClusterRuntime["pick"] {
  let usable: readonly UpstreamEndpoint[] = endpoints;
  let version = 0;
  let rotate = simplePick(usable, c.lbPolicy);
  const hashing = c.ringHash;
  let ring: HashRing<UpstreamEndpoint> | undefined;
  return (hash, tried) => {
    if (outlier !== undefined) {
      outlier.maybeReview();
      if (outlier.version !== version) {
        version = outlier.version;
        const hosts = outlier.hostCount;
        const healthyPercent = (100 * (hosts - outlier.ejectedCount)) / hosts;
        usable =
          outlier.ejectedCount === 0 || healthyPercent < outlier.config.healthyPanicThreshold
            ? endpoints
            : endpoints.filter((e) => !outlier.isEjected(e));
        rotate = simplePick(usable, c.lbPolicy);
        ring = undefined;
      }
    }
    if (hashing === undefined || hash === undefined) return rotate(undefined, tried);
    if (usable.length === 0) return undefined;
    const r = (ring ??= new HashRing(usable, hashing.minimumRingSize));
    const ep = r.pick(hash);
    return tried === undefined ? ep : avoidingTried(ep, tried, (i) => r.pick(hash, i));
  };
}

/** Metric labels of a cluster: `reviews.default.svc.cluster.local` -> name `reviews`, namespace `default`. */
export function destinationOf(c: Cluster, proxyNamespace: string): MetricsDestination {
  const host = c.host;
  const suffix = ".svc.cluster.local";
  let name = host;
  // A ServiceEntry's host belongs to the ServiceEntry's namespace, as Istio's cluster metadata says.
  let namespace = c.serviceNamespace ?? proxyNamespace;
  if (host.endsWith(suffix)) {
    const parts = host.slice(0, -suffix.length).split(".");
    name = parts[0] ?? host;
    namespace = parts[1] ?? namespace;
  }
  const label = c.subsetLabels["version"] ?? (c.subset === "" ? undefined : c.subset);
  return {
    service: host,
    serviceName: name,
    serviceNamespace: namespace,
    version: label ?? "unknown",
    revision: label ?? "latest",
  };
}
