/**
 * One JSON line per request or connection, naming every stage it matched (listener, filter chain,
 * route config, virtual host, route, cluster, upstream host), as Istio's simulation tests and
 * Envoy's access log do. Lines are batched: written when a batch of 64 KiB has no room for the
 * next, or 100 ms after the first queued line (Envoy flushes its access logs on an interval too,
 * by default every second). A request's line is copied into the batch's bytes at once
 * (log-batch.ts).
 * Each write is a system call whose cost does not depend much on its size, so at tens of
 * thousands of lines a second writing once per event-loop turn cost about a tenth of the proxy's
 * CPU. A request never waits for its line to be written. What waits is bounded: past 4 MiB, queued
 * here or still in the sink (stdout on a pipe is asynchronous in Node.js, and keeps whatever its
 * reader has not taken yet), lines are dropped and counted, so a log reader that stalls costs lines,
 * never the proxy's memory. Draining writes what is queued.
 */

import type { RequestLogFields, RouteLogFragments } from "./access-log-line";
import { formatRouteFields, requestLine } from "./access-log-line";
import { LogBatch } from "./log-batch";

/**
 * One access-log record. Field names are those of Istio's default JSON access log (Envoy's
 * command operators, in snake case), and the proxy's own after them; the line writes every field,
 * `null` where it is undefined (access-log-line.ts).
 */
export interface AccessLogEntry {
  /** The `Host` / `:authority`. */
  authority?: string | undefined;
  /** Request body bytes received (for TCP, bytes from the client). */
  bytes_received: number;
  /** Response body bytes sent (for TCP, bytes to the client). */
  bytes_sent: number;
  /**
   * Why the proxy closed a connection, when a filter says (the network RBAC filter's
   * `rbac_access_denied_matched_policy[...]`); TCP and TLS connections only.
   */
  connection_termination_details?: string | undefined;
  /** The address and port the client connected to (`ip:port`). */
  downstream_local_address?: string | undefined;
  /** The client address. */
  downstream_remote_address: string;
  /**
   * Milliseconds from the first byte of the request to the last byte of the response; the line
   * has the whole milliseconds, truncated as Envoy's `%DURATION%` is.
   */
  duration: number;
  /** `GET`, … (HTTP), or undefined for a connection. */
  method?: string | undefined;
  /** The original path with query. */
  path?: string | undefined;
  /** `HTTP/1.1`, `HTTP/2`; undefined for a TCP or TLS connection, as Envoy's `%PROTOCOL%` has none. */
  protocol?: string | undefined;
  /** The `x-request-id`. */
  request_id?: string | undefined;
  /** The SNI the client sent. */
  requested_server_name?: string | undefined;
  /** The status sent, 0 when none. */
  response_code: number;
  /**
   * Who made the response and why, in Envoy's words (`via_upstream`, `route_not_found`,
   * `upstream_reset_before_response_started{connection_termination}`, …); HTTP only.
   */
  response_code_details?: string | undefined;
  /** Envoy response flags (`NR`, `UF`, `UT`, …), `-` when none. */
  response_flags: string;
  /** The route's name. */
  route_name?: string | undefined;
  /** ISO-8601 start time. */
  start_time: string;
  /** The cluster's name. */
  upstream_cluster?: string | undefined;
  /** `ip:port` of the endpoint used. */
  upstream_host?: string | undefined;
  /** The proxy's own address and port on the upstream connection. */
  upstream_local_address?: string | undefined;
  /**
   * Milliseconds the upstream took to answer headers: the `x-envoy-upstream-service-time` the
   * response carried, which the line writes as that header's text (`"12"`), as Envoy logs it.
   */
  upstream_service_time?: number | undefined;
  /**
   * Why the connection to the upstream failed, when the transport says (`delayed connect error:
   * Connection refused`, BoringSSL's words for a certificate that failed verification).
   */
  upstream_transport_failure_reason?: string | undefined;
  /** The `user-agent`. */
  user_agent?: string | undefined;
  /** The `x-forwarded-for` as sent upstream (the client's address appended), else as received. */
  x_forwarded_for?: string | undefined;
  /** Our error code when the proxy answered the failure, else undefined. */
  error_code?: string | undefined;
  /** The listener's name. */
  listener?: string | undefined;
  /** The filter chain's name. */
  filter_chain?: string | undefined;
  /** The route configuration's name. */
  route_config?: string | undefined;
  /** The virtual host's name. */
  virtual_host?: string | undefined;
}

