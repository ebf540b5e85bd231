/**
 * `VirtualService` (networking.istio.io): the routing rules for a set of hosts — which requests
 * go where, and what happens to them on the way. Bound to Gateways through `gateways`.
 *
 * Field names and semantics follow Istio's `networking/v1alpha3/virtual_service.proto` (also
 * served as `v1beta1` and `v1`).
 */
import type { ObjectMeta } from "./meta";

/** A VirtualService resource as stored by Kubernetes. */
export interface VirtualService {
  /** `networking.istio.io/v1` (or `v1beta1`, `v1alpha3`: the same shape). */
  apiVersion: string;
  /** Always `VirtualService`. */
  kind: "VirtualService";
  /** Name, namespace, labels and annotations. */
  metadata: ObjectMeta;
  /** The routing rules. */
  spec: VirtualServiceSpec;
}

/** The desired state of a VirtualService. */
export interface VirtualServiceSpec {
  /**
   * The hosts the rules apply to: DNS names (`bookinfo.com`), wildcards (`*.example.com`), `*`
   * (gateways only), IP addresses, or short Kubernetes service names (`reviews`, expanded in the
   * VirtualService's namespace). Must not overlap one another. Empty only for a delegate
   * VirtualService (one referenced from another's `http[].delegate`).
   */
  hosts?: string[];
  /**
   * The gateways the rules apply to: `<namespace>/<name>`, or a bare `<name>` in this
   * VirtualService's namespace, and `mesh` for every sidecar. Omitted means `mesh` only, so an
   * ingress VirtualService must list its Gateway.
   */
  gateways?: string[];
  /** HTTP rules, for HTTP, HTTP2, GRPC and terminated HTTPS servers. The first rule that matches wins. */
  http?: HTTPRoute[];
  /** Rules for unterminated TLS (`PASSTHROUGH` servers), matched by SNI. The first that matches wins. */
  tls?: TLSRoute[];
  /** Rules for opaque TCP (TCP servers and terminated `TLS` servers). The first that matches wins. */
  tcp?: TCPRoute[];
  /**
   * The namespaces this VirtualService is visible to: `.` (its own), `*` (all), or namespace
   * names. Default `*`. A gateway only uses VirtualServices exported to the gateway pod's namespace.
   */
  exportTo?: string[];
}

/** Where traffic goes: a service host, and optionally one of its subsets and ports. */
export interface Destination {
  /**
   * The service: a short name (`reviews`, resolved in the VirtualService's namespace), a fully
   * qualified name (`reviews.default.svc.cluster.local`), or a ServiceEntry host. Required; `*`
   * is not allowed.
   */
  host: string;
  /** A subset of the service's endpoints, defined in a DestinationRule for `host`. A DNS-1123 label. */
  subset?: string;
  /** The service port. Required when the service exposes more than one port. */
  port?: PortSelector;
}

/** A port of a destination service. */
export interface PortSelector {
  /** The port number, 1 to 65535. */
  number?: number;
}

/**
 * One HTTP routing rule: the conditions it matches and the one action it takes (`route`,
 * `redirect`, `directResponse` or `delegate`), plus what to do to the request on the way.
 */
export interface HTTPRoute {
  /** A name for the rule, shown in access logs and in findings. */
  name?: string;
  /**
   * The conditions: the rule applies when any one of these matches (all fields within one match
   * must hold). Omitted matches every request, and then only the last rule may omit it.
   */
  match?: HTTPMatchRequest[];
  /**
   * Where to send the request: one or more weighted destinations. Exclusive with `redirect`,
   * `directResponse` and `delegate`.
   */
  route?: HTTPRouteDestination[];
  /** Answer with a redirect instead of forwarding. Exclusive with `route`, `directResponse`, `rewrite` and `fault`. */
  redirect?: HTTPRedirect;
  /** Answer with a fixed status and body. Exclusive with `route`, `redirect`, `rewrite` and `fault`. */
  directResponse?: HTTPDirectResponse;
  /**
   * Hand routing to another VirtualService (a delegate, with no `hosts`). Only valid when
   * `route` and `redirect` are empty; the delegate's matches are combined with these.
   */
  delegate?: Delegate;
  /** Rewrite the path or authority before forwarding. Exclusive with `redirect` and `directResponse`. */
  rewrite?: HTTPRewrite;
  /** Time allowed for the whole request, at least 1ms in whole milliseconds (`"5s"`, `"250ms"`). Default: none. */
  timeout?: string;
  /** How failed requests are retried. */
  retries?: HTTPRetry;
  /** Faults to inject (delays and aborts), for testing resilience. */
  fault?: HTTPFaultInjection;
  /**
   * Copy requests to this destination as well, fire and forget. Exclusive with `mirrors`.
   */
  mirror?: Destination;
  /** Deprecated: use `mirrorPercentage`. Percentage (0 to 100) of requests mirrored to `mirror`. */
  mirrorPercent?: number;
  /** Percentage of requests copied to `mirror` (0 to 100). Default 100 when `mirror` is set. */
  mirrorPercentage?: Percent;
  /** Several mirror destinations, each with its own percentage. Exclusive with `mirror`. */
  mirrors?: HTTPMirrorPolicy[];
  /** Cross-origin resource sharing policy. */
  corsPolicy?: CorsPolicy;
  /** Header operations on the request and the response. */
  headers?: Headers;
}

