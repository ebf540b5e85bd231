/**
 * The gateway proxy's configuration, in Envoy's nouns: what `buildProxyConfig` produces from
 * Gateways and VirtualServices and what the proxy runtime consumes.
 *
 * ```
 * ProxyConfig
 *   listeners[]            one per bind address + listen port
 *     filterChains[]       chosen by SNI (TLS ports) or the only one (plain-text ports)
 *       tls?               downstream TLS termination
 *       httpConnectionManager?.routeConfig
 *         virtualHosts[]   chosen by Host/:authority
 *           routes[]       first match wins
 *             action       route (weighted clusters) | redirect | directResponse
 *       tcpProxy?          weighted clusters for TCP and TLS passthrough
 *   clusters[]             `outbound|<port>|<subset>|<host>`: endpoints and upstream TLS
 *   jwtAuthn?              JWT providers of the RequestAuthentications in force
 * ```
 *
 * Contract with the runtime:
 * - Everything is plain JSON-compatible data, deeply frozen; no functions, no classes.
 * - Every cluster name a route, mirror or TCP proxy refers to is present in `clusters`.
 * - Listener / filter chain / route config / virtual host / route / cluster names are unique
 *   where they are siblings, so a request can report the path it took (see `RouteMetadata`).
 * - Semantics decided at translation time are not repeated at run time: `match.port` and
 *   `match.gateways` of VirtualService rules are applied while building (a rule that cannot match
 *   on a server is not emitted there), so `RouteMatch` never carries them.
 * - Key material resolved from Secrets is held inline: never log a `ProxyConfig` as a whole;
 *   use `redactProxyConfig` (in this directory) for debug output.
 */

import type { JwtAuthnConfig } from "./jwt-authn";

/** The whole configuration of one gateway proxy. */
export interface ProxyConfig {
  /**
   * A content hash of the configuration (hex). Equal configurations have equal versions, so the
   * runtime can skip reloads that change nothing.
   */
  readonly version: string;
  /** The listeners, sorted by address then listen port. */
  readonly listeners: readonly Listener[];
  /** Every upstream cluster any listener refers to, sorted by name. */
  readonly clusters: readonly Cluster[];
  /**
   * Envoy's RBAC filters, from the AuthorizationPolicies that apply to the proxy; unset when none
   * does (then no request pays for authorization).
   */
  readonly rbac?: RbacConfig;
  /**
   * The `jwt_authn` filter of every HTTP filter chain: the JWT rules of the RequestAuthentications
   * that select the proxy. Absent when none does (then requests are not looked at for tokens).
   */
  readonly jwtAuthn?: JwtAuthnConfig;
}

/** The AuthorizationPolicies in force, as the RBAC filters of HTTP and of TCP filter chains. */
export interface RbacConfig {
  /** The policies that apply, as `namespace/name` with their action, sorted. */
  readonly policies: readonly RbacPolicyRef[];
  /** The filter of `http` and `https` chains (Envoy's HTTP RBAC filter). */
  readonly http: RbacFilter;
  /** The filter of `tcp`, `tls-passthrough` and `tls-terminated-tcp` chains (the network RBAC filter). */
  readonly tcp: RbacFilter;
}

/** An AuthorizationPolicy in force. */
export interface RbacPolicyRef {
  /** `namespace/name`. */
  readonly policy: string;
  /** `ALLOW`, `DENY` or `AUDIT`. */
  readonly action: "ALLOW" | "DENY" | "AUDIT";
}

/**
 * One RBAC filter: DENY rules first (any match denies), then ALLOW rules (when `allow` is set, a
 * request must match one). AUDIT rules never change a decision and are not carried.
 */
export interface RbacFilter {
  /** The rules of DENY policies, sorted by name (the first match names the denial). */
  readonly deny: readonly RbacPolicy[];
  /**
   * The rules of ALLOW policies, sorted by name; undefined when no ALLOW policy applies. An empty
   * list (allow-nothing, or every rule dropped on TCP) denies everything.
   */
  readonly allow?: readonly RbacPolicy[];
}

/**
 * One rule of a policy, as Envoy's RBAC policy: it matches when any permission and any principal
 * match (an empty list of conditions matches everything).
 */
export interface RbacPolicy {
  /** Istio's name of the rule: `ns[<namespace>]-policy[<name>]-rule[<index>]`. */
  readonly name: string;
  /** What the request does (`to`, with the operation keys of `when`): any of these. */
  readonly permissions: readonly (readonly RbacCondition[])[];
  /** Who sends it (`from`, with the source keys of `when`): any of these. */
  readonly principals: readonly (readonly RbacCondition[])[];
  /** True when the rule matches nothing at all (a policy without rules). */
  readonly never?: boolean;
}

/**
 * What an attribute of a request or connection must be. Values use Istio's forms (`*`, `x*`,
 * `*x`; CIDR blocks; path templates), compiled by the proxy.
 */
export interface RbacCondition {
  /** The attribute. */
  readonly attribute: RbacAttribute;
  /** The header name, for `request.headers`. */
  readonly header?: string;
  /** The claim's path (`[groups]` is `["groups"]`, `[a][b]` is `["a", "b"]`), for `request.auth.claims`. */
  readonly claim?: readonly string[];
  /** It must match one of these (no requirement when empty). */
  readonly values: readonly string[];
  /** It must match none of these. */
  readonly notValues: readonly string[];
}

/**
 * The attributes the proxy evaluates. The `request.auth.*` ones come from the JWT that
 * RequestAuthentication validated (none without a token). `unavailable` stands for what it never
 * has (Envoy filter metadata): its values never match, so its `notValues` always hold, as Envoy's
 * matchers on absent metadata behave.
 */
