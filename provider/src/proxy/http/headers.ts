/**
 * Header hygiene between downstream and upstream: hop-by-hop headers (RFC 9110 §7.6.1), the
 * headers a `Connection` header names, and HTTP/2 pseudo-headers never cross the proxy; requests
 * get the forwarding headers Envoy adds at a gateway (`x-forwarded-for`, `x-forwarded-proto`,
 * `x-request-id`, `x-envoy-external-address`) and lose the `x-envoy-*` control headers a client
 * must not set.
 *
 * Every request is an edge request here, as at an Istio gateway: Istio sets `use_remote_address`
 * and, without `meshNetworks`, leaves Envoy's `internal_address_config` empty (Envoy 1.33 and
 * later count no address as internal). So Envoy's `mutateRequestHeaders` applies whole: the
 * client's `x-envoy-internal` and the headers of `cleanInternalHeaders` are removed, and
 * `x-request-id` is generated afresh (Istio leaves `preserve_external_request_id` off). A route's
 * header operations come after all this, as Envoy's router applies `request_headers_to_add`
 * after the connection manager's changes.
 *
 * Both directions build a new object in one pass rather than copying and deleting: V8 turns an
 * object into a slow dictionary after `delete`, and adding keys to a spread copy costs more than
 * the rest of the routing decision (about 5 µs against 0.3 µs per request, measured).
 */
import type { HeaderMap } from "../router/header-operations";
import { toGrpcTimeout } from "../router/grpc-timeout";
import { headerOf, setHeader } from "../router/header-map";
import type { RequestHeaders } from "../router/request";

/**
 * Whether `name` (lower case) is a connection-specific header, removed in both directions. `expect`
 * is not one: Istio sets Envoy's `proxy_100_continue`, so the expectation goes to the upstream,
 * which decides whether the client should send its body (forward.ts passes its `100 Continue` on).
 */
function isHopByHop(name: string): boolean {
  switch (name) {
    case "connection":
    case "keep-alive":
    case "proxy-connection":
    case "transfer-encoding":
    case "upgrade":
    case "te":
    case "http2-settings":
      return true;
    default:
      return name.charCodeAt(0) === 58; // ':' — HTTP/2 pseudo-headers
  }
}

/**
 * Whether `name` (lower case) is one of the headers Envoy removes from an edge request at an Istio
 * gateway: `x-envoy-internal`, which only Envoy may set, those of `cleanInternalHeaders`, which
 * would steer Envoys further on (retries, timeouts, tracing) or pass for Envoy's own
 * (`x-envoy-original-path`, which a rewrite sets), and `x-forwarded-client-cert`, which only the
 * gateway may set (client-cert-header.ts).
 */
function isEnvoyEdgeRemoved(name: string): boolean {
  // Most names are not x-envoy-* at all: look no further than their first letters.
  if (name.length < 10 || name.charCodeAt(0) !== 120) return false;
  // The gateway decides what goes on as x-forwarded-client-cert (client-cert-header.ts), never the client.
  if (!name.startsWith("x-envoy-")) return name === "x-forwarded-client-cert";
  switch (name) {
    case "x-envoy-internal":
    case "x-envoy-decorator-operation":
    case "x-envoy-downstream-service-cluster":
    case "x-envoy-downstream-service-node":
    case "x-envoy-retriable-status-codes":
    case "x-envoy-retriable-header-names":
    case "x-envoy-retry-on":
    case "x-envoy-retry-grpc-on":
    case "x-envoy-max-retries":
    case "x-envoy-upstream-alt-stat-name":
    case "x-envoy-upstream-rq-timeout-ms":
    case "x-envoy-upstream-rq-per-try-timeout-ms":
    case "x-envoy-upstream-rq-timeout-alt-response":
    case "x-envoy-expected-rq-timeout-ms":
    case "x-envoy-force-trace":
    case "x-envoy-ip-tags":
    case "x-envoy-original-url":
    case "x-envoy-original-path":
    case "x-envoy-hedge-on-per-try-timeout":
      return true;
    default:
      return false;
  }
}

/**
 * What Envoy's router writes on each attempt it sends upstream (Istio leaves its Envoy headers
 * on): `x-envoy-attempt-count`, and when a timeout applies `x-envoy-expected-rq-timeout-ms`
 * (`expectedMs`), which a gRPC request also gets as its `grpc-timeout`.
 */
export function setAttemptHeaders(
  headers: HeaderMap,
  attempt: number,
  expectedMs: number | undefined,
  grpc: boolean,
): void {
  headers["x-envoy-attempt-count"] = String(attempt);
  if (expectedMs === undefined) return;
  headers["x-envoy-expected-rq-timeout-ms"] = String(expectedMs);
  if (grpc) headers["grpc-timeout"] = toGrpcTimeout(expectedMs);
}