/** A reference to a delegate VirtualService. */
export interface Delegate {
  /** Name of the delegate VirtualService. */
  name?: string;
  /** Namespace of the delegate VirtualService. Default: the referring VirtualService's namespace. */
  namespace?: string;
}

/** Header operations on the request (before forwarding) and the response (before answering). */
export interface Headers {
  /** Applied to the request before it is forwarded. */
  request?: HeaderOperations;
  /** Applied to the response before it is returned. */
  response?: HeaderOperations;
}

/** Set, append and remove headers. Values may use Envoy's `%VARIABLE%` formatters (`%%` for a `%`). */
export interface HeaderOperations {
  /** Replace these headers (set them if absent). */
  set?: { [key: string]: string };
  /** Append these values to the headers (adding the header if absent). */
  add?: { [key: string]: string };
  /** Remove these headers. */
  remove?: string[];
}

/** A rule for unterminated TLS, matched by SNI. */
export interface TLSRoute {
  /** The conditions; at least one, each with at least one SNI host. Required. */
  match: TLSMatchAttributes[];
  /** Where to send the connection. Required. */
  route?: RouteDestination[];
}

/** A rule for opaque TCP. */
export interface TCPRoute {
  /** The conditions; any one must hold. Omitted matches every connection. */
  match?: L4MatchAttributes[];
  /** Where to send the connection. Required. */
  route?: RouteDestination[];
}

/** Conditions on an HTTP request; all fields given must hold. */
export interface HTTPMatchRequest {
  /** A name for the match, prefixed to the rule's name in access logs. */
  name?: string;
  /** The path (without the query string). */
  uri?: StringMatch;
  /** The URI scheme (`http`, `https`). */
  scheme?: StringMatch;
  /** The HTTP method (`GET`, `POST`, …). */
  method?: StringMatch;
  /** The authority (`Host` header, `:authority` in HTTP/2). */
  authority?: StringMatch;
  /**
   * Request headers that must be present and match, by lower-case name. An empty StringMatch
   * (`{}`) only requires presence. Keys of the form `@request.auth.claims.<claim>` match JWT claims
   * (gateways only).
   */
  headers?: { [key: string]: StringMatch };
  /** The gateway port the request arrived on. Default: any. */
  port?: number;
  /** Labels of the calling workload (sidecars only; ignored at gateways). */
  sourceLabels?: { [key: string]: string };
  /** Gateways this match applies to (`<namespace>/<name>` or `mesh`); overrides the VirtualService's `gateways`. */
  gateways?: string[];
  /** Query parameters that must match. An empty StringMatch requires only presence. `prefix` is not supported. */
  queryParams?: { [key: string]: StringMatch };
  /** Match `uri` case-insensitively. Only `uri` is affected. Default false. */
  ignoreUriCase?: boolean;
  /** Request headers that must NOT match (or, with an empty StringMatch, must be absent). */
  withoutHeaders?: { [key: string]: StringMatch };
  /** Namespace of the calling workload (sidecars only; ignored at gateways). */
  sourceNamespace?: string;
  /** A prefix for statistics generated by this match. */
  statPrefix?: string;
}