export type RbacAttribute =
  | "host"
  | "method"
  | "path"
  | "request.headers"
  | "destination.port"
  | "destination.ip"
  | "connection.sni"
  | "source.ip"
  | "remote.ip"
  | "source.principal"
  | "source.namespace"
  | "source.serviceAccount"
  | "source.trustDomain"
  | "request.auth.principal"
  | "request.auth.audiences"
  | "request.auth.presenter"
  | "request.auth.claims"
  | "unavailable";

/**
 * One socket the proxy listens on: every Gateway server sharing an address and port is merged
 * into it (Istio's `mergeGateways`).
 */
export interface Listener {
  /** `<address>_<listenPort>`, e.g. `0.0.0.0_8080`, as Istio names gateway listeners. */
  readonly name: string;
  /** The address to bind: the servers' `bind`, or `0.0.0.0` when they give none. */
  readonly address: string;
  /**
   * The Gateway server port (`port.number`): the Service port clients connect to. This is the
   * port `match.port`, redirects with `derivePort: FROM_REQUEST_PORT` and the request's `port`
   * refer to.
   */
  readonly port: number;
  /**
   * The port the proxy actually listens on: `portMap(port)` (identity unless the proxy maps
   * privileged Service ports, e.g. 80 -> 8080).
   */
  readonly listenPort: number;
  /**
   * True when connections start with a TLS ClientHello whose SNI selects the filter chain
   * (Envoy's `tls_inspector` listener filter): every chain's transport is `https`,
   * `tls-passthrough` or `tls-terminated-tcp`. False for plain-text listeners, which have exactly
   * one filter chain.
   */
  readonly tlsInspector: boolean;
  /**
   * The filter chains. On TLS listeners the chain is chosen by SNI with Envoy's precedence:
   * an exact `serverNames` entry, else the longest matching wildcard (`*.example.com`), else a
   * chain with empty `serverNames`; no match closes the connection.
   */
  readonly filterChains: readonly FilterChain[];
}

/** How a filter chain treats the bytes of a connection. */
export type FilterChainTransport =
  /** Plain-text HTTP: `httpConnectionManager`. */
  | "http"
  /** TLS terminated with `tls`, then HTTP: `httpConnectionManager`. */
  | "https"
  /** TLS passed through unterminated, routed by SNI: `tcpProxy`. */
  | "tls-passthrough"
  /** TLS terminated with `tls`, then opaque bytes: `tcpProxy`. */
  | "tls-terminated-tcp"
  /** Plain-text opaque bytes: `tcpProxy`. */
  | "tcp"
  /**
   * A terminating server whose `credentialName` Secret cannot be used (missing, without its keys,
   * without the CA a mutual mode needs): its SNI names keep their chain and every handshake on it
   * fails, as Envoy's do while SDS has no secret for the chain; they never fall through to another
   * server's chain. No optional field is set.
   */
  | "tls-unavailable";

/** One way of handling connections on a listener, chosen by SNI on TLS listeners. */
export interface FilterChain {
  /**
   * Unique within the listener: `http.<port>[.<bind>]` (merged plain HTTP, Istio's RDS name),
   * `https.<port>.<portName>.<gateway>.<ns>` (a terminated HTTPS server, Istio's RDS name),
   * `tls.<port>.<portName>.<gateway>.<ns>` (terminated TLS to TCP), `tcp.<port>`, or
   * `passthrough.<port>.<vs namespace>.<vs name>.<rule>.<match>` (one TLS passthrough match).
   */
  readonly name: string;
  /** SNI names this chain serves (lower case; `*.example.com` wildcards allowed); empty = any. */
  readonly serverNames: readonly string[];
  /** What the chain does with the connection; decides which of the optional fields are set. */
  readonly transport: FilterChainTransport;
  /** Downstream TLS termination; set exactly when `transport` is `https` or `tls-terminated-tcp`. */
  readonly tls?: DownstreamTlsContext;
  /** HTTP routing; set exactly when `transport` is `http` or `https`. */
  readonly httpConnectionManager?: HttpConnectionManager;
  /** Opaque forwarding; set exactly when `transport` is `tcp`, `tls-passthrough` or `tls-terminated-tcp`. */
  readonly tcpProxy?: TcpProxy;
  /** The Gateway servers this chain was built from, for debug output and access logs. */
  readonly servers: readonly ServerRef[];
}

/** A Gateway server, named as in findings: `istio-system/my-gw`, `spec.servers[1]`. */
export interface ServerRef {
  /** `<namespace>/<name>` of the Gateway. */
  readonly gateway: string;
  /** Index in `spec.servers`. */
  readonly serverIndex: number;
  /** `port.name` of the server. */
  readonly portName: string;
}

/** Where PEM material comes from: inline (resolved from a Secret) or a file the runtime reads. */
export type DataSource =
  /** PEM text resolved at translation time. `origin` says where from: `Secret istio-system/cred["tls.crt"]`. */
  | { readonly inline: string; readonly origin: string }
  /** A path on the proxy's file system (Istio's `serverCertificate`, `privateKey`, `caCertificates`, `caCrl`). */
  | { readonly filename: string };

/** One certificate chain with its private key. */
export interface TlsCertificate {
  /** PEM certificate chain. */
  readonly certificateChain: DataSource;
  /** PEM private key. */
  readonly privateKey: DataSource;
}

