/**
 * `DestinationRule` (networking.istio.io): policies applied after routing — the named subsets a
 * VirtualService destination can pick, load balancing, connection pools and upstream TLS. Only
 * the parts routing needs are modelled; other fields are kept as they are and not checked.
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

/** Load balancing, connection pool and upstream TLS settings. */
export interface TrafficPolicy {
  /** How an endpoint is chosen. */
  loadBalancer?: LoadBalancerSettings;
  /** Limits and timeouts of upstream connections. */
  connectionPool?: ConnectionPoolSettings;
  /** TLS towards the upstream endpoints. */
  tls?: ClientTLSSettings;
  /** Overrides per destination port. */
  portLevelSettings?: PortTrafficPolicy[];
}

/** Policies for one destination port. */
export interface PortTrafficPolicy {
  /** The port these settings apply to. */
  port?: PortSelector;
  /** How an endpoint is chosen. */
  loadBalancer?: LoadBalancerSettings;
  /** Limits and timeouts of upstream connections. */
  connectionPool?: ConnectionPoolSettings;
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

/** How an endpoint is chosen. */
export interface LoadBalancerSettings {
  /** The algorithm. Default `LEAST_REQUEST` in Envoy; the proxy treats it as round robin. */
  simple?: SimpleLB;
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
  /** Most connections to one endpoint. */
  maxConnections?: number;
  /** Time allowed to connect (`"10s"`). Default 10s. */
  connectTimeout?: string;
  /** Close connections idle for this long. */
  idleTimeout?: string;
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
  /** Most requests waiting for a connection. */
  http1MaxPendingRequests?: number;
  /** Most concurrent requests to one endpoint over HTTP/2. */
  http2MaxRequests?: number;
  /** Most requests per upstream connection; 1 disables keep-alive. */
  maxRequestsPerConnection?: number;
  /** Most concurrent retries. */
  maxRetries?: number;
  /** Close upstream connections idle for this long. Default 1h. */
  idleTimeout?: string;
  /** Whether HTTP/1.1 requests are sent upstream over HTTP/2. */
  h2UpgradePolicy?: H2UpgradePolicy;
  /** Speak the client's HTTP version upstream. */
  useClientProtocol?: boolean;
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
