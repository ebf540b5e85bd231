/**
 * The gateway proxy as a whole: loads configuration, builds a snapshot, binds listeners, swaps the
 * snapshot in atomically, watches the configuration for changes, serves the status port and
 * drains gracefully. A configuration that fails anywhere — YAML, validation, translation, TLS
 * material, a port that cannot be bound — is refused and the last good one keeps serving.
 */
import type { ForwardClientCertDetails } from "../istio/model/gateway-topology";
import { hostname } from "node:os";
import type http from "node:http";
import { redactProxyConfig } from "../istio/translate/redact";
import type { ProxyConfig } from "../istio/translate/proxy-config";
import type { ConfigLoadResult } from "./config/config-load-result";
import { ConfigWatcher } from "./config/config-watcher";
import { HttpConnectionManager } from "./http/http-connection-manager";
import type { ConnectionLimits } from "./listener/listener-manager";
import { DEFAULT_LIMITS, ListenerManager } from "./listener/listener-manager";
import type { LogSink } from "./observability/access-log";
import { AccessLog } from "./observability/access-log";
import { ProxyMetrics } from "./observability/metrics";
import { startStatusServer } from "./observability/status-server";
import type { ProxySnapshot } from "./proxy-snapshot";
import { buildSnapshot } from "./proxy-snapshot";
import { UpstreamPools } from "./upstream/cluster-manager";
import { activateClusters } from "./upstream/cluster-state";
import type { ResolveOverride } from "./upstream/endpoint-resolver";
import { EndpointResolver } from "./upstream/endpoint-resolver";
import { JwksStore } from "./jwt/jwks-store";

const DEFAULT_DEBOUNCE_MS = 200;
/** The workload a stock Istio ingress gateway is, for `source_workload`. */
export const DEFAULT_WORKLOAD_NAME = "istio-ingressgateway";

/**
 * How long a drain keeps idle keep-alive connections open for one more request: Envoy's
 * connection manager drain timeout (`drain_timeout`, 5 s by default, which Istio leaves).
 */
export const IDLE_DRAIN_MS = 5000;
/**
 * How long connections on a filter chain that a configuration change modifies or removes may stay
 * open: Istio's `drainDuration` (ProxyConfig), 45 s by default, which pilot-agent gives Envoy as
 * `--drain-time-s`.
 */
export const DEFAULT_DRAIN_DURATION_MS = 45_000;
/**
 * Reads of a reload found unsettled (their files changed meanwhile) before the next read is taken
 * as it is: files rewritten without pause for this long are taken as they are read.
 */
const MAX_UNSETTLED_READS = 10;

