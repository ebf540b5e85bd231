/**
 * `DestinationRule` (networking.istio.io): policies applied after routing — the named subsets a
 * VirtualService destination can pick, load balancing, connection pools, outlier detection and
 * upstream TLS. Only the parts the proxy enforces are modelled; other fields are kept as they are.
 */
import type { ObjectMeta } from "./meta";
import type { PortSelector } from "./virtual-service";

/** A DestinationRule resource as stored by Kubernetes. */
export interface DestinationRule {
  /** `networking.istio.io/v1` (or `v1beta1`, `v1alpha3`). */
  apiVersion: string;
  /** Always `DestinationRule`. */
  kind: "DestinationRule";
  /** Name, namespace, labels and annotations. */
  metadata: ObjectMeta;
  /** The policies. */
  spec: DestinationRuleSpec;
}

/** The desired state of a DestinationRule. */
export interface DestinationRuleSpec {
  /** The service the rule applies to, as in `Destination.host`. Required. */
  host: string;
  /** Policies for every subset (a subset's own policy overrides these field by field). */
  trafficPolicy?: TrafficPolicy;
  /** Named groups of the service's endpoints, selected by labels. */
  subsets?: Subset[];
  /** Namespaces the rule is visible to: `.`, `*` or names. Default `*`. */
  exportTo?: string[];
}

/** A named group of a service's endpoints. */
export interface Subset {
  /** The name destinations use in `subset`; a DNS-1123 label. Required. */
  name: string;
  /** Endpoints whose labels contain all of these belong to the subset. */
  labels?: { [key: string]: string };
  /** Policies for this subset only. */
  trafficPolicy?: TrafficPolicy;
}

/** Load balancing, connection pool, outlier detection and upstream TLS settings. */
export interface TrafficPolicy {
  /** How an endpoint is chosen. */
  loadBalancer?: LoadBalancerSettings;
  /** Limits and timeouts of upstream connections. */
  connectionPool?: ConnectionPoolSettings;
  /** Passive health checking: endpoints that keep failing are ejected for a while. */
  outlierDetection?: OutlierDetection;
  /** TLS towards the upstream endpoints. */
  tls?: ClientTLSSettings;
  /** Overrides per destination port. */
  portLevelSettings?: PortTrafficPolicy[];
  /**
   * Start every new upstream connection with a PROXY protocol header carrying the downstream
   * connection's source and destination addresses (before any TLS this policy originates), for
   * backends that read the client's address from it. A connection then carries one client's
   * requests only. A subset's replaces the rule's; `portLevelSettings` cannot set it (Istio's
   * API has no such field there). Exclusive with `tunnel`.
   */
  proxyProtocol?: ProxyProtocol;
}

/** The PROXY protocol versions an upstream header can be written in. */
export const ProxyProtocolVersion = {
  /** Text: `PROXY TCP4 <src> <dst> <sport> <dport>`. */
  V1: "V1",
  /** Binary. */
  V2: "V2",
} as const;
export type ProxyProtocolVersion = (typeof ProxyProtocolVersion)[keyof typeof ProxyProtocolVersion];

/** `trafficPolicy.proxyProtocol`: the PROXY protocol header sent upstream. */
export interface ProxyProtocol {
  /** The header's version. Default `V1`. */
  version?: ProxyProtocolVersion;
}

/** Policies for one destination port. */
export interface PortTrafficPolicy {
  /** The port these settings apply to. */
  port?: PortSelector;
  /**
   * How an endpoint is chosen. A `consistentHash` here makes the port's clusters ring hashes, but
   * only routes whose destination names this `port` hash on its key (as Istio); others hash as the
   * subset or the rule says, or pick at random.
   */
  loadBalancer?: LoadBalancerSettings;
  /** Limits and timeouts of upstream connections. */
  connectionPool?: ConnectionPoolSettings;
  /** Passive health checking for this port. */
  outlierDetection?: OutlierDetection;
  /** TLS towards the upstream endpoints. */
  tls?: ClientTLSSettings;
}

/** Simple load-balancing algorithms. */
export const SimpleLB = {
  UNSPECIFIED: "UNSPECIFIED",
  LEAST_CONN: "LEAST_CONN",
  RANDOM: "RANDOM",
  PASSTHROUGH: "PASSTHROUGH",
  ROUND_ROBIN: "ROUND_ROBIN",
  LEAST_REQUEST: "LEAST_REQUEST",
} as const;
export type SimpleLB = (typeof SimpleLB)[keyof typeof SimpleLB];

/** How an endpoint is chosen: `simple` or `consistentHash`, not both. */
export interface LoadBalancerSettings {
  /** The algorithm. Default `LEAST_REQUEST` in Envoy; the proxy treats it as round robin. */
  simple?: SimpleLB;
  /**
   * Session affinity: requests with the same hash key (a header, a cookie, the client's IP or a
   * query parameter) go to the same endpoint while the set of healthy endpoints is unchanged.
   * Exclusive with `simple`.
   */
  consistentHash?: ConsistentHashLB;
}