/** TLS protocol versions, in Node.js's spelling (`tls.createSecureContext({ minVersion })`). */
export type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** TLS termination of a filter chain (Envoy's `DownstreamTlsContext`). */
export interface DownstreamTlsContext {
  /** `SIMPLE`: server certificate only; `MUTUAL`: client certificate required; `OPTIONAL_MUTUAL`: verified when sent. */
  readonly mode: "SIMPLE" | "MUTUAL" | "OPTIONAL_MUTUAL";
  /** Server certificates (one, or an RSA and an ECDSA pair); at least one. */
  readonly certificates: readonly TlsCertificate[];
  /** CA bundle client certificates are verified against; set in the mutual modes. */
  readonly caCertificates?: DataSource;
  /** Certificate revocation list checked against client certificates. */
  readonly crl?: DataSource;
  /** True in `MUTUAL` mode: a handshake without a valid client certificate fails. */
  readonly requireClientCertificate: boolean;
  /** A client certificate must carry one of these subject alternative names (empty = any). */
  readonly subjectAltNames: readonly string[];
  /** Accepted base64 SHA-256 hashes of the client certificate's SPKI (empty = any). */
  readonly verifyCertificateSpki: readonly string[];
  /** Accepted hex SHA-256 fingerprints of the client certificate, colons removed, lower case (empty = any). */
  readonly verifyCertificateHash: readonly string[];
  /** Skip verification of the client certificate chain (still requested). */
  readonly insecureSkipVerify: boolean;
  /** Lowest accepted version. Default (as Istio's gateways) `TLSv1.2`. */
  readonly minVersion: TlsVersion;
  /** Highest accepted version. Default `TLSv1.3`. */
  readonly maxVersion: TlsVersion;
  /**
   * Cipher suites for TLS 1.2 and below, in preference order, as Istio passes them to Envoy (names
   * Istio does not know already dropped); empty means Envoy's default server list. TLS 1.3 suites
   * are not configurable, as in Envoy.
   */
  readonly cipherSuites: readonly string[];
  /**
   * ALPN protocols offered, in preference order: `["h2", "http/1.1"]` on every terminating server,
   * HTTPS or TLS, as Istio's gateways offer them.
   */
  readonly alpn: readonly string[];
  /** The Secret the material came from (`istio-system/my-cred`), when `credentialName` was used. */
  readonly credentialName?: string;
}

/**
 * HTTP codec of a connection manager:
 * - `http1`: HTTP/1.1 only (not produced today; kept for the runtime's sake);
 * - `http2`: HTTP/2 only (likewise);
 * - `auto`: on TLS, ALPN decides (`h2` or `http/1.1`); in plain text, a connection opening with
 *   the HTTP/2 preface is HTTP/2 with prior knowledge (h2c), anything else HTTP/1.1. Every
 *   gateway server gets it, whatever its protocol (`HTTP`, `HTTP2`, `GRPC`, `HTTPS`...), as
 *   Istio gives every gateway connection manager Envoy's `AUTO` codec.
 */
export type HttpCodec = "auto" | "http1" | "http2";

/** HTTP processing of a filter chain (Envoy's `HttpConnectionManager`). */
export interface HttpConnectionManager {
  /** The scheme requests on this chain have (`x-forwarded-proto`, `match.scheme`, redirects). */
  readonly scheme: "http" | "https";
  /** How HTTP is spoken on the connection. */
  readonly codec: HttpCodec;
  /** The routes. */
  readonly routeConfig: RouteConfig;
}

/** A set of virtual hosts (Envoy's `RouteConfiguration`). */
export interface RouteConfig {
  /** `http.<port>` for merged plain-text servers, `https.<port>.<portName>.<gateway>.<ns>` for HTTPS. */
  readonly name: string;
  /**
   * Virtual hosts, sorted by precedence of their first domain (exact names, then wildcards
   * longest first, then `*`). Domains are unique across the route config.
   */
  readonly virtualHosts: readonly VirtualHost[];
}

/** The routes for a set of domains (Envoy's `VirtualHost`). */
export interface VirtualHost {
  /** `<domain>:<port>`, e.g. `bookinfo.com:80`, or `blackhole:<port>` when nothing is bound. */
  readonly name: string;
  /**
   * Lower-case domains: exact names, leading wildcards (`*.example.com`) or `*`. The runtime picks
   * the virtual host by the request's authority with its port stripped: an exact domain first,
   * then the longest matching wildcard, then `*` (`selectVirtualHost`).
   */
  readonly domains: readonly string[];
  /** True when the host answers every plain-text request with a 301 to `https` (`tls.httpsRedirect`). */
  readonly requireTls: boolean;
  /** Routes in order; the first that matches wins. Empty routes: every request gets 404. */
  readonly routes: readonly Route[];
}

/** Where a route came from, so each request can say which rule it matched. */
export interface RouteMetadata {
  /** `<namespace>/<name>` of the VirtualService. */
  readonly virtualService: string;
  /** Index in `spec.http`. */
  readonly ruleIndex: number;
  /**
   * Index in `spec.http[ruleIndex].match`, or -1 when the rule has no `match`. For a delegated
   * rule, the index in the merged match list (root matches × delegate matches).
   */
  readonly matchIndex: number;
  /**
   * For a rule that came from a delegate VirtualService (`http[].delegate`): the delegate
   * (`<namespace>/<name>`) and the rule's index in its `spec.http`. `ruleIndex` is then the root's
   * rule that delegated.
   */
  readonly delegate?: { readonly virtualService: string; readonly ruleIndex: number };
}

/** One routing rule for one `HTTPMatchRequest` (Envoy's `Route`). */
export interface Route {
  /**
   * The rule's `name` (with `.<match name>` when the match has one), as Istio names routes; when
   * the rule is unnamed, `<vs namespace>.<vs name>.<ruleIndex>.<matchIndex>`.
   */
  readonly name: string;
  /**
   * Set when Istio gives the route no name (neither the rule nor its match has one): `name` was
   * made here, and the access log and `%ROUTE_NAME%` show none, as Envoy's do.
   */
  readonly unnamed?: true;
  /**
   * The route's operation, as Istio decorates routes for tracing (`GetRouteOperation`): the lone
   * destination's `host:port`, or `<VirtualService name>:<server port>` for several, then the path
   * matched (`/exact`, `/prefix*`, the regex, or `/*`). Envoy sends it upstream as
   * `x-envoy-decorator-operation`, since Istio turns tracing on by default. Set on routes that
   * forward.
   */
  readonly decoratorOperation?: string;
  /** The conditions; every one given must hold. */
  readonly match: RouteMatch;
  /** What happens to a matching request. */
  readonly action: RouteAction;
  /**
   * Header operations of the rule (`headers`), applied after the destination's own. `host` and
   * `:authority` never appear here: they become `rewrite.authority` (as in Istio).
   */
  readonly headers: HeaderOperationsPair;
  /** Faults to inject (Envoy's fault filter, per route). */
  readonly fault?: FaultPolicy;
  /** CORS policy (Envoy's cors filter, per route). */
  readonly cors?: CorsPolicyConfig;
  /** Where the route came from. */
  readonly metadata: RouteMetadata;
}

/**
 * A string condition, normalized from Istio's `StringMatch`. `regex` is RE2 syntax and must match
 * the whole string; `present` only requires the value to exist (an empty `StringMatch`).
 */
export type StringMatcher =
  | { readonly kind: "exact"; readonly value: string }
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "regex"; readonly regex: string }
  | { readonly kind: "present" };

