/**
 * An access-log line, one string formatted field by field (see log-batch.ts), in the shape
 * of Istio's default JSON access log (`EnvoyJSONLogFormatIstio` in istio/istio's
 * pilot/pkg/model/telemetry_logging.go) as Envoy's JSON formatter writes it: every key on every
 * line, `null` for a value the request does not have, and the keys sorted, as Envoy always sorts
 * them. The proxy's own keys (`error_code` and the stages a request matched) follow Istio's 24. A
 * log pipeline with a typed schema for an Istio gateway's log takes these lines as they are.
 *
 * The fields a route fixes (its name, its cluster, the listener to the virtual host) are formatted
 * once per route and cluster and joined in whole.
 */
import type { AccessLogEntry } from "./access-log";

/** Istio's 24 keys, in the order Envoy writes them (sorted), and the proxy's own after them. */
export const ACCESS_LOG_KEYS = [
  "authority",
  "bytes_received",
  "bytes_sent",
  "connection_termination_details",
  "downstream_local_address",
  "downstream_remote_address",
  "duration",
  "method",
  "path",
  "protocol",
  "request_id",
  "requested_server_name",
  "response_code",
  "response_code_details",
  "response_flags",
  "route_name",
  "start_time",
  "upstream_cluster",
  "upstream_host",
  "upstream_local_address",
  "upstream_service_time",
  "upstream_transport_failure_reason",
  "user_agent",
  "x_forwarded_for",
  "error_code",
  "listener",
  "filter_chain",
  "route_config",
  "virtual_host",
] as const;

/** The fields of a request's line that its route fixes. */
export interface RouteLogFields {
  /** The listener's name. */
  listener?: string | undefined;
  /** The filter chain's name. */
  filter_chain?: string | undefined;
  /** The route configuration's name. */
  route_config?: string | undefined;
  /** The virtual host's name. */
  virtual_host?: string | undefined;
  /** The route's name. */
  route_name?: string | undefined;
  /** The cluster's name. */
  upstream_cluster?: string | undefined;
}

/**
 * A route's fields, formatted: the keys sit in three places of the line, so three pieces of JSON,
 * each with its keys (`,"route_name":…`, `,"upstream_cluster":…`, `,"listener":…,"virtual_host":…`).
 */
export interface RouteLogFragments {
  readonly routeName: string;
  readonly upstreamCluster: string;
  readonly stages: string;
}

/** A request's own fields: the entry without those of its route. */
export type RequestLogFields = Omit<AccessLogEntry, keyof RouteLogFields>;

/**
 * Anything but printable ASCII short of the quote (\x22) and the backslash (\x5c): what JSON may
 * escape, or what UTF-8 takes more than a byte for.
 */
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * `value` as a JSON string literal, exactly as `JSON.stringify` writes it, or `null`. Most values
 * are printable ASCII with nothing to escape, which a quote on either side makes JSON.
 */
export function jsonString(value: string | undefined): string {
  if (value === undefined) return "null";
  return NOT_PLAIN.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** `value` as JSON writes a number: `null` when it is not finite. */
export function jsonNumber(value: number): string {
  // JSON writes -0 as 0, as String does; String writes every other finite number as JSON does.
  return Number.isFinite(value) ? String(value) : "null";
}

/**
 * A number Envoy takes from a header, which it logs as the header's text (`"12"`), or `null`.
 */
function headerNumber(value: number | undefined): string {
  return value === undefined ? "null" : '"' + jsonNumber(value) + '"';
}

/**
 * The pieces of a line for one route and cluster. Each is joined by `Array.prototype.join`, which
 * makes one flat string: a piece is copied into every line of its route, and a tree of
 * concatenations would be walked again for each.
 */
export function formatRouteFields(f: RouteLogFields): RouteLogFragments {
  return {
    routeName: [',"route_name":', jsonString(f.route_name)].join(""),
    upstreamCluster: [',"upstream_cluster":', jsonString(f.upstream_cluster)].join(""),
    stages: [
      ',"listener":',
      jsonString(f.listener),
      ',"filter_chain":',
      jsonString(f.filter_chain),
      ',"route_config":',
      jsonString(f.route_config),
      ',"virtual_host":',
      jsonString(f.virtual_host),
    ].join(""),
  };
}

/**
 * One line (with its newline) for a request's `fields` and its route's
 * {@link formatRouteFields}, keys in {@link ACCESS_LOG_KEYS}'s order.
 */
export function requestLine(f: RequestLogFields, route: RouteLogFragments): string {
  return (
    '{"authority":' +
    jsonString(f.authority) +
    ',"bytes_received":' +
    jsonNumber(f.bytes_received) +
    ',"bytes_sent":' +
    jsonNumber(f.bytes_sent) +
    ',"connection_termination_details":' +
    jsonString(f.connection_termination_details) +
    ',"downstream_local_address":' +
    jsonString(f.downstream_local_address) +
    ',"downstream_remote_address":' +
    jsonString(f.downstream_remote_address) +
    // Whole milliseconds, truncated as Envoy's %DURATION% is.
    ',"duration":' +
    jsonNumber(Math.trunc(f.duration)) +
    ',"method":' +
    jsonString(f.method) +
    ',"path":' +
    jsonString(f.path) +
    ',"protocol":' +
    jsonString(f.protocol) +
    ',"request_id":' +
    jsonString(f.request_id) +
    ',"requested_server_name":' +
    jsonString(f.requested_server_name) +
    ',"response_code":' +
    jsonNumber(f.response_code) +
    ',"response_code_details":' +
    jsonString(f.response_code_details) +
    ',"response_flags":' +
    jsonString(f.response_flags) +
    route.routeName +
    ',"start_time":' +
    jsonString(f.start_time) +
    route.upstreamCluster +
    ',"upstream_host":' +
    jsonString(f.upstream_host) +
    ',"upstream_local_address":' +
    jsonString(f.upstream_local_address) +
    ',"upstream_service_time":' +
    headerNumber(f.upstream_service_time) +
    ',"upstream_transport_failure_reason":' +
    jsonString(f.upstream_transport_failure_reason) +
    ',"user_agent":' +
    jsonString(f.user_agent) +
    ',"x_forwarded_for":' +
    jsonString(f.x_forwarded_for) +
    ',"error_code":' +
    jsonString(f.error_code) +
    route.stages +
    "}\n"
  );
}
