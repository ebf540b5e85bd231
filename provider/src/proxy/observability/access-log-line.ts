/**
 * An HTTP request's access-log line, written into the log's batch field by field (see
 * log-batch.ts): the same bytes as `JSON.stringify(entry) + "\n"`, which a test holds equal. The
 * fields a route fixes (listener to cluster) are formatted once per route and cluster and copied
 * in whole.
 */
import type { AccessLogEntry } from "./access-log";
import type { LogBatch } from "./log-batch";
import { formatBytes } from "./log-batch";

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

/**
 * `,"name":"value"` (`key` is `,"name":`, or `{"name":` for the first field), or nothing when the
 * value is undefined, as JSON.stringify leaves it out.
 */
function stringField(batch: LogBatch, key: string, value: string | undefined): void {
  if (value === undefined) return;
  batch.ascii(key);
  batch.string(value);
}

/** `,"name":123` (`key` is `,"name":`), or nothing when undefined. */
function numberField(batch: LogBatch, key: string, value: number | undefined): void {
  if (value === undefined) return;
  batch.ascii(key);
  batch.number(value);
}

/** The middle of a line (`,"listener":…,"upstream_cluster":…`) for one route and cluster, in UTF-8. */
export function formatRouteFields(f: RouteLogFields): Buffer {
  return formatBytes((batch) => {
    stringField(batch, ',"listener":', f.listener);
    stringField(batch, ',"filter_chain":', f.filter_chain);
    stringField(batch, ',"route_config":', f.route_config);
    stringField(batch, ',"virtual_host":', f.virtual_host);
    stringField(batch, ',"route_name":', f.route_name);
    stringField(batch, ',"upstream_cluster":', f.upstream_cluster);
  });
}

/**
 * Writes one line (with its newline) for a request's `fields` and its route's
 * {@link formatRouteFields}. A line that does not fit leaves `batch.overflowed` set.
 */
export function writeRequestLine(batch: LogBatch, f: RequestLogFields, route: Uint8Array): void {
  stringField(batch, '{"start_time":', f.start_time);
  stringField(batch, ',"method":', f.method);
  stringField(batch, ',"path":', f.path);
  stringField(batch, ',"protocol":', f.protocol);
  numberField(batch, ',"response_code":', f.response_code);
  stringField(batch, ',"response_flags":', f.response_flags);
  stringField(batch, ',"response_code_details":', f.response_code_details);
  stringField(batch, ',"error_code":', f.error_code);
  numberField(batch, ',"bytes_received":', f.bytes_received);
  numberField(batch, ',"bytes_sent":', f.bytes_sent);
  numberField(batch, ',"duration":', f.duration);
  numberField(batch, ',"upstream_service_time":', f.upstream_service_time);
  stringField(batch, ',"authority":', f.authority);
  stringField(batch, ',"x_forwarded_for":', f.x_forwarded_for);
  stringField(batch, ',"downstream_remote_address":', f.downstream_remote_address);
  stringField(batch, ',"downstream_local_address":', f.downstream_local_address);
  stringField(batch, ',"user_agent":', f.user_agent);
  stringField(batch, ',"request_id":', f.request_id);
  stringField(batch, ',"requested_server_name":', f.requested_server_name);
  batch.raw(route);
  stringField(batch, ',"upstream_host":', f.upstream_host);
  stringField(batch, ',"upstream_local_address":', f.upstream_local_address);
  stringField(batch, ',"upstream_transport_failure_reason":', f.upstream_transport_failure_reason);
  batch.ascii("}\n");
}