/** A condition on one header or query parameter. */
export interface KeyValueMatcher {
  /** Lower-case header name, or the query parameter name as written. */
  readonly name: string;
  /** The condition on the value. */
  readonly match: StringMatcher;
}

/** Normalized `HTTPMatchRequest`. Absent fields impose no condition. */
export interface RouteMatch {
  /** The path without the query string. Absent = any path (Envoy's `prefix: /`). */
  readonly uri?: StringMatcher;
  /** Compare `uri` case-insensitively. */
  readonly ignoreUriCase: boolean;
  /** The scheme (`http`, `https`). */
  readonly scheme?: StringMatcher;
  /** The method. */
  readonly method?: StringMatcher;
  /** The authority (Host header, `:authority`), as sent (port included). */
  readonly authority?: StringMatcher;
  /**
   * The Gateway server port the request arrived on. Never set by `buildProxyConfig`, which applies
   * `match.port` while building; honoured by the router when present.
   */
  readonly port?: number;
  /**
   * Gateways (`<namespace>/<name>`) the request must have arrived through. Never set by
   * `buildProxyConfig`, which applies `match.gateways` while building; honoured by the router when
   * present.
   */
  readonly gateways?: readonly string[];
  /** Headers that must be present and match. */
  readonly headers: readonly KeyValueMatcher[];
  /** Headers that must not match (`present`: must be absent). */
  readonly withoutHeaders: readonly KeyValueMatcher[];
  /** Query parameters that must be present and match (`prefix` is not supported by Istio). */
  readonly queryParams: readonly KeyValueMatcher[];
}

/** Set, append and remove headers. Names are lower case; values may hold Envoy formatters. */
export interface HeaderOperations {
  /** Replace (or create) these headers, in order. */
  readonly set: readonly (readonly [name: string, value: string])[];
  /** Append these values (creating the header if absent), in order. */
  readonly add: readonly (readonly [name: string, value: string])[];
  /** Remove these headers. Applied before `set` and `add` of the same level. */
  readonly remove: readonly string[];
}

/** Header operations on the request (before forwarding) and on the response (before answering). */
export interface HeaderOperationsPair {
  /** On the request (pseudo-headers and `host` excluded). */
  readonly request: HeaderOperations;
  /** On the response. */
  readonly response: HeaderOperations;
}

/** What a route does: forward, redirect or answer. */
export type RouteAction = ForwardAction | RedirectAction | DirectResponseAction;

/** One destination of a forwarding route. */
export interface WeightedCluster {
  /**
   * The cluster's name: in `ProxyConfig.clusters`, unless the destination names a subset no
   * DestinationRule defines (then, as in Istio, there is no such cluster).
   */
  readonly cluster: string;
  /** Relative weight, > 0 (destinations with weight 0 are dropped, as Istio does). */
  readonly weight: number;
  /** Header operations of this destination, applied before the route's. */
  readonly headers: HeaderOperationsPair;
  /** Authority rewrite of this destination (its `headers.request.set` of `host`/`:authority`); the route's wins over it. */
  readonly authority?: string;
}

