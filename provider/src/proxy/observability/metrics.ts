/**
 * Istio's standard metrics, with the names and labels its gateways emit (reporter "source"), so
 * existing dashboards and alerts work against this proxy. Children are cached per label set: the
 * per-request cost is a map lookup and two increments, not a label hash.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Labels every HTTP and TCP metric carries, as Istio's telemetry names them. */
const STANDARD_LABELS = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "source_canonical_service",
  "source_canonical_revision",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_cluster",
  "destination_canonical_service",
  "destination_canonical_revision",
  "request_protocol",
  "response_flags",
  "connection_security_policy",
] as const;

const HTTP_LABELS = [...STANDARD_LABELS, "response_code", "grpc_response_status"] as const;

/** Envoy/Istio's default buckets for durations in milliseconds. */
const DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];
/** Istio's buckets for request and response sizes in bytes. */
const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Who the proxy is, for the `source_*` labels. */
export interface MetricsIdentity {
  /** The proxy's namespace. */
  namespace: string;
  /** The workload name (`istio-ingressgateway`). */
  workload: string;
}

/** Where a request or connection went, for the `destination_*` labels. */
export interface MetricsDestination {
  /** The destination's fully qualified host, or `unknown`. */
  service: string;
  /** The service's short name. */
  serviceName: string;
  /** The service's namespace. */
  serviceNamespace: string;
  /** The subset's `version` label, or `unknown`. */
  version: string;
}

/** Per-destination counters and histograms for one request protocol. */
export interface HttpStats {
  /** Records a finished request. */
  record(
    responseCode: number,
    responseFlags: string,
    durationMs: number,
    requestBytes: number,
    responseBytes: number,
  ): void;
}

/** Per-destination TCP counters. */
export interface TcpStats {
  /** A connection opened. */
  opened(): void;
  /** A connection closed, with the bytes it carried each way. */
  closed(responseFlags: string, sentBytes: number, receivedBytes: number): void;
}

