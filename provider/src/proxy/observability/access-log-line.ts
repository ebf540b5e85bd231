/**
 * The text of an HTTP request's access-log line, built by hand: the same bytes as
 * `JSON.stringify(entry) + "\n"` (a test holds the two equal), at a fraction of the cost. The
 * fields a route fixes (listener to cluster) are formatted once per route and cluster and reused,
 * and a string is only escaped when it holds a character JSON escapes; that took the line from
 * about 3.4 µs to well under 1 µs, measured, which matters at tens of thousands of lines a second.
 */
import type { AccessLogEntry } from "./access-log";

/** The fields of a request's line that its route fixes, in line order. */
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

/** A request's own fields: the entry without those of its route. */
export type RequestLogFields = Omit<AccessLogEntry, keyof RouteLogFields>;

/** Characters JSON.stringify writes other than as themselves (or that need a look: lone surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_ESCAPING = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** `value` as a JSON string literal. */
function quote(value: string): string {
  return NEEDS_ESCAPING.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** `,"name":"value"`, or nothing when the value is undefined (as JSON.stringify leaves it out). */
function stringField(name: string, value: string | undefined): string {
  return value === undefined ? "" : `,"${name}":${quote(value)}`;
}

/** `,"name":123`, or nothing when undefined; a non-finite number is `null`, as in JSON.stringify. */
function numberField(name: string, value: number | undefined): string {
  return value === undefined ? "" : `,"${name}":${Number.isFinite(value) ? String(value) : "null"}`;
}

/** The middle of a line (`,"listener":…,"upstream_cluster":…`) for one route and cluster. */
export function formatRouteFields(f: RouteLogFields): string {
  return (
    stringField("listener", f.listener) +
    stringField("filter_chain", f.filter_chain) +
    stringField("route_config", f.route_config) +
    stringField("virtual_host", f.virtual_host) +
    stringField("route_name", f.route_name) +
    stringField("upstream_cluster", f.upstream_cluster)
  );
}

/** One line (with its newline) for a request's `fields` and its route's {@link formatRouteFields}. */
export function formatRequestLine(f: RequestLogFields, route: string): string {
  return (
    `{"start_time":${quote(f.start_time)}` +
    stringField("method", f.method) +
    stringField("path", f.path) +
    `,"protocol":${quote(f.protocol)}` +
    numberField("response_code", f.response_code) +
    `,"response_flags":${quote(f.response_flags)}` +
    stringField("error_code", f.error_code) +
    numberField("bytes_received", f.bytes_received) +
    numberField("bytes_sent", f.bytes_sent) +
    numberField("duration", f.duration) +
    numberField("upstream_service_time", f.upstream_service_time) +
    stringField("authority", f.authority) +
    `,"downstream_remote_address":${quote(f.downstream_remote_address)}` +
    stringField("user_agent", f.user_agent) +
    stringField("request_id", f.request_id) +
    stringField("requested_server_name", f.requested_server_name) +
    route +
    stringField("upstream_host", f.upstream_host) +
    "}\n"
  );
}