/** Forward to one of several weighted clusters (Envoy's `RouteAction`). */
export interface ForwardAction {
  /** Discriminant. */
  readonly kind: "route";
  /** The destinations, at least one. A single destination has weight 1 whatever the rule said. */
  readonly clusters: readonly WeightedCluster[];
  /** Path and authority rewrite before forwarding. */
  readonly rewrite?: RewritePolicy;
  /** Time allowed for the whole request including retries, in ms. Absent = no timeout (Istio's default). */
  readonly timeoutMs?: number;
  /** Retries; absent when `attempts` is 0. */
  readonly retries?: RetryPolicyConfig;
  /**
   * How a request is hashed to an endpoint (Envoy's `RouteAction.hash_policy`): as Istio writes
   * it, each destination's DestinationRule `consistentHash` in the order of the rule's
   * destinations (those of weight 0 among several left out), chosen as `HashForHTTPDestination`
   * chooses it: the subset's `portLevelSettings` for the destination's `port`, the subset's, the
   * rule's `portLevelSettings` for that port, the rule's; port-level settings only when the
   * destination names its `port`. A ring-hash cluster, whichever destination was drawn, hashes on
   * them all (Envoy's `HashPolicyImpl::generateHash`); other clusters ignore them. Absent = none:
   * a ring-hash cluster then picks at random.
   */
  readonly hashPolicy?: readonly HashPolicy[];
  /** Copies of the request sent fire-and-forget. */
  readonly mirrors: readonly MirrorPolicy[];
  /**
   * The lone destination's header operations apply after the route's (its removals already among
   * the route's, which go first): Istio appends a single destination's operations to the route's
   * own. Absent, each destination's apply before the route's, as Envoy's weighted clusters do.
   */
  readonly destinationHeadersLast?: boolean;
}

/** Path and authority rewrite. */
export interface RewritePolicy {
  /**
   * Replaces the matched part of the path: the matched prefix when the route's `uri` is a prefix
   * match, the whole path otherwise. The query string is kept.
   */
  readonly uri?: string;
  /** Replaces every match of the RE2 `pattern` in the path with `substitution` (`\1` back-references). */
  readonly uriRegex?: { readonly pattern: string; readonly substitution: string };
  /** Replaces the authority (Host header). */
  readonly authority?: string;
}

/** Retries as Istio configures Envoy. */
export interface RetryPolicyConfig {
  /** Retries after the first try (>= 1). */
  readonly attempts: number;
  /** Time for each try in ms; absent = the route timeout. */
  readonly perTryTimeoutMs?: number;
  /** The raw `retryOn` list (Envoy conditions and status codes); parse with `parseRetryOn`. */
  readonly retryOn: string;
  /** Base interval between retries in ms (Envoy's default 25). */
  readonly backoffMs: number;
  /**
   * Envoy's `previous_hosts` retry host predicate: a retry picks again (up to five times) while it
   * picks an endpoint already tried. The rule's `retryIgnorePreviousHosts` when it sets it; else,
   * as Istio's `ConvertPolicy`, on unless the rule has exactly one destination and its
   * DestinationRule gives it a `consistentHash` (a retry then keeps to the request's endpoint).
   */
  readonly previousHosts: boolean;
}

/** A copy of the request sent to another cluster. */
export interface MirrorPolicy {
  /**
   * The cluster's name: in `ProxyConfig.clusters`, unless the destination names a subset no
   * DestinationRule defines (then, as in Istio, there is no such cluster).
   */
  readonly cluster: string;
  /** Percentage of requests mirrored, 0 to 100. */
  readonly percentage: number;
}

/** Answer with a redirect (Envoy's `RedirectAction`). */
export interface RedirectAction {
  /** Discriminant. */
  readonly kind: "redirect";
  /** Replaces the whole path; the query is kept. */
  readonly uri?: string;
  /** Replaces the matched prefix of the path (the route's `uri` is a prefix match). */
  readonly prefixRewrite?: string;
  /** Replaces the host (and port, when it has one). */
  readonly authority?: string;
  /** Replaces the scheme: `http` or `https`. */
  readonly scheme?: string;
  /**
   * Replaces the port. `derivePort: FROM_REQUEST_PORT` is resolved at translation time to the
   * listener's `port`; 80 with scheme `http` and 443 with `https` are dropped (as Istio does). When
   * absent, the request's port is kept unless it is the default port of the resulting scheme.
   */
  readonly port?: number;
  /** The status, 3xx; default 301. */
  readonly responseCode: number;
}

/** Answer with a fixed response (Envoy's `DirectResponseAction`). */
export interface DirectResponseAction {
  /** Discriminant. */
  readonly kind: "directResponse";
  /** The status, 200 to 599. */
  readonly status: number;
  /** The body: text, or base64 bytes. Absent = empty. */
  readonly body?: { readonly inlineString: string } | { readonly inlineBytes: string };
}

/** Faults injected before forwarding (Envoy's `HTTPFault`). */
export interface FaultPolicy {
  /** Delay the request. */
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: number };
  /** Answer instead of forwarding: an HTTP status, or a gRPC status name answered as a trailers-only 200. */
  readonly abort?: {
    readonly httpStatus?: number;
    readonly grpcStatus?: string;
    readonly percentage: number;
  };
}

/** A condition on the `Origin` header. */
export type OriginMatcher = StringMatcher;

/** CORS policy of a route (Envoy's `CorsPolicy`). */
export interface CorsPolicyConfig {
  /** Allowed origins (from `allowOrigins` and the deprecated `allowOrigin`, exact). */
  readonly allowOrigins: readonly OriginMatcher[];
  /** `Access-Control-Allow-Methods` value list. */
  readonly allowMethods: readonly string[];
  /** `Access-Control-Allow-Headers` value list. */
  readonly allowHeaders: readonly string[];
  /** `Access-Control-Expose-Headers` value list. */
  readonly exposeHeaders: readonly string[];
  /** `Access-Control-Max-Age` in seconds. */
  readonly maxAgeSeconds?: number;
  /** `Access-Control-Allow-Credentials: true`. */
  readonly allowCredentials: boolean;
  /** Preflights from origins not allowed: `FORWARD` (default) to the upstream, or `IGNORE` (answer without CORS headers). */
  readonly unmatchedPreflights: "FORWARD" | "IGNORE";
}