/** The proxy's Prometheus registry and Istio's standard metrics. */
export class ProxyMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly requestBytes: Histogram<string>;
  private readonly responseBytes: Histogram<string>;
  private readonly tcpOpened: Counter<string>;
  private readonly tcpClosed: Counter<string>;
  private readonly tcpSent: Counter<string>;
  private readonly tcpReceived: Counter<string>;
  private readonly httpCache = new Map<string, HttpStats>();
  private readonly tcpCache = new Map<string, TcpStats>();

  constructor(private readonly identity: MetricsIdentity) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "istio_requests_total",
      help: "Requests processed by the proxy",
      labelNames: HTTP_LABELS,
      registers,
    });
    this.duration = new Histogram({
      name: "istio_request_duration_milliseconds",
      help: "Request duration in milliseconds",
      labelNames: HTTP_LABELS,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.requestBytes = new Histogram({
      name: "istio_request_bytes",
      help: "Request body sizes in bytes",
      labelNames: HTTP_LABELS,
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.responseBytes = new Histogram({
      name: "istio_response_bytes",
      help: "Response body sizes in bytes",
      labelNames: HTTP_LABELS,
      buckets: SIZE_BUCKETS,
      registers,
    });
    const tcp = (name: string, help: string) =>
      new Counter({ name, help, labelNames: STANDARD_LABELS, registers });
    this.tcpOpened = tcp("istio_tcp_connections_opened_total", "TCP connections opened");
    this.tcpClosed = tcp("istio_tcp_connections_closed_total", "TCP connections closed");
    this.tcpSent = tcp("istio_tcp_sent_bytes_total", "Bytes sent to the client on TCP connections");
    this.tcpReceived = tcp(
      "istio_tcp_received_bytes_total",
      "Bytes received from the client on TCP connections",
    );
    collectDefaultMetrics({ register: this.registry });
  }

  private base(
    destination: MetricsDestination | undefined,
    protocol: string,
    flags: string,
  ): Record<string, string> {
    const d = destination;
    return {
      reporter: "source",
      source_workload: this.identity.workload,
      source_workload_namespace: this.identity.namespace,
      source_principal: "unknown",
      source_app: this.identity.workload,
      source_version: "unknown",
      source_cluster: "Kubernetes",
      source_canonical_service: this.identity.workload,
      source_canonical_revision: "latest",
      destination_workload: "unknown",
      destination_workload_namespace: "unknown",
      destination_principal: "unknown",
      destination_app: "unknown",
      destination_version: d?.version ?? "unknown",
      destination_service: d?.service ?? "unknown",
      destination_service_name: d?.serviceName ?? "unknown",
      destination_service_namespace: d?.serviceNamespace ?? "unknown",
      destination_cluster: "unknown",
      destination_canonical_service: d?.serviceName ?? "unknown",
      destination_canonical_revision: d?.version ?? "latest",
      request_protocol: protocol,
      response_flags: flags,
      connection_security_policy: "unknown",
    };
  }

  /**
   * The HTTP stats of one destination and protocol (`http`, `grpc`). Cached: call it once per
   * cluster and keep the result.
   */
  http(destination: MetricsDestination | undefined, protocol: string): HttpStats {
    const key = `${protocol}|${destination?.service}|${destination?.version}`;
    let stats = this.httpCache.get(key);
    if (stats === undefined) {
      stats = this.makeHttpStats(destination, protocol);
      this.httpCache.set(key, stats);
    }
    return stats;
  }

  private makeHttpStats(destination: MetricsDestination | undefined, protocol: string): HttpStats {
    type Children = {
      requests: ReturnType<Counter<string>["labels"]>;
      duration: ReturnType<Histogram<string>["labels"]>;
      requestBytes: ReturnType<Histogram<string>["labels"]>;
      responseBytes: ReturnType<Histogram<string>["labels"]>;
    };
    const children = new Map<string | number, Children>();
    const grpc = protocol === "grpc";
    return {
      record: (code, flags, durationMs, reqBytes, resBytes) => {
        const key = flags === "-" ? code : `${code}|${flags}`;
        let c = children.get(key);
        if (c === undefined) {
          const labels = {
            ...this.base(destination, protocol, flags),
            response_code: String(code),
            grpc_response_status: grpc ? "0" : "",
          };
          c = {
            requests: this.requests.labels(labels),
            duration: this.duration.labels(labels),
            requestBytes: this.requestBytes.labels(labels),
            responseBytes: this.responseBytes.labels(labels),
          };
          children.set(key, c);
        }
        c.requests.inc();
        c.duration.observe(durationMs);
        c.requestBytes.observe(reqBytes);
        c.responseBytes.observe(resBytes);
      },
    };
  }

  /** The TCP stats of one destination. Cached like {@link http}. */
  tcp(destination: MetricsDestination | undefined): TcpStats {
    const key = `${destination?.service}|${destination?.version}`;
    let stats = this.tcpCache.get(key);
    if (stats === undefined) {
      const labels = this.base(destination, "tcp", "-");
      const opened = this.tcpOpened.labels(labels);
      const closedBy = new Map<string, ReturnType<Counter<string>["labels"]>>();
      const sent = this.tcpSent.labels(labels);
      const received = this.tcpReceived.labels(labels);
      stats = {
        opened: () => opened.inc(),
        closed: (flags, sentBytes, receivedBytes) => {
          let c = closedBy.get(flags);
          if (c === undefined) {
            c = this.tcpClosed.labels({ ...labels, response_flags: flags });
            closedBy.set(flags, c);
          }
          c.inc();
          if (sentBytes > 0) sent.inc(sentBytes);
          if (receivedBytes > 0) received.inc(receivedBytes);
        },
      };
      this.tcpCache.set(key, stats);
    }
    return stats;
  }
}
