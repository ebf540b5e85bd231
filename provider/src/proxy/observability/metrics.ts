/**
 * Istio's standard metrics, with the names and labels its gateways emit (reporter "source"), so
 * existing dashboards and alerts work against this proxy. Each destination keeps the series of its
 * label sets (see metric-family.ts): the per-request cost is a lookup by status code and four
 * increments, and labels are only written out when `/metrics` is scraped.
 */
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PACKAGE_VERSION } from "../../istio/version";
import type { CounterSeries, HistogramSeries } from "./metric-family";
import { CounterFamily, HistogramFamily } from "./metric-family";

/**
 * Who reported, and between which peers: the labels of every metric, and all those of the gRPC
 * message counters, which Istio's stats filter reports before it adds a request's own.
 */
const PEER_LABELS = [
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
] as const;

/** Labels every HTTP and TCP metric carries, as Istio's telemetry names them. */
const STANDARD_LABELS = [
  ...PEER_LABELS,
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
/**
 * The buckets of request and response sizes: Envoy's defaults too, as a stock Istio gateway sets
 * no buckets of its own (only the `sidecar.istio.io/statsHistogramBuckets` annotation would).
 */
const SIZE_BUCKETS = DURATION_BUCKETS;

/** `envoy_server_days_until_first_cert_expiring` with no certificate: Envoy's uint32 maximum. */
const NO_CERTIFICATE_DAYS = 4294967295;
const DAY_MS = 86_400_000;

/** Who the proxy is, for the `source_*` labels. */
export interface MetricsIdentity {
  /** The proxy's namespace. */
  namespace: string;
  /** The workload name: the gateway's Deployment (`istio-ingressgateway`). */
  workload: string;
  /**
   * The gateway pod's labels: `app` and `version` give `source_app` and `source_version`, and
   * Istio's canonical labels `source_canonical_service` and `_revision`. None by default.
   */
  labels?: Readonly<Record<string, string>>;
}

/** The `source_*` labels that say who the proxy is. */
export interface SourceLabels {
  readonly source_workload: string;
  readonly source_workload_namespace: string;
  readonly source_app: string;
  readonly source_version: string;
  readonly source_canonical_service: string;
  readonly source_canonical_revision: string;
}

/** The `source_*` label values of `identity`, derived from its labels as Istio derives them. */
export function sourceLabels(identity: MetricsIdentity): SourceLabels {
  const labels = identity.labels ?? {};
  // A stock gateway's pods carry `app: <deployment>`; without one, the workload name stands in.
  const app = labels["app"] ?? identity.workload;
  return {
    source_workload: identity.workload,
    source_workload_namespace: identity.namespace,
    source_app: app,
    source_version: labels["version"] ?? "unknown",
    // Istio's canonical name: its own label, else the recommended Kubernetes label, else `app`;
    // the revision: its own label, else `app.kubernetes.io/version`, else `version`, else latest.
    source_canonical_service:
      labels["service.istio.io/canonical-name"] ?? labels["app.kubernetes.io/name"] ?? app,
    source_canonical_revision:
      labels["service.istio.io/canonical-revision"] ??
      labels["app.kubernetes.io/version"] ??
      labels["version"] ??
      "latest",
  };
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
  /** The subset's `version` label, or `latest`: Istio's canonical revision never reads unknown. */
  revision: string;
}

/** Per-destination counters and histograms for one request protocol. */
export interface HttpStats {
  /** Records a finished request. */
  record(
    responseCode: number,
    responseFlags: string,
    /** The `grpc_response_status` label: empty for a request that is not gRPC. */
    grpcResponseStatus: string,
    durationMs: number,
    requestBytes: number,
    responseBytes: number,
  ): void;
  /**
   * The destination's gRPC message counters, made on first use: only gRPC streams count messages,
   * and a destination no gRPC stream reached shows none.
   */
  messages(): GrpcMessageStats;
}

/** The gRPC message counters of one destination. */
export interface GrpcMessageStats {
  /** `istio_request_messages_total`: messages the clients sent. */
  readonly request: CounterSeries;
  /** `istio_response_messages_total`: messages sent back to the clients. */
  readonly response: CounterSeries;
}

/** Per-destination TCP counters. */
export interface TcpStats {
  /** A connection opened. */
  opened(): void;
  /** A connection closed, with the bytes it carried each way. */
  closed(responseFlags: string, sentBytes: number, receivedBytes: number): void;
}

/**
 * Envoy's cluster counters for traffic policies, named as Envoy's Prometheus output names them
 * (`envoy_cluster_<stat>{cluster_name="outbound|80||reviews..."}`); created only for clusters
 * with a circuit breaker or outlier detection.
 */
export interface ClusterStats {
  /** `upstream_rq_pending_overflow`: requests answered 503 `UO` by a circuit breaker. */
  readonly pendingOverflow: CounterSeries;
  /** `upstream_rq_retry_overflow`: retries not made because `maxRetries` were already waiting. */
  readonly retryOverflow: CounterSeries;
  /** `outlier_detection.ejections_enforced_total`: endpoints ejected by outlier detection. */
  readonly ejectionsEnforced: CounterSeries;
  /** `upstream_cx_overflow`: TCP-proxied connections closed by a circuit breaker (`UO`). */
  readonly connectionOverflow: CounterSeries;
}

/**
 * Why a terminating listener refused a client's certificate, as Envoy's listener TLS counters tell
 * the reasons apart (`envoy_listener_ssl_fail_verify_<kind>{listener_address="0.0.0.0_8443"}`):
 * none sent where one is required, a chain the CA does not vouch for, no allowed subject
 * alternative name, or neither an allowed SPKI nor an allowed hash.
 */
export type ClientCertificateFailure = "no_cert" | "error" | "san" | "cert_hash";

const CLIENT_CERTIFICATE_FAILURES: Readonly<Record<ClientCertificateFailure, string>> = {
  no_cert: "Handshakes refused because the client sent no certificate where one is required",
  error: "Handshakes refused because the client's certificate chain did not verify",
  san: "Handshakes refused because the client's certificate has none of the allowed names",
  cert_hash: "Handshakes refused because the client's certificate matches no allowed SPKI or hash",
};

/** The proxy's Prometheus registry and Istio's standard metrics. */
export class ProxyMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly requests: CounterFamily;
  private readonly duration: HistogramFamily;
  private readonly requestBytes: HistogramFamily;
  private readonly responseBytes: HistogramFamily;
  private readonly requestMessages: CounterFamily;
  private readonly responseMessages: CounterFamily;
  private readonly tcpOpened: CounterFamily;
  private readonly tcpClosed: CounterFamily;
  private readonly tcpSent: CounterFamily;
  private readonly tcpReceived: CounterFamily;
  private readonly httpCache = new Map<string, HttpStats>();
  private readonly tcpCache = new Map<string, TcpStats>();
  private readonly pendingOverflow: CounterFamily;
  private readonly retryOverflow: CounterFamily;
  private readonly ejectionsEnforced: CounterFamily;
  private readonly connectionOverflow: CounterFamily;
  private readonly clientCertificateFailures = new Map<ClientCertificateFailure, CounterFamily>();
  private readonly source: SourceLabels;

  constructor(identity: MetricsIdentity) {
    this.source = sourceLabels(identity);
    const registry = this.registry;
    this.requests = new CounterFamily(
      "istio_requests_total",
      "Requests processed by the proxy",
      HTTP_LABELS,
    ).registerWith(registry);
    const histogram = (name: string, help: string, buckets: readonly number[]) =>
      new HistogramFamily(name, help, HTTP_LABELS, buckets).registerWith(registry);
    this.duration = histogram(
      "istio_request_duration_milliseconds",
      "Request duration in milliseconds",
      DURATION_BUCKETS,
    );
    this.requestBytes = histogram("istio_request_bytes", "Request body sizes in bytes", SIZE_BUCKETS);
    this.responseBytes = histogram("istio_response_bytes", "Response body sizes in bytes", SIZE_BUCKETS);
    this.requestMessages = new CounterFamily(
      "istio_request_messages_total",
      "gRPC messages sent by clients",
      PEER_LABELS,
    ).registerWith(registry);
    this.responseMessages = new CounterFamily(
      "istio_response_messages_total",
      "gRPC messages sent to clients",
      PEER_LABELS,
    ).registerWith(registry);
    const tcp = (name: string, help: string) =>
      new CounterFamily(name, help, STANDARD_LABELS).registerWith(registry);
    this.tcpOpened = tcp("istio_tcp_connections_opened_total", "TCP connections opened");
    this.tcpClosed = tcp("istio_tcp_connections_closed_total", "TCP connections closed");
    this.tcpSent = tcp("istio_tcp_sent_bytes_total", "Bytes sent to the client on TCP connections");
    this.tcpReceived = tcp(
      "istio_tcp_received_bytes_total",
      "Bytes received from the client on TCP connections",
    );
    const envoyCluster = (stat: string, help: string) =>
      new CounterFamily(`envoy_cluster_${stat}`, help, ["cluster_name"]).registerWith(registry);
    this.pendingOverflow = envoyCluster(
      "upstream_rq_pending_overflow",
      "Requests refused by the cluster's circuit breakers (503 UO)",
    );
    this.retryOverflow = envoyCluster(
      "upstream_rq_retry_overflow",
      "Retries not made because the cluster's maxRetries were in progress",
    );
    this.connectionOverflow = envoyCluster(
      "upstream_cx_overflow",
      "TCP connections closed by the cluster's circuit breakers (UO)",
    );
    this.ejectionsEnforced = envoyCluster(
      "outlier_detection_ejections_enforced_total",
      "Endpoints ejected by the cluster's outlier detection",
    );
    for (const [kind, help] of Object.entries(CLIENT_CERTIFICATE_FAILURES) as [
      ClientCertificateFailure,
      string,
    ][]) {
      this.clientCertificateFailures.set(
        kind,
        new CounterFamily(`envoy_listener_ssl_fail_verify_${kind}`, help, ["listener_address"]).registerWith(
          registry,
        ),
      );
    }
    // Istio's stats filter reports the proxy's build (here the package's version), which Istio's
    // dashboards list by version.
    // Workers' registries are summed into one: each reports the same build, so the first is taken.
    new Gauge({
      name: "istio_build",
      help: "Istio component build info",
      labelNames: ["component", "tag"],
      registers: [registry],
      aggregator: "first",
    }).set({ component: "proxy", tag: PACKAGE_VERSION }, 1);
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Envoy's server gauges an Istio gateway exports, which alerts watch: `envoy_server_live`,
   * `envoy_server_uptime` (seconds) and `envoy_server_days_until_first_cert_expiring`, from
   * `firstExpiry` (ms since the epoch of the earliest `notAfter` served, undefined for none).
   */
  serverStats(startedAt: number, firstExpiry: () => number | undefined): void {
    const registry = this.registry;
    new Gauge({
      name: "envoy_server_live",
      help: "1 while the server is live",
      registers: [registry],
      aggregator: "min",
    }).set(1);
    new Gauge({
      name: "envoy_server_uptime",
      help: "Seconds since the server started",
      registers: [registry],
      aggregator: "max",
      collect() {
        this.set(Math.floor((Date.now() - startedAt) / 1000));
      },
    });
    new Gauge({
      name: "envoy_server_days_until_first_cert_expiring",
      help: "Days until the first certificate served expires",
      registers: [registry],
      aggregator: "min",
      collect() {
        const at = firstExpiry();
        // Envoy's value with no certificate is the gauge's largest; an expired one is 0 days away.
        this.set(
          at === undefined ? NO_CERTIFICATE_DAYS : Math.max(0, Math.floor((at - Date.now()) / DAY_MS)),
        );
      },
    });
  }

  /** Counts a client certificate the listener named `listener` (`0.0.0.0_8443`) refused. */
  clientCertificateRefused(listener: string, kind: ClientCertificateFailure): void {
    this.clientCertificateFailures.get(kind)!.with({ listener_address: listener }).inc();
  }

  /** The traffic-policy counters of the cluster named `clusterName` (the same series on every call). */
  cluster(clusterName: string): ClusterStats {
    const labels = { cluster_name: clusterName };
    return {
      pendingOverflow: this.pendingOverflow.with(labels),
      retryOverflow: this.retryOverflow.with(labels),
      ejectionsEnforced: this.ejectionsEnforced.with(labels),
      connectionOverflow: this.connectionOverflow.with(labels),
    };
  }

  private base(
    destination: MetricsDestination | undefined,
    protocol: string,
    flags: string,
  ): Record<string, string> {
    const d = destination;
    const source = this.source;
    return {
      reporter: "source",
      source_workload: source.source_workload,
      source_workload_namespace: source.source_workload_namespace,
      source_principal: "unknown",
      source_app: source.source_app,
      source_version: source.source_version,
      source_cluster: "Kubernetes",
      source_canonical_service: source.source_canonical_service,
      source_canonical_revision: source.source_canonical_revision,
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
      destination_canonical_revision: d?.revision ?? "latest",
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
    interface Series {
      requests: CounterSeries;
      duration: HistogramSeries;
      requestBytes: HistogramSeries;
      responseBytes: HistogramSeries;
    }
    // Keyed by the status code alone in the common case (no response flags): a small-integer key.
    const bySeries = new Map<string | number, Series>();
    let messages: GrpcMessageStats | undefined;
    return {
      messages: () => {
        if (messages === undefined) {
          const labels = this.base(destination, protocol, "-");
          messages = {
            request: this.requestMessages.with(labels),
            response: this.responseMessages.with(labels),
          };
        }
        return messages;
      },
      record: (code, flags, grpcStatus, durationMs, reqBytes, resBytes) => {
        const key = flags === "-" && grpcStatus === "" ? code : `${code}|${flags}|${grpcStatus}`;
        let c = bySeries.get(key);
        if (c === undefined) {
          const labels = {
            ...this.base(destination, protocol, flags),
            response_code: String(code),
            grpc_response_status: grpcStatus,
          };
          c = {
            requests: this.requests.with(labels),
            duration: this.duration.with(labels),
            requestBytes: this.requestBytes.with(labels),
            responseBytes: this.responseBytes.with(labels),
          };
          bySeries.set(key, c);
        }
        c.requests.value++;
        // Whole milliseconds, as Istio's stats filter divides a duration by one.
        c.duration.observe(Math.floor(durationMs));
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
      // Made on the first connection, as Istio's stats filter makes a series when it first adds
      // to it: a destination only HTTP reaches shows no TCP series.
      let series: { opened: CounterSeries; sent: CounterSeries; received: CounterSeries } | undefined;
      const made = () =>
        (series ??= {
          opened: this.tcpOpened.with(labels),
          sent: this.tcpSent.with(labels),
          received: this.tcpReceived.with(labels),
        });
      const closedBy = new Map<string, CounterSeries>();
      stats = {
        opened: () => made().opened.inc(),
        closed: (flags, sentBytes, receivedBytes) => {
          const { sent, received } = made();
          let c = closedBy.get(flags);
          if (c === undefined) {
            c = this.tcpClosed.with({ ...labels, response_flags: flags });
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