/** Opaque forwarding (Envoy's `TcpProxy`). */
export interface TcpProxy {
  /** Destinations, weighted by connection; at least one. */
  readonly clusters: readonly TcpWeightedCluster[];
  /**
   * How a connection is hashed to an endpoint of a ring-hash cluster (Envoy's tcp_proxy
   * `hash_policy`), as Istio's `maybeSetHashPolicy` sets it: the client's IP address when the
   * DestinationRule of the rule's first destination hashes on `useSourceIp`, at its top level or,
   * for a lone destination naming a subset with a `loadBalancer` of its own, in that subset (never
   * in `portLevelSettings`). Absent = none: a ring-hash cluster picks at random.
   */
  readonly hashPolicy?: readonly TcpHashPolicy[];
  /**
   * The idle timeout and duration limit of every connection, from the DestinationRule of the
   * rule's first destination (its top-level `connectionPool.tcp`), as Istio writes one `tcp_proxy`
   * per rule. Absent = Envoy's defaults: idle for an hour, no duration limit.
   */
  readonly limits?: TcpProxySettings;
  /** The rule this came from. */
  readonly metadata: TcpRouteMetadata;
}

/** What a TCP connection is hashed on (Envoy's `type.v3.HashPolicy`): its client's IP address. */
export interface TcpHashPolicy {
  /** Discriminant. */
  readonly kind: "source-ip";
}

/** One destination of a TCP proxy. */
export interface TcpWeightedCluster {
  /**
   * The cluster's name: in `ProxyConfig.clusters`, unless the destination names a subset no
   * DestinationRule defines (then, as in Istio, there is no such cluster).
   */
  readonly cluster: string;
  /** Relative weight, > 0. */
  readonly weight: number;
}

/** Where a TCP proxy came from. */
export interface TcpRouteMetadata {
  /** `<namespace>/<name>` of the VirtualService. */
  readonly virtualService: string;
  /** `tls` (passthrough) or `tcp` rules. */
  readonly block: "tls" | "tcp";
  /** Index in `spec.tls` or `spec.tcp`. */
  readonly ruleIndex: number;
  /** Index in the rule's `match`, or -1 when it has none. */
  readonly matchIndex: number;
}

/** An upstream endpoint. */
export interface Endpoint {
  /** An IP address (`STATIC`) or a DNS name (`STRICT_DNS`). */
  readonly address: string;
  /** The port to connect to. */
  readonly port: number;
  /** Relative load-balancing weight, >= 1. */
  readonly weight: number;
}

/** TLS the proxy originates towards upstream endpoints (from a DestinationRule; Envoy's `UpstreamTlsContext`). */
export interface UpstreamTlsContext {
  /** `SIMPLE`: verify the server; `MUTUAL`: also present a client certificate. */
  readonly mode: "SIMPLE" | "MUTUAL";
  /**
   * SNI sent: the DestinationRule's `sni`. Without it Istio turns on Envoy's `auto_sni`: an HTTP
   * request (or WebSocket upgrade) sends the host of its upstream authority (after any
   * `rewrite.authority`; none when it is an IP address), and TCP proxying sends none.
   */
  readonly sni?: string;
  /**
   * Istio's `auto_san_validation` (no `sni`, no `subjectAltNames`, verification on): the upstream
   * certificate must name that authority host. Otherwise, with no `subjectAltNames`, only the
   * chain is verified, as in Envoy.
   */
  readonly autoSanValidation: boolean;
  /** CA bundle the upstream certificate is verified against; absent = the system's roots. */
  readonly caCertificates?: DataSource;
  /** Client certificate (`MUTUAL`). */
  readonly certificate?: TlsCertificate;
  /** Names accepted in the upstream certificate (empty: see {@link autoSanValidation}). */
  readonly subjectAltNames: readonly string[];
  /** Do not verify the upstream certificate. */
  readonly insecureSkipVerify: boolean;
  /** ALPN offered upstream; empty. */
  readonly alpn: readonly string[];
}

/** The version of the PROXY protocol header a cluster's upstream connections start with. */
export type ProxyProtocolVersion = "V1" | "V2";

/** The HTTP version a cluster speaks to its endpoints. */
export type UpstreamProtocol = "HTTP/1.1" | "HTTP/2";

/**
 * Envoy's circuit-breaker thresholds of a cluster (Istio's `connectionPool`), counted per
 * cluster and per proxy process. An unset field is 4294967295, Istio's "unlimited".
 */
export interface CircuitBreakers {
  /** Upstream connections; over HTTP/1.1 also requests in flight (`tcp.maxConnections`). */
  readonly maxConnections: number;
  /** Requests waiting for a connection (`http.http1MaxPendingRequests`). */
  readonly maxPendingRequests: number;
  /** Requests in flight, any protocol (`http.http2MaxRequests`). */
  readonly maxRequests: number;
  /** Retries waiting for their backoff at once (`http.maxRetries`). */
  readonly maxRetries: number;
}

/**
 * Limits of TCP-proxied connections to a cluster (Envoy's `tcp_proxy` `idle_timeout` and
 * `max_downstream_connection_duration`), from the DestinationRule's top-level
 * `connectionPool.tcp`, as Istio reads them.
 */