/**
 * Consistent hashing (Envoy's ring hash). Exactly one hash key: `httpHeaderName`, `httpCookie`,
 * `useSourceIp` or `httpQueryParameterName`. The key goes on the routes to the destination, as
 * Istio puts it: a rule of several destinations hashes on every one's key, and its retries may go
 * to other endpoints. A request without any key gets a random endpoint.
 */
export interface ConsistentHashLB {
  /** Hash on the value of this request header (its first value when repeated). */
  httpHeaderName?: string;
  /** Hash on this cookie; with `ttl`, the proxy sets the cookie when the request lacks it. */
  httpCookie?: HTTPCookie;
  /** Hash on the client's IP address (the downstream connection's peer). */
  useSourceIp?: boolean;
  /** Hash on the value of this query parameter. */
  httpQueryParameterName?: string;
  /** Ring hash with its size. Exclusive with `maglev`. */
  ringHash?: RingHash;
  /** Maglev with its table size; the proxy builds a ring of that size instead. Exclusive with `ringHash`. */
  maglev?: MagLev;
  /** Deprecated: use `ringHash.minimumRingSize`. Smallest number of ring entries. Default 1024. */
  minimumRingSize?: number;
}

/** The cookie a consistent hash reads (and, with `ttl`, sets). */
export interface HTTPCookie {
  /** Cookie name. Required. */
  name: string;
  /** Path of the cookie set by the proxy. */
  path?: string;
  /**
   * Lifetime of the cookie set by the proxy (`Max-Age`); `0s` makes it a session cookie. Without
   * it the proxy never sets the cookie and a request without one is not hashed.
   */
  ttl?: string;
  /**
   * More attributes of the cookie the proxy sets (only with `ttl`), appended in order after
   * `Path` as `; name=value` (`; name` when the value is empty), e.g. `SameSite=Strict`, `Secure`.
   * Names must be non-empty and unique.
   */
  attributes?: HTTPCookieAttribute[];
}

/** One attribute of the cookie a consistent hash sets (Istio's `HTTPCookie.Attribute`). */
export interface HTTPCookieAttribute {
  /** Attribute name (`SameSite`, `Secure`, `Domain`, ...). Required. */
  name: string;
  /** Attribute value; empty or unset writes the name alone. */
  value?: string;
}

/** Ring hash settings. */
export interface RingHash {
  /** Smallest number of ring entries (Envoy's `minimum_ring_size`). Default 1024. */
  minimumRingSize?: number;
}

/** Maglev settings. */
export interface MagLev {
  /** Lookup table size; a prime below 5000011. Envoy's default 65537. */
  tableSize?: number;
}

/**
 * Passive health checking (Envoy's outlier detection): an endpoint that fails too many times in a
 * row is ejected (not picked) for `baseEjectionTime` × the number of times it has been ejected.
 */
export interface OutlierDetection {
  /**
   * 5xx answers in a row (502, 503 and 504 included; connect failures, timeouts and resets too
   * unless `splitExternalLocalOriginErrors`) that eject an endpoint. Default 5; 0 disables it.
   */
  consecutive5xxErrors?: number;
  /** 502, 503 or 504 answers in a row (and local-origin failures, unless split) that eject an endpoint; unset or 0: off. */
  consecutiveGatewayErrors?: number;
  /**
   * Connect failures, timeouts and resets in a row that eject an endpoint, counted apart from
   * answers only when `splitExternalLocalOriginErrors` is true. Default 5.
   */
  consecutiveLocalOriginFailures?: number;
  /** Count local-origin failures apart from upstream answers. Default false. */
  splitExternalLocalOriginErrors?: boolean;
  /** How often ejections are reviewed (an ejected endpoint returns at the first review after its time). Default 10s. */
  interval?: string;
  /** Ejection time for a first ejection; the nth ejection in a row lasts n times as long. Default 30s. */
  baseEjectionTime?: string;
  /**
   * Most endpoints ejected at once, in percent, counting the one about to be ejected: with the
   * default 10, a service needs 10 endpoints before one can be ejected (set 100 for small ones).
   * Default 10.
   */
  maxEjectionPercent?: number;
  /**
   * Below this percentage of non-ejected endpoints every endpoint is used again (Envoy's panic
   * threshold). Default 0: never, so a cluster whose endpoints are all ejected answers 503.
   */
  minHealthPercent?: number;
}

/** Upstream connection settings. */
export interface ConnectionPoolSettings {
  /** TCP-level settings. */
  tcp?: TCPSettings;
  /** HTTP-level settings. */
  http?: HTTPSettings;
}

