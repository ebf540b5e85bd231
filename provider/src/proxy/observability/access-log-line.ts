/**
 * An access-log line, written into the log's batch field by field (see log-batch.ts), in the shape
 * of Istio's default JSON access log (`EnvoyJSONLogFormatIstio` in istio/istio's
 * pilot/pkg/model/telemetry_logging.go) as Envoy's JSON formatter writes it: every key on every
 * line, `null` for a value the request does not have, and the keys sorted, as Envoy always sorts
 * them. The proxy's own keys (`error_code` and the stages a request matched) follow Istio's 24. A
 * log pipeline with a typed schema for an Istio gateway's log takes these lines as they are.
 *
 * The fields a route fixes (its name, its cluster, the listener to the virtual host) are formatted
 * once per route and cluster and copied in whole.
 */
import type { AccessLogEntry } from "./access-log";
import type { LogBatch } from "./log-batch";
import { formatBytes } from "./log-batch";

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
 * A route's fields, formatted: the keys sit in three places of the line, so three pieces of UTF-8,
 * each with its keys (`,"route_name":…`, `,"upstream_cluster":…`, `,"listener":…,"virtual_host":…`).
 */
export interface RouteLogFragments {
  readonly routeName: Buffer;
  readonly upstreamCluster: Buffer;
  readonly stages: Buffer;
}

/** A request's own fields: the entry without those of its route. */
export type RequestLogFields = Omit<AccessLogEntry, keyof RouteLogFields>;

/** `,"name":"value"` (`key` is `,"name":`, or `{"name":` for the first field), or `,"name":null`. */
function stringField(batch: LogBatch, key: string, value: string | undefined): void {
  batch.ascii(key);
  if (value === undefined) batch.ascii("null");
  else batch.string(value);
}

/** `,"name":123` (`key` is `,"name":`). */
function numberField(batch: LogBatch, key: string, value: number): void {
  batch.ascii(key);
  batch.number(value);
}

/**
 * `,"name":"123"`, or `,"name":null` when undefined: a number Envoy takes from a header, which it
 * logs as the header's text.
 */
function headerNumberField(batch: LogBatch, key: string, value: number | undefined): void {
  batch.ascii(key);
  if (value === undefined) return batch.ascii("null");
  batch.ascii('"');
  batch.number(value);
  batch.ascii('"');
}

/** The pieces of a line for one route and cluster, in UTF-8. */
export function formatRouteFields(f: RouteLogFields): RouteLogFragments {
  return {
    routeName: formatBytes((batch) => stringField(batch, ',"route_name":', f.route_name), 256),
    upstreamCluster: formatBytes(
      (batch) => stringField(batch, ',"upstream_cluster":', f.upstream_cluster),
      256,
    ),
    stages: formatBytes((batch) => {
      stringField(batch, ',"listener":', f.listener);
      stringField(batch, ',"filter_chain":', f.filter_chain);
      stringField(batch, ',"route_config":', f.route_config);
      stringField(batch, ',"virtual_host":', f.virtual_host);
    }),
  };
}

/**
 * Writes one line (with its newline) for a request's `fields` and its route's
 * {@link formatRouteFields}, keys in {@link ACCESS_LOG_KEYS}'s order. A line that does not fit
 * leaves `batch.overflowed` set.
 */
export function writeRequestLine(batch: LogBatch, f: RequestLogFields, route: RouteLogFragments): void {
  stringField(batch, '{"authority":', f.authority);
  numberField(batch, ',"bytes_received":', f.bytes_received);
  numberField(batch, ',"bytes_sent":', f.bytes_sent);
  // Envoy's termination details come from filters the proxy does not have (RBAC's, say).
  stringField(
    batch,
    ',"connection_termination_details":null,"downstream_local_address":',
    f.downstream_local_address,
  );
  stringField(batch, ',"downstream_remote_address":', f.downstream_remote_address);
  // Whole milliseconds, truncated as Envoy's %DURATION% is.
  numberField(batch, ',"duration":', Math.trunc(f.duration));
  stringField(batch, ',"method":', f.method);
  stringField(batch, ',"path":', f.path);
  stringField(batch, ',"protocol":', f.protocol);
  stringField(batch, ',"request_id":', f.request_id);
  stringField(batch, ',"requested_server_name":', f.requested_server_name);
  numberField(batch, ',"response_code":', f.response_code);
  stringField(batch, ',"response_code_details":', f.response_code_details);
  stringField(batch, ',"response_flags":', f.response_flags);
  batch.raw(route.routeName);
  stringField(batch, ',"start_time":', f.start_time);
  batch.raw(route.upstreamCluster);
  stringField(batch, ',"upstream_host":', f.upstream_host);
  stringField(batch, ',"upstream_local_address":', f.upstream_local_address);
  headerNumberField(batch, ',"upstream_service_time":', f.upstream_service_time);
  stringField(batch, ',"upstream_transport_failure_reason":', f.upstream_transport_failure_reason);
  stringField(batch, ',"user_agent":', f.user_agent);
  stringField(batch, ',"x_forwarded_for":', f.x_forwarded_for);
  stringField(batch, ',"error_code":', f.error_code);
  batch.raw(route.stages);
  batch.ascii("}\n");
}