export interface TcpProxySettings {
  /** A connection with no bytes either way for this long is closed (`tcp.idleTimeout`); 0 = never. */
  readonly idleTimeoutMs: number;
  /** A connection is closed this long after it was accepted (`tcp.maxConnectionDuration`); 0 = never. */
  readonly maxConnectionDurationMs: number;
}

/** Upstream HTTP connection settings (Envoy's `common_http_protocol_options`). */
export interface HttpProtocolOptions {
  /** Idle time after which an upstream connection is closed (`http.idleTimeout`, else `tcp.idleTimeout`; 1h). */
  readonly idleTimeoutMs: number;
  /** Requests after which a connection is closed (`http.maxRequestsPerConnection`); 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /**
   * Streams an HTTP/2 connection carries at once (`http.maxConcurrentStreams`); a stream past it
   * opens another connection. 0 = unlimited.
   */
  readonly maxConcurrentStreams: number;
  /**
   * A connection this old takes no more requests and is closed once its last one ends
   * (`tcp.maxConnectionDuration`); 0 = never.
   */
  readonly maxConnectionDurationMs: number;
}

/**
 * HTTP/2 PINGs on the cluster's upstream HTTP/2 connections (Envoy's
 * `http2_protocol_options.connection_keepalive`, from `connectionPool.http.http2KeepAlive`). The
 * first PING goes `intervalMs` after the connection opens, each next one `intervalMs` after the
 * previous one's ACK, both plus a random jitter of up to 15% (Envoy's default `interval_jitter`).
 */
export interface Http2KeepaliveSettings {
  /** Time between an ACK and the next PING, in ms (`interval`), > 0. */
  readonly intervalMs: number;
  /**
   * A PING unanswered for this long (ms) closes the connection and resets its streams
   * (`timeout`), > 0. Bytes arriving meanwhile extend the wait by another `timeoutMs`, as Envoy
   * extends it when any frame arrives.
   */
  readonly timeoutMs: number;
}

/**
 * TCP keep-alive of every upstream socket of the cluster: HTTP/1.1 and HTTP/2 connections, TCP
 * proxying and WebSocket tunnels (Envoy's `upstream_connection_options.tcp_keepalive`, from
 * `connectionPool.tcp.tcpKeepalive`, durations in whole seconds as Istio passes them). 0 leaves a
 * setting to the system, as Envoy leaves an unset one.
 */
export interface TcpKeepalive {
  /** Idle seconds before the first probe (`time`); 0 = the system's (Linux: 7200). */
  readonly timeSeconds: number;
  /**
   * Seconds between probes (`interval`); 0 = the system's (Linux: 75). Not applied: Node.js sets
   * only the idle time (with it, libuv fixes the interval at 1 s).
   */
  readonly intervalSeconds: number;
  /**
   * Unanswered probes that drop the connection (`probes`); 0 = the system's (Linux: 9). Not
   * applied: Node.js sets only the idle time (with it, libuv fixes the probes at 10).
   */
  readonly probes: number;
}

/**
 * Passive health checking (Envoy's `OutlierDetection` as Istio sets it): consecutive-failure
 * ejection only, success-rate ejection off.
 */
export interface OutlierDetectionConfig {
  /** 5xx answers in a row that eject an endpoint; 0 = off. Default 5. */
  readonly consecutive5xx: number;
  /** 502/503/504 answers in a row that eject an endpoint; 0 = off (the default). */
  readonly consecutiveGatewayFailure: number;
  /** Local-origin failures in a row that eject (only with `splitExternalLocalOriginErrors`); 0 = off. Default 5. */
  readonly consecutiveLocalOriginFailure: number;
  /** Connect failures, timeouts and resets counted apart from answers. */
  readonly splitExternalLocalOriginErrors: boolean;
  /** How often ejections are reviewed. Default 10000. */
  readonly intervalMs: number;
  /** Ejection time of a first ejection; multiplied by the ejections in a row. Default 30000. */
  readonly baseEjectionTimeMs: number;
  /** Longest ejection (Envoy's `max_ejection_time`). 300000. */
  readonly maxEjectionTimeMs: number;
  /** Most endpoints ejected at once, in percent, the next ejection included (strict, as Envoy since 1.27). Default 10. */
  readonly maxEjectionPercent: number;
  /** Below this percentage of healthy endpoints, all are used (Envoy's healthy panic threshold). Default 0. */
  readonly healthyPanicThreshold: number;
}

/** An attribute of the cookie a consistent hash sets (Envoy's `CookieAttribute`). */
export interface CookieAttribute {
  /** The name, non-empty. */
  readonly name: string;
  /** The value; empty writes `; name` alone. */
  readonly value: string;
}

/**
 * What a request is hashed on (one of Envoy's route `hash_policy` entries, as Istio's
 * `ConsistentHashToHashPolicy` makes it from a `consistentHash`).
 */
export type HashPolicy =
  /** A request header's first value. */
  | { readonly kind: "header"; readonly name: string }
  /**
   * A cookie; with `ttlSeconds`, set on the response when the request lacks it, with `attributes`
   * appended in order after `Path` (Envoy's `makeSetCookieValue`).
   */
  | {
      readonly kind: "cookie";
      readonly name: string;
      readonly path?: string;
      readonly ttlSeconds?: number;
      readonly attributes?: readonly CookieAttribute[];
    }
  /** The downstream peer's IP address. */
  | { readonly kind: "source-ip" }
  /** A query parameter's first value. */
  | { readonly kind: "query"; readonly name: string };

/**
 * The ring of a consistent-hash cluster (Envoy's `ring_hash_lb_config`; Istio's `maglev` is served
 * by a ring too). What a request hashes on is the route's (`ForwardAction.hashPolicy`).
 */