/** A destination of an HTTP rule with its weight and its own header operations. */
export interface HTTPRouteDestination {
  /** The service to send to. Required. */
  destination: Destination;
  /**
   * The relative share of traffic (weights need not sum to 100; they are relative). With one
   * destination it is ignored; with several, a destination with weight 0 or none gets no traffic
   * and the total must be above 0.
   */
  weight?: number;
  /** Header operations applied only when this destination is chosen. */
  headers?: Headers;
}

/** A destination of a TLS or TCP rule, with its weight. */
export interface RouteDestination {
  /** The service to send to. Required. */
  destination: Destination;
  /** The relative share of connections, as in HTTPRouteDestination. */
  weight?: number;
}

/** Conditions on a TCP connection; all fields given must hold. */
export interface L4MatchAttributes {
  /** Destination IP addresses or CIDR blocks. */
  destinationSubnets?: string[];
  /** The gateway port the connection arrived on. */
  port?: number;
  /** Source IP address or CIDR block (sidecars only). */
  sourceSubnet?: string;
  /** Labels of the calling workload (sidecars only). */
  sourceLabels?: { [key: string]: string };
  /** Gateways this match applies to; overrides the VirtualService's `gateways`. */
  gateways?: string[];
  /** Namespace of the calling workload (sidecars only). */
  sourceNamespace?: string;
}

/** Conditions on an unterminated TLS connection; all fields given must hold. */
export interface TLSMatchAttributes {
  /**
   * SNI names to match; at least one. Each must be within one of the VirtualService's `hosts`.
   * Wildcards (`*.example.com`) are allowed.
   */
  sniHosts: string[];
  /** Destination IP addresses or CIDR blocks. */
  destinationSubnets?: string[];
  /** The gateway port the connection arrived on. */
  port?: number;
  /** Labels of the calling workload (sidecars only). */
  sourceLabels?: { [key: string]: string };
  /** Gateways this match applies to; overrides the VirtualService's `gateways`. */
  gateways?: string[];
  /** Namespace of the calling workload (sidecars only). */
  sourceNamespace?: string;
}

/** How a redirect picks its port when `port` is not given. */
export const RedirectPortSelection = {
  /** 80 for http, 443 for https. */
  FROM_PROTOCOL_DEFAULT: "FROM_PROTOCOL_DEFAULT",
  /** The port the request arrived on. */
  FROM_REQUEST_PORT: "FROM_REQUEST_PORT",
} as const;
export type RedirectPortSelection = (typeof RedirectPortSelection)[keyof typeof RedirectPortSelection];

/** Answer with a redirect. At least one of `uri`, `prefixRewrite`, `authority`, `port`/`derivePort` or `scheme`. */
export interface HTTPRedirect {
  /** Replace the whole path (keeping the query). Exclusive with `prefixRewrite`. */
  uri?: string;
  /** Replace the authority (host). */
  authority?: string;
  /** Replace the port, 1 to 65535. Exclusive with `derivePort`. */
  port?: number;
  /** Derive the port instead of setting it. Exclusive with `port`. */
  derivePort?: RedirectPortSelection;
  /** Replace the scheme: `http` or `https`. */
  scheme?: string;
  /** The status code, a 3xx. Default 301. */
  redirectCode?: number;
  /**
   * Replace the matched prefix of the path with this. Every `uri` match of the rule must be a
   * `prefix` match. Exclusive with `uri`.
   */
  prefixRewrite?: string;
}

/** Answer with a fixed response. */
export interface HTTPDirectResponse {
  /** The status code, 200 to 599. Required. */
  status: number;
  /** The body. Default: empty. */
  body?: HTTPBody;
}

/** A response body: text or base64-encoded bytes (one of them). At most 1 MiB. */
export interface HTTPBody {
  /** The body as text. */
  string?: string;
  /** The body as base64-encoded bytes. */
  bytes?: string;
}

/** Rewrite the request before forwarding. At least one field. */
export interface HTTPRewrite {
  /** Replace the matched part of the path: the prefix for a `prefix` match, the whole path otherwise. Exclusive with `uriRegexRewrite`. */
  uri?: string;
  /** Replace the authority (`Host`). */
  authority?: string;
  /** Rewrite the path with a regular expression. Exclusive with `uri`. */
  uriRegexRewrite?: RegexRewrite;
}

/** A regular-expression rewrite of the path. */
export interface RegexRewrite {
  /** An RE2 regular expression; every match in the path is replaced. */
  match?: string;
  /** The replacement; `\1`-style references to capture groups are allowed. */
  rewrite?: string;
}