/** Options of a {@link GatewayProxy}. */
export interface GatewayProxyOptions {
  /** Loads and translates the configuration (files, in the CLI). */
  readonly load: () => Promise<ConfigLoadResult>;
  /** Paths to watch for changes; empty = no watching. */
  readonly watchPaths: readonly string[];
  /** The proxy's namespace (metrics labels). */
  readonly namespace: string;
  /** The gateway's workload (Deployment) name, for `source_workload`; `istio-ingressgateway` by default. */
  readonly workloadName?: string;
  /** The gateway pod's labels, for the other `source_*` labels (see `sourceLabels` in metrics). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Bind every listener to this address instead of the configured one. */
  readonly bind?: string;
  /** Listen ports by Gateway port (`--port 80=18080`); 0 = any free port. */
  readonly listenPorts?: ReadonlyMap<number, number>;
  /** `--resolve` overrides. */
  readonly resolve?: readonly ResolveOverride[];
  /** Status port; undefined = no status server. 0 = any free port. */
  readonly statusPort?: number;
  /** Address of the status server. Default `0.0.0.0`. */
  readonly statusHost?: string;
  /** Where access-log lines go; undefined = no access log. */
  readonly accessLog?: LogSink;
  /** Operational messages (reloads, refusals), one line each. */
  readonly log: (line: string) => void;
  /** Connection limits. */
  readonly limits?: Partial<ConnectionLimits>;
  /**
   * Connections each listener accepts per turn of the event loop, at most (Envoy's
   * `max_connections_to_accept_per_socket_event`). Default 1: one, as libuv accepts.
   */
  readonly acceptsPerEvent?: number;
  /**
   * How long connections on a filter chain that a reload modifies or removes may stay open, ms:
   * they are told to go away on their next response, and closed when it ends (Istio's
   * `drainDuration`). Default {@link DEFAULT_DRAIN_DURATION_MS}.
   */
  readonly drainDurationMs?: number;
  /** Debounce of file changes, ms. Default 200. */
  readonly debounceMs?: number;
  /**
   * Proxies in front of the gateway whose `x-forwarded-for` and `x-forwarded-proto` are trusted:
   * Istio's `gatewayTopology.numTrustedProxies` (see http/trusted-client.ts). Default 0.
   */
  readonly numTrustedProxies?: number;
  /**
   * What becomes of `x-forwarded-client-cert`: Istio's `gatewayTopology.forwardClientCertDetails`
   * (see http/client-cert-header.ts). Default `SANITIZE_SET`, as Istio's gateways.
   */
  readonly forwardClientCertDetails?: ForwardClientCertDetails;
  /**
   * Whether every connection starts with a PROXY protocol header whose addresses become the
   * connection's: Istio's `gatewayTopology.proxyProtocol` (see listener/proxy-protocol-reader.ts).
   * Default false.
   */
  readonly proxyProtocol?: boolean;
}

/** The running proxy. */
export class GatewayProxy {
  private snapshot: ProxySnapshot | undefined;
  private readonly pools = new UpstreamPools();
  /** Key sets of `jwksUri`, fetched once for every configuration that uses them. */
  private readonly jwks = new JwksStore((line) => this.options.log(line));
  private readonly resolver: EndpointResolver;
  readonly metrics: ProxyMetrics;
  private readonly accessLog: AccessLog;
  private readonly listeners: ListenerManager;
  private statusServer: http.Server | undefined;
  private watcher: ConfigWatcher | undefined;
  private isDraining = false;
  private isReady = false;
  private inflight = 0;
  private reloading: Promise<boolean> | undefined;
  private reloadAgain = false;
  /** The bound status port, once started. */
  statusPort: number | undefined;

  constructor(private readonly options: GatewayProxyOptions) {
    this.resolver = new EndpointResolver(options.resolve ?? []);
    this.metrics = new ProxyMetrics({
      namespace: options.namespace,
      workload: options.workloadName ?? DEFAULT_WORKLOAD_NAME,
      labels: options.labels ?? {},
    });
    this.metrics.serverStats(Date.now(), () => firstExpiry(this.snapshot));
    this.accessLog = new AccessLog(options.accessLog, options.accessLog !== undefined, {
      warn: (m) => options.log(m),
    });
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const hcm = new HttpConnectionManager({
      current: () => this.snapshot,
      accessLog: this.accessLog,
      unroutedStats: {
        http: this.metrics.http(undefined, "http"),
        grpc: this.metrics.http(undefined, "grpc"),
      },
      draining: () => this.isDraining,
      requestStarted: () => this.inflight++,
      requestEnded: () => this.inflight--,
      hostname: hostname(),
      numTrustedProxies: options.numTrustedProxies ?? 0,
      forwardClientCertDetails: options.forwardClientCertDetails ?? "SANITIZE_SET",
      streamIdleTimeoutMs: limits.streamIdleTimeoutMs,
    });
    this.listeners = new ListenerManager({
      current: () => this.snapshot,
      hcm,
      accessLog: this.accessLog,
      limits,
      draining: () => this.isDraining,
      drainDurationMs: options.drainDurationMs ?? DEFAULT_DRAIN_DURATION_MS,
      warn: (m) => options.log(m),
      clientCertificateRefused: (listener, kind) => this.metrics.clientCertificateRefused(listener, kind),
      ...(options.acceptsPerEvent === undefined ? {} : { acceptsPerEvent: options.acceptsPerEvent }),
      proxyProtocol: options.proxyProtocol === true,
    });
  }