export interface RingHashConfig {
  /** Ring entries, at least (`ringHash.minimumRingSize`, `maglev.tableSize`, `minimumRingSize`; 1024). */
  readonly minimumRingSize: number;
}

/** Where requests go: one service port and subset (Envoy's `Cluster`). */
export interface Cluster {
  /** `outbound|<port>|<subset>|<host>`, Istio's cluster name. */
  readonly name: string;
  /** The destination host, fully qualified (`reviews.default.svc.cluster.local`). */
  readonly host: string;
  /** The service port. */
  readonly port: number;
  /** The subset name, or empty. */
  readonly subset: string;
  /** The subset's labels from the DestinationRule; ServiceEntry endpoints are filtered by them. */
  readonly subsetLabels: Readonly<Record<string, string>>;
  /**
   * The namespace of the ServiceEntry declaring the host, when one does: Istio's
   * `destination_service_namespace` for a host outside `.svc.cluster.local`.
   */
  readonly serviceNamespace?: string;
  /**
   * `STATIC`: endpoints are IP addresses; `STRICT_DNS`: endpoint addresses are DNS names resolved
   * by the runtime (which may override them, e.g. the CLI's `--resolve HOST=IP`).
   */
  readonly type: "STATIC" | "STRICT_DNS";
  /**
   * Endpoints. A Kubernetes service (no ServiceEntry) has one DNS endpoint: its host and port
   * (subset labels cannot be applied to DNS answers). Empty = every request gets 503 (no
   * healthy upstream), e.g. a subset that selects no ServiceEntry endpoint.
   */
  readonly endpoints: readonly Endpoint[];
  /** Upstream TLS, from the DestinationRule. */
  readonly tls?: UpstreamTlsContext;
  /** Connect timeout in ms (DestinationRule `connectionPool.tcp.connectTimeout`; default 10000). */
  readonly connectTimeoutMs: number;
  /**
   * From the DestinationRule's `loadBalancer`: `RING_HASH` with a `consistentHash` (whatever it
   * hashes on, as Istio's `ApplyRingHashLoadBalancer`); else from `simple`: `ROUND_ROBIN` (also
   * for `PASSTHROUGH`), `RANDOM`, else `LEAST_REQUEST` (Envoy's and Istio's default, also for
   * `LEAST_CONN`).
   */
  readonly lbPolicy: "ROUND_ROBIN" | "RANDOM" | "LEAST_REQUEST" | "RING_HASH";
  /**
   * The ring; set exactly when `lbPolicy` is `RING_HASH`. A request is hashed by its route's
   * `hashPolicy` (a connection by its TCP proxy's); without a hash it goes to a random endpoint.
   */
  readonly ringHash?: RingHashConfig;
  /** Circuit-breaker thresholds; absent when the DestinationRule has no `connectionPool` (no limits). */
  readonly circuitBreakers?: CircuitBreakers;
  /** Upstream HTTP connection settings; absent = idle 1h, no request limit per connection. */
  readonly httpProtocolOptions?: HttpProtocolOptions;
  /** Passive health checking; absent = off. */
  readonly outlierDetection?: OutlierDetectionConfig;
  /**
   * Limits of TCP-proxied connections to the cluster, from its DestinationRule's top level, for
   * `/config_dump`; the TCP proxy applies its rule's first destination's ({@link TcpProxy.limits}).
   */
  readonly tcpProxy?: TcpProxySettings;
  /** SO_KEEPALIVE on every upstream socket; absent = off (`connectionPool.tcp.tcpKeepalive`). */
  readonly tcpKeepalive?: TcpKeepalive;
  /**
   * HTTP/2 PINGs on upstream connections (`connectionPool.http.http2KeepAlive`); set only when
   * `upstreamProtocol` is `HTTP/2`, as Istio sets it only on clusters it configures for HTTP/2
   * (not with `useClientProtocol`).
   */
  readonly http2ConnectionKeepalive?: Http2KeepaliveSettings;
  /**
   * True when requests go upstream in the downstream client's HTTP version
   * (`connectionPool.http.useClientProtocol`); `upstreamProtocol` is then `HTTP/1.1`, the
   * version of HTTP/1.1 clients.
   */
  readonly useClientProtocol?: boolean;
  /**
   * The HTTP version of every request sent to the endpoints (Envoy's `http2_protocol_options`):
   * `HTTP/2` when the destination port's protocol is `HTTP2` or `GRPC` (ServiceEntry `protocol`,
   * or a Service port named `http2`/`grpc`/`grpc-...`) or the DestinationRule sets
   * `connectionPool.http.h2UpgradePolicy: UPGRADE`; h2c in plain text, ALPN `h2` with upstream
   * TLS. Else `HTTP/1.1`, gRPC included (Istio gives a gateway's clusters no `use_downstream_protocol`:
   * a gRPC service behind a port named `http` needs `useClientProtocol`).
   */
  readonly upstreamProtocol: UpstreamProtocol;
  /**
   * The PROXY protocol header every new upstream connection starts with, before any TLS (the
   * DestinationRule's `trafficPolicy.proxyProtocol`, a subset's replacing the rule's, as Istio's
   * `applyUpstreamProxyProtocol` wraps the cluster's transport socket); absent = none. The header
   * carries the downstream connection's addresses, so a connection serves one of them only.
   */
  readonly proxyProtocol?: ProxyProtocolVersion;
  /** What the cluster was built from: `ServiceEntry ns/name`, `DestinationRule ns/name`. */
  readonly sources: readonly string[];
}