/** The extra headers a `Connection` header names (`Connection: close, x-foo` names `x-foo`), or undefined. */
function namedByConnection(connection: string | readonly string[] | undefined): Set<string> | undefined {
  // Nearly every message says one of these two, and they name nothing else.
  if (connection === undefined || connection === "keep-alive" || connection === "close") return undefined;
  let names: Set<string> | undefined;
  for (const token of String(connection).split(",")) {
    const name = token.trim().toLowerCase();
    if (name === "" || name === "host" || isHopByHop(name)) continue;
    (names ??= new Set()).add(name);
  }
  return names;
}

/** How a request crosses the proxy. */
export interface ForwardedRequest {
  /** The address of the connection's peer (the downstream socket's remote address). */
  readonly clientIp: string;
  /** The request's `x-request-id`, made when it was routed. */
  readonly requestId: string;
  /**
   * The client's address as the gateway trusts it, for `x-envoy-external-address`: `clientIp`,
   * unless trusted proxies in front told of another (trusted-client.ts).
   */
  readonly externalAddress: string;
  /** `http` or `https`: the scheme the request arrived with. */
  readonly scheme: string;
  /** The `x-forwarded-client-cert` describing the client's certificate, when it presented one. */
  readonly clientCert?: string | undefined;
  /** Keep `te: trailers` (gRPC needs it end to end on HTTP/2). */
  readonly keepTeTrailers: boolean;
  /** The route's `x-envoy-decorator-operation` (see `Route.decoratorOperation`). */
  readonly decoratorOperation?: string | undefined;
}

/**
 * `x-forwarded-for` with `clientIp` appended, as Envoy's connection manager appends the peer at a
 * gateway (`use_remote_address`); repeated headers are joined first.
 */
export function appendForwardedFor(
  received: string | readonly string[] | undefined,
  clientIp: string,
): string {
  if (received === undefined) return clientIp;
  return `${typeof received === "string" ? received : received.join(",")},${clientIp}`;
}

/**
 * The headers sent upstream for a request with `source` headers (the client's): everything but
 * hop-by-hop and pseudo-headers and the `x-envoy-*` headers Envoy removes at the edge, then the
 * forwarding headers (an existing `x-forwarded-for` gets the client appended; `x-request-id` is
 * always a new one, as at an Istio gateway). A route's header operations apply to the result.
 */
export function upstreamRequestHeaders(source: RequestHeaders, how: ForwardedRequest): HeaderMap {
  const dropped = namedByConnection(source["connection"]);
  const out: HeaderMap = {};
  for (const name in source) {
    if (isHopByHop(name) || dropped?.has(name) === true || isEnvoyEdgeRemoved(name)) continue;
    const value = source[name];
    if (value !== undefined) setHeader(out, name, typeof value === "string" ? value : [...value]);
  }
  const te = source["te"];
  if (how.keepTeTrailers && typeof te === "string" && te.toLowerCase().includes("trailers")) {
    out["te"] = "trailers";
  }
  out["x-forwarded-for"] = appendForwardedFor(out["x-forwarded-for"], how.clientIp);
  out["x-forwarded-proto"] = how.scheme;
  out["x-request-id"] = how.requestId;
  out["x-envoy-external-address"] = how.externalAddress;
  if (how.clientCert !== undefined) out["x-forwarded-client-cert"] = how.clientCert;
  // Envoy's connection manager names the route's operation to the upstream when tracing is on,
  // as Istio has it by default (`enableTracing`), before the route's header operations.
  if (how.decoratorOperation !== undefined) out["x-envoy-decorator-operation"] = how.decoratorOperation;
  return out;
}

/**
 * {@link downstreamResponseHeaders} of an HTTP/1.1 response as the parser hands it over: names and
 * values alternating, as sent. Lower-casing, joining repeated names into a list and dropping
 * hop-by-hop headers happen in the same pass, rather than building a header object first and then
 * filtering it.
 */
export function downstreamResponseHeadersFromRaw(raw: readonly string[]): HeaderMap {
  const out: HeaderMap = {};
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (isHopByHop(name)) {
      if (name === "connection")
        connection = connection === undefined ? raw[i + 1]! : `${connection},${raw[i + 1]!}`;
      continue;
    }
    const value = raw[i + 1]!;
    const seen = headerOf(out, name);
    if (seen === undefined) setHeader<string | string[]>(out, name, value);
    else if (typeof seen === "string") out[name] = [seen, value];
    else seen.push(value);
  }
  const dropped = namedByConnection(connection);
  if (dropped !== undefined) for (const name of dropped) delete out[name];
  return out;
}

/**
 * The headers sent downstream for an upstream response with `source` headers: everything but
 * hop-by-hop headers. `content-length` stays, to HTTP/2 clients too, as Envoy keeps it: a browser
 * shows a download's progress by it, and a `HEAD` says a size with it.
 */
export function downstreamResponseHeaders(
  source: Readonly<Record<string, string | readonly string[] | undefined>>,
): HeaderMap {
  const dropped = namedByConnection(source["connection"]);
  const out: HeaderMap = {};
  for (const name in source) {
    if (isHopByHop(name) || dropped?.has(name) === true) continue;
    const value = source[name];
    if (value !== undefined) setHeader(out, name, typeof value === "string" ? value : [...value]);
  }
  return out;
}