/** TCP-level connection pool settings. */
export interface TCPSettings {
  /**
   * Most upstream connections of the cluster (Envoy's `max_connections` circuit breaker); over
   * HTTP/1.1 also the most requests in flight. Unset or 0: unlimited.
   */
  maxConnections?: number;
  /** Time allowed to connect (`"10s"`). Default 10s. */
  connectTimeout?: string;
  /** Close connections idle for this long (used for HTTP when `http.idleTimeout` is unset). */
  idleTimeout?: string;
  /** Close upstream connections this long after they were opened. Unset: never. */
  maxConnectionDuration?: string;
  /** Set SO_KEEPALIVE on every upstream socket of the cluster, with these settings. */
  tcpKeepalive?: TcpKeepalive;
}

/** TCP keep-alive probes of upstream connections (Envoy's `upstream_connection_options.tcp_keepalive`). */
export interface TcpKeepalive {
  /** Unanswered probes after which the connection is dropped. Unset or 0: the system's (Linux: 9). */
  probes?: number;
  /** Idle time before the first probe, in whole seconds (`"600s"`). Unset: the system's (Linux: 2h). */
  time?: string;
  /** Time between probes, in whole seconds. Unset: the system's (Linux: 75s). */
  interval?: string;
}

/** How HTTP/1.1 upstream connections are upgraded to HTTP/2. */
export const H2UpgradePolicy = {
  DEFAULT: "DEFAULT",
  DO_NOT_UPGRADE: "DO_NOT_UPGRADE",
  UPGRADE: "UPGRADE",
} as const;
export type H2UpgradePolicy = (typeof H2UpgradePolicy)[keyof typeof H2UpgradePolicy];

/** HTTP-level connection pool settings. */
export interface HTTPSettings {
  /**
   * Most requests of the cluster waiting for a connection (Envoy's `max_pending_requests`); one
   * more is answered 503 with response flag `UO`. Unset or 0: unlimited.
   */
  http1MaxPendingRequests?: number;
  /** Most requests in flight to the cluster, whatever the protocol (Envoy's `max_requests`). Unset or 0: unlimited. */
  http2MaxRequests?: number;
  /** Most requests per upstream connection; 1 disables keep-alive. Unset or 0: unlimited. */
  maxRequestsPerConnection?: number;
  /** Most retries of the cluster waiting to be sent at once (Envoy's `max_retries`). Unset or 0: unlimited. */
  maxRetries?: number;
  /**
   * Most streams at once on one upstream HTTP/2 connection; more open another connection (Envoy's
   * `http2_protocol_options.max_concurrent_streams`). Unset or 0: unlimited (Istio's 2^31 - 1).
   */
  maxConcurrentStreams?: number;
  /** Close upstream connections idle for this long. Default 1h. */
  idleTimeout?: string;
  /** Whether HTTP/1.1 requests are sent upstream over HTTP/2. */
  h2UpgradePolicy?: H2UpgradePolicy;
  /**
   * Speak the client's HTTP version upstream: HTTP/2 clients' requests go over HTTP/2, HTTP/1.1
   * ones over HTTP/1.1. Must not be true with `h2UpgradePolicy: UPGRADE`.
   */
  useClientProtocol?: boolean;
  /** HTTP/2 PINGs on upstream HTTP/2 connections, to find dead ones. */
  http2KeepAlive?: ConnectionKeepalive;
}

/** HTTP/2 PING frames on upstream connections (Envoy's `http2_protocol_options.connection_keepalive`). */
export interface ConnectionKeepalive {
  /** Send a PING this long after the connection opens and after each answered PING. Required. */
  interval?: string;
  /** Close the connection when a PING is unanswered this long. Required. */
  timeout?: string;
}

/** TLS modes towards an upstream. */
export const ClientTLSmode = {
  DISABLE: "DISABLE",
  SIMPLE: "SIMPLE",
  MUTUAL: "MUTUAL",
  ISTIO_MUTUAL: "ISTIO_MUTUAL",
} as const;
export type ClientTLSmode = (typeof ClientTLSmode)[keyof typeof ClientTLSmode];

/** TLS towards upstream endpoints. */
export interface ClientTLSSettings {
  /** Whether and how to originate TLS. Default `DISABLE`. */
  mode?: ClientTLSmode;
  /** Path of the client certificate (MUTUAL). */
  clientCertificate?: string;
  /** Path of the client private key (MUTUAL). */
  privateKey?: string;
  /** Path of the CA bundle that upstream certificates are verified against. */
  caCertificates?: string;
  /** Secret holding the client certificate, key and CA (instead of the paths). */
  credentialName?: string;
  /** Names accepted in the upstream certificate. */
  subjectAltNames?: string[];
  /** SNI sent to the upstream. Default: the destination host. */
  sni?: string;
  /** Do not verify the upstream certificate. */
  insecureSkipVerify?: boolean;
}