let lastMs = Number.NaN;
let lastIso = "";

/**
 * `ms` (milliseconds since the epoch) in ISO-8601, as `start_time` shows it. Requests arrive many
 * per millisecond under load, and formatting a date costs more than the rest of a log line's
 * fields together, so the last answer is kept.
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Where lines go. */
export interface LogSink {
  /**
   * Takes whole lines to write. The log never touches a chunk again once it is given: the sink
   * may keep it as long as it needs.
   */
  write(chunk: Uint8Array): unknown;
  /**
   * Bytes the sink has taken but not yet handed to the system, as a Node.js stream's
   * `writableLength`: they count against the log's memory bound. Absent for a sink that writes at
   * once.
   */
  readonly writableLength?: number;
}

const MAX_BUFFERED = 4 * 1024 * 1024;

/** When queued lines are written. */
export interface AccessLogBatching {
  /** The bytes of a batch: written once the next line does not fit. Default 64 KiB. */
  readonly flushBytes?: number;
  /** Write at the latest this many milliseconds after the first queued line. Default 100. */
  readonly flushIntervalMs?: number;
  /** Bytes queued here and in the sink past which lines are dropped. Default 4 MiB. */
  readonly maxBuffered?: number;
  /** Told when lines start being dropped, and how many were when writing resumes. */
  readonly warn?: (message: string) => void;
}

/** Batches access-log lines and writes them in large writes. */
export class AccessLog {
  private batch: LogBatch;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly warn: ((message: string) => void) | undefined;
  /** Lines dropped because the sink could not keep up. */
  dropped = 0;
  /** Lines dropped since the last one written. */
  private droppedInARow = 0;

  constructor(
    private readonly sink: LogSink | undefined,
    private readonly enabled = true,
    batching: AccessLogBatching = {},
  ) {
    this.flushBytes = batching.flushBytes ?? 64 * 1024;
    this.flushIntervalMs = batching.flushIntervalMs ?? 100;
    this.maxBuffered = batching.maxBuffered ?? MAX_BUFFERED;
    this.warn = batching.warn;
    this.batch = new LogBatch(this.active ? this.flushBytes : 0);
  }

  /** Whether lines are written at all (callers may skip building them when not). */
  get active(): boolean {
    return this.enabled && this.sink !== undefined;
  }

  /**
   * Queues one entry: a connection's (TCP, TLS), whose route fields are formatted for its line
   * alone.
   */
  log(entry: AccessLogEntry): void {
    if (!this.active) return;
    this.logRequest(entry, formatRouteFields(entry));
  }

  /**
   * Queues an HTTP request's line: its own fields and its route's, as {@link formatRouteFields}
   * formatted them (the hot path: see access-log-line.ts).
   */
  logRequest(fields: RequestLogFields, route: RouteLogFragments): void {
    if (!this.admit()) return;
    const line = requestLine(fields, route);
    if (!this.batch.append(line)) {
      // The batch is written without it, and the line goes into the next one, or is written on
      // its own when it is longer than a batch.
      this.flush();
      if (!this.batch.append(line)) this.sink?.write(Buffer.from(line, "utf8"));
    }
    this.queued();
  }

  /** Whether a line may be queued: the log is on and its reader keeps up. */
  private admit(): boolean {
    if (!this.active) return false;
    if (this.batch.length + (this.sink?.writableLength ?? 0) > this.maxBuffered) {
      this.dropped++;
      if (this.droppedInARow++ === 0)
        this.warn?.("access log: its reader is not keeping up; lines are dropped until it does");
      return false;
    }
    if (this.droppedInARow > 0) {
      this.warn?.(`access log: writing again, after dropping ${this.droppedInARow} lines`);
      this.droppedInARow = 0;
    }
    return true;
  }

  /** After a line: the batch is written when full, else within the interval. */
  private queued(): void {
    if (this.batch.length >= this.flushBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.flush, this.flushIntervalMs);
      // Queued lines never keep the process alive: draining flushes them.
      this.timer.unref();
    }
  }

  /** Writes what is queued now. */
  readonly flush = (): void => {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length === 0 || this.sink === undefined) return;
    const lines = this.batch.written;
    // The sink may keep the chunk (a stream whose reader is slow does): the next lines go into a
    // buffer of their own.
    this.batch = new LogBatch(this.flushBytes);
    this.sink.write(lines);
  };
}