  /** The active configuration. */
  get config(): ProxyConfig | undefined {
    return this.snapshot?.config;
  }

  /** Requests in flight. */
  get inflightRequests(): number {
    return this.inflight;
  }

  /**
   * Loads the configuration, binds its listeners and starts the status server and the watcher.
   * Rejects when the first configuration is refused (nothing to serve).
   */
  async start(): Promise<void> {
    if (this.options.statusPort !== undefined) {
      const s = await startStatusServer(
        {
          ready: () => this.isReady && !this.isDraining,
          registry: this.metrics.registry,
          configDump: () => (this.snapshot === undefined ? {} : redactProxyConfig(this.snapshot.config)),
        },
        this.options.statusPort,
        this.options.statusHost ?? "0.0.0.0",
      );
      this.statusServer = s.server;
      this.statusPort = s.port;
    }
    if ((await this.apply()) !== true) {
      await this.close();
      throw new Error("the configuration was refused; nothing to serve");
    }
    this.isReady = true;
    if (this.options.watchPaths.length > 0) {
      this.watcher = new ConfigWatcher(
        this.options.watchPaths,
        this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
        () => void this.reload(),
        this.options.log,
      );
    }
  }

  /** Reloads now (also what a file change does); resolves with whether the new configuration was taken. */
  reload(): Promise<boolean> {
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      let ok = false;
      let unsettled = 0;
      do {
        this.reloadAgain = false;
        const outcome = await this.apply(unsettled < MAX_UNSETTLED_READS);
        if (outcome === "unsettled") {
          // Files changed while they were read: read them again once the writer has had the time
          // the watcher gives a burst of changes.
          unsettled++;
          this.reloadAgain = true;
          await new Promise((r) => setTimeout(r, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS));
        } else ok = outcome;
      } while (this.reloadAgain && !this.isDraining);
      this.reloading = undefined;
      return ok;
    })();
    return this.reloading;
  }

  /**
   * Loads the configuration and takes it, or refuses it; with `settledOnly`, a configuration whose
   * files the watcher saw change while they were read is neither ("unsettled"). A file is read while
   * its writer is between truncating and writing it, as a reload already under way can be: taken,
   * an empty read would stop every listener until the next reload.
   */
  private async apply(settledOnly = false): Promise<boolean | "unsettled"> {
    const log = this.options.log;
    const changes = this.watcher?.changes;
    let result: ConfigLoadResult;
    try {
      result = await this.options.load();
      // A change made during the read is reported by the event loop's poll, which may run the
      // read's last callback first: the check waits until that poll is over.
      if (settledOnly && changes !== undefined) await new Promise((r) => setImmediate(r));
    } catch (err) {
      log(`configuration refused: ${(err as Error).message}`);
      return false;
    }
    if (settledOnly && changes !== undefined && this.watcher?.changes !== changes) return "unsettled";
    for (const line of result.messages) log(line);
    if (result.config === undefined) {
      log(
        this.snapshot === undefined
          ? "configuration refused"
          : "configuration refused; the previous configuration keeps serving",
      );
      return false;
    }
    if (this.snapshot !== undefined && this.snapshot.config.version === result.config.version) return true;
    let next: ProxySnapshot;
    try {
      next = await buildSnapshot(result.config, {
        resolver: this.resolver,
        pools: this.pools,
        metrics: this.metrics,
        namespace: this.options.namespace,
        ...(this.options.listenPorts === undefined ? {} : { listenPorts: this.options.listenPorts }),
        ...(this.options.bind === undefined ? {} : { bind: this.options.bind }),
        ...(this.snapshot === undefined ? {} : { previous: this.snapshot }),
        jwks: this.jwks,
      });
      await this.listeners.bind(next);
    } catch (err) {
      log(
        `configuration refused: ${(err as Error).message}${this.snapshot === undefined ? "" : "; the previous configuration keeps serving"}`,
      );
      return false;
    }
    for (const warning of next.warnings) log(`warning: ${warning}`);
    const first = this.snapshot === undefined;
    this.snapshot = next;
    activateClusters(next.clusters);
    this.pools.retain(next.clusters.values());
    this.jwks.retain(next.jwtAuthn?.remoteJwks() ?? new Set());
    this.listeners.drainChangedChains(next);
    const gone = this.listeners.retire(next);
    const names = [...next.listeners.values()].map(
      (l) =>
        `${l.config.name}@${l.key.split("/")[0]!.replace(/:0$/, ":" + String(this.listeners.boundPort(l.key)))}`,
    );
    log(
      `${first ? "serving" : "reloaded"} configuration ${result.config.version.slice(0, 12)}: listeners ${names.join(", ") || "(none)"}, ${result.config.clusters.length} clusters` +
        (gone.length > 0 ? `; stopped ${gone.join(", ")}` : ""),
    );
    return true;
  }

  /** The ports bound, by Gateway port (useful when listening on port 0). */
  boundPorts(): Map<number, number> {
    const out = new Map<number, number>();
    for (const l of this.snapshot?.listeners.values() ?? []) {
      const p = this.listeners.boundPort(l.key);
      if (p !== undefined) out.set(l.config.port, p);
    }
    return out;
  }

  /** Open downstream connections across listeners. */
  connectionCount(): number {
    return this.listeners.all().reduce((n, l) => n + l.connectionCount, 0);
  }

  /**
   * Graceful drain: stop accepting and report not ready, let requests in flight finish and
   * upgraded connections (WebSocket tunnels) run until they close, and after `deadlineMs` close
   * whatever is left. An idle keep-alive connection stays open for {@link IDLE_DRAIN_MS} (or the
   * deadline, if sooner), as Envoy's connection manager drains: a request the client sends on it
   * meanwhile (one it may already have written when the drain began) is served, with
   * `Connection: close`, rather than dropped unanswered. After that, idle connections are closed
   * as they go idle.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.isDraining = true;
    this.watcher?.close();
    const running = this.listeners.all();
    await this.listeners.stopAccepting(true);
    const start = Date.now();
    const until = start + deadlineMs;
    const idleUntil = start + Math.min(deadlineMs, IDLE_DRAIN_MS);
    while (Date.now() < until && (this.inflight > 0 || running.some((l) => !l.idle))) {
      await new Promise((r) => setTimeout(r, 25));
      if (Date.now() >= idleUntil) for (const l of running) l.closeIdle();
    }
    await this.close();
  }

  /** Closes everything now. */
  async close(): Promise<void> {
    this.isDraining = true;
    this.watcher?.close();
    const running = this.listeners.all();
    const stopped = this.listeners.stopAccepting();
    for (const l of running) l.destroyAll();
    await stopped;
    // Exchanges on the connections cut here (tunnels still open at a drain's deadline) are logged
    // as their sockets close, a turn of the event loop later: the log is flushed after that.
    await Promise.all(running.map((l) => l.closed()));
    await new Promise((r) => setImmediate(r));
    await this.pools.close();
    this.jwks.close();
    const s = this.statusServer;
    if (s !== undefined) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    this.accessLog.flush();
  }
}

/** The earliest certificate expiry of the snapshot's TLS chains (ms since the epoch), if any. */
function firstExpiry(snapshot: ProxySnapshot | undefined): number | undefined {
  let first: number | undefined;
  for (const listener of snapshot?.listeners.values() ?? []) {
    for (const chain of listener.chains) {
      const at = chain.tls?.notAfter;
      if (at !== undefined && (first === undefined || at < first)) first = at;
    }
  }
  return first;
}