/**
 * A string condition: exactly one of `exact`, `prefix` or `regex`. Regular expressions use RE2
 * syntax and must match the whole string.
 */
export interface StringMatch {
  /** Equal to this string. */
  exact?: string;
  /** Starts with this string. */
  prefix?: string;
  /** Matches this RE2 regular expression as a whole (at most 1024 bytes). */
  regex?: string;
}

/** Retry policy of an HTTP rule. */
export interface HTTPRetry {
  /** How many retries (after the first try). 0 disables retries. Default 2 in Istio. */
  attempts?: number;
  /** Time allowed for each try, at least 1ms. Default: the rule's `timeout`. */
  perTryTimeout?: string;
  /**
   * When to retry: a comma-separated list of Envoy conditions (`5xx`, `gateway-error`,
   * `connect-failure`, `reset`, `retriable-4xx`, `refused-stream`, `unavailable`, …) and status codes.
   * Default `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`.
   */
  retryOn?: string;
  /** Retry on endpoints in other localities. */
  retryRemoteLocalities?: boolean;
  /** Avoid endpoints already tried when retrying. */
  retryIgnorePreviousHosts?: boolean;
  /** Base interval between retries, at least 1ms. Default 25ms. */
  backoff?: string;
}

/** What to do with requests that do not match `allowOrigins`. */
export const UnmatchedPreflights = {
  UNSPECIFIED: "UNSPECIFIED",
  /** Forward preflight requests from unmatched origins to the upstream. */
  FORWARD: "FORWARD",
  /** Answer preflight requests from unmatched origins without CORS headers. */
  IGNORE: "IGNORE",
} as const;
export type UnmatchedPreflights = (typeof UnmatchedPreflights)[keyof typeof UnmatchedPreflights];

/** Cross-origin resource sharing policy. */
export interface CorsPolicy {
  /** Deprecated: use `allowOrigins`. Exact origins allowed. */
  allowOrigin?: string[];
  /** Origins allowed, each an exact, prefix or regex match. */
  allowOrigins?: StringMatch[];
  /** Methods allowed (`Access-Control-Allow-Methods`): upper-case method names or `*`. */
  allowMethods?: string[];
  /** Request headers allowed (`Access-Control-Allow-Headers`). */
  allowHeaders?: string[];
  /** Response headers exposed to the browser (`Access-Control-Expose-Headers`). */
  exposeHeaders?: string[];
  /** How long a preflight answer may be cached, in whole seconds (`"24h"`). */
  maxAge?: string;
  /** Allow credentials (`Access-Control-Allow-Credentials: true`). */
  allowCredentials?: boolean;
  /** What to do with preflight requests from origins not allowed. Default: forward. */
  unmatchedPreflights?: UnmatchedPreflights;
}

/** Faults injected into matching requests. At least one of `delay` and `abort`. */
export interface HTTPFaultInjection {
  /** Delay requests before forwarding. */
  delay?: Delay;
  /** Answer requests with an error instead of forwarding. */
  abort?: Abort;
}

/** A delay fault. */
export interface Delay {
  /** Deprecated: use `percentage`. Whole percentage of requests delayed. */
  percent?: number;
  /** How long to delay, at least 1ms. */
  fixedDelay?: string;
  /** Not supported by Istio (rejected). */
  exponentialDelay?: string;
  /** Percentage of requests delayed. Unspecified: none (Istio falls back to the deprecated `percent`, else 0). */
  percentage?: Percent;
}

/** An abort fault: exactly one of `httpStatus`, `grpcStatus` (and `http2Error`, which Istio rejects). */
export interface Abort {
  /** The HTTP status to answer with, 200 to 599. */
  httpStatus?: number;
  /** The gRPC status name to answer with (`UNAVAILABLE`, `NOT_FOUND`, …). */
  grpcStatus?: string;
  /** Not supported by Istio (rejected). */
  http2Error?: string;
  /** Percentage of requests aborted. Unspecified: none, as in Istio. */
  percentage?: Percent;
}

/** One mirror destination with its share of requests. */
export interface HTTPMirrorPolicy {
  /** The service requests are copied to. Required. */
  destination: Destination;
  /** Percentage of requests copied (0 to 100). Default 100. */
  percentage?: Percent;
}

/** A percentage, 0 to 100, with fractions. */
export interface Percent {
  /** The percentage. */
  value?: number;
}
