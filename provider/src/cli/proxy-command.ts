/**
 * `istio-gateway proxy`: runs the gateway locally on the configuration in files and directories,
 * standing in for a gateway pod (namespace `istio-system`, labels `istio=ingressgateway` unless
 * told otherwise). Reloads on change; drains on SIGTERM/SIGINT; with `--workers N`, N processes
 * share the listening sockets (node:cluster) and the primary serves the status port with the
 * workers' metrics aggregated.
 */
import cluster from "node:cluster";
import { EventEmitter } from "node:events";
import http from "node:http";
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type * as PromClient from "prom-client";
import type * as ConfigLoader from "../proxy/config/config-loader";
import type * as ServedSecretsModule from "../proxy/config/served-secrets";
import type * as GatewayProxyModule from "../proxy/gateway-proxy";
import type * as Kubernetes from "../proxy/kubernetes";
import type { ForwardClientCertDetails } from "../istio/model/gateway-topology";
import { FORWARD_CLIENT_CERT_DETAILS } from "../istio/model/gateway-topology";
import type { ResolveOverride } from "../proxy/upstream/endpoint-resolver";
import { parseResolveOverride } from "../proxy/upstream/endpoint-resolver";
import { applyGcSettings } from "./gc-settings";

/** Parsed flags of `istio-gateway proxy`. */
export interface ProxyFlags {
  /** Files and directories of configuration. */
  config: string[];
  /** Bind address overriding every server's. */
  bind?: string;
  /** `SERVICE=LISTEN` port mappings. */
  port: [number, number][];
  /** `HOST=IP[:PORT]` overrides. */
  resolve: ResolveOverride[];
  /** Status port. */
  statusPort: number;
  /** Namespace the proxy stands in. */
  namespace: string;
  /** Labels of the stand-in pod. */
  labels: Record<string, string>;
  /** `--workload-name`: `source_workload` in the metrics (`istio-ingressgateway` when absent). */
  workloadName?: string;
  /** Worker processes. */
  workers: number;
  /** Connections each listener accepts per event-loop turn, at most (default 8). */
  acceptsPerEvent?: number;
  /** Drain deadline, seconds. */
  drainTimeout: number;
  /**
   * How long connections on a filter chain a reload modifies or removes stay open, seconds
   * (Istio's `drainDuration`; default 45).
   */
  drainDuration?: number;
  /** Time to receive a whole HTTP/1.1 request, seconds; 0 = none, as Istio leaves it (default 300). */
  requestTimeout?: number;
  /** Time an HTTP/2 stream may carry no bytes either way, seconds; 0 = none, as Istio (default 300). */
  streamIdleTimeout?: number;
  /** Proxies in front whose `x-forwarded-for` and `x-forwarded-proto` are trusted (default 0). */
  numTrustedProxies?: number;
  /** What becomes of `x-forwarded-client-cert` (default `SANITIZE_SET`). */
  forwardClientCertDetails?: ForwardClientCertDetails;
  /** Connections start with a PROXY protocol header (Istio's `gatewayTopology.proxyProtocol`). */
  proxyProtocol?: boolean;
  /** Access log on stdout. */
  accessLog: boolean;
  /** Take the configuration from the Kubernetes API instead of files. */
  kubernetes?: boolean;
  /** Kubeconfig file for Kubernetes mode (default: $KUBECONFIG, ~/.kube/config, then in-cluster). */
  kubeconfig?: string;
}

function collect<T>(parse: (v: string) => T) {
  return (value: string, previous: T[] = []): T[] => [...previous, parse(value)];
}

function parsePortMapping(text: string): [number, number] {
  const m = /^(\d{1,5})=(\d{1,5})$/.exec(text.trim());
  const service = Number(m?.[1]);
  const listen = Number(m?.[2]);
  if (m === null || service < 1 || service > 65535 || listen > 65535) {
    throw new InvalidArgumentError(
      `must be SERVICE=LISTEN, ports from 1 to 65535 (LISTEN may be 0) (got ${JSON.stringify(text)})`,
    );
  }
  return [service, listen];
}

function parseResolve(text: string): ResolveOverride {
  const r = parseResolveOverride(text);
  if (typeof r === "string") throw new InvalidArgumentError(r);
  return r;
}

/** Parses `k=v,k2=v2`. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`must be K=V,... (got ${JSON.stringify(text)})`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Connections a listener accepts per event-loop turn by default. A burst of 64 new connections (a
 * load generator starting) is accepted in eight turns instead of 64. The price is paid by every
 * new connection: each other descriptor is woken and fails one `accept`, measured here at about
 * 10 µs apiece, against some 450 µs of CPU for a plain HTTP connection and its request, and 1.5 ms
 * for a TLS one. 16 accepted the same burst in four turns for twice the price.
 */
const DEFAULT_ACCEPTS_PER_EVENT = 8;

function parseCount(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

/** Adds the `proxy` subcommand to `program`. */
export function registerProxyCommand(program: Command): void {
  program
    .command("proxy")
    .description(
      "run the gateway locally on Istio YAML: Gateways, VirtualServices, DestinationRules, ServiceEntries, AuthorizationPolicies, RequestAuthentications, Secrets",
    )
    .option(
      "--config <paths...>",
      "files or directories (*.yaml, *.yml, *.json, recursively); watched for changes",
      [],
    )
    .option("--kubernetes", "take Gateways, VirtualServices, ... from the Kubernetes API instead of files")
    .option(
      "--kubeconfig <file>",
      "kubeconfig for --kubernetes (default: $KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    .option("--bind <addr>", "listen on this address instead of each server's bind (default 0.0.0.0)")
    .option(
      "--port <SERVICE=LISTEN>",
      "listen on LISTEN for Gateway port SERVICE (repeatable; default: ports below 1024 get +8000)",
      collect(parsePortMapping),
      [],
    )
    .option(
      "--resolve <HOST=IP[:PORT]>",
      "send traffic for a destination host to this address (repeatable)",
      collect(parseResolve),
      [],
    )
    .addOption(
      new Option("--status-port <n>", "port of /healthz/ready, /metrics and /config_dump")
        .default(15021)
        .argParser(parseCount(0, 65535)),
    )
    .option("--namespace <ns>", "namespace of the gateway pod this proxy stands in for", "istio-system")
    .option("--labels <k=v,...>", "labels of the gateway pod (Gateway selectors match them)", parseLabels, {
      istio: "ingressgateway",
    })
    .option(
      "--workload-name <name>",
      "the gateway's workload (Deployment) name, source_workload in its metrics",
      "istio-ingressgateway",
    )
    .addOption(
      new Option("--workers <n>", "worker processes sharing the listeners (default 1; 0 = one per core)")
        .default(1)
        .argParser(parseCount(0, 256)),
    )
    .addOption(
      new Option(
        "--accepts-per-event <n>",
        "connections each listener accepts per event-loop turn, at most (1 = one, as Node.js does)",
      )
        .default(DEFAULT_ACCEPTS_PER_EVENT)
        .argParser(parseCount(1, 256)),
    )
    .addOption(
      new Option("--drain-timeout <seconds>", "how long in-flight requests may take to finish on SIGTERM")
        .default(30)
        .argParser(parseCount(0, 3600)),
    )
    .addOption(
      new Option(
        "--drain-duration <seconds>",
        "how long connections on a filter chain a reload changes or removes stay open (Istio's drainDuration)",
      )
        .default(45)
        .argParser(parseCount(0, 3600)),
    )
    .addOption(
      new Option(
        "--request-timeout <seconds>",
        "how long an HTTP/1.1 request may take to arrive whole (408 after); 0 = no limit, as Istio",
      )
        .default(300)
        .argParser(parseCount(0, 86_400)),
    )
    .addOption(
      new Option(
        "--stream-idle-timeout <seconds>",
        "how long an HTTP/2 stream may carry no bytes either way; 0 = no limit, as Istio",
      )
        .default(300)
        .argParser(parseCount(0, 86_400)),
    )
    .addOption(
      new Option(
        "--num-trusted-proxies <n>",
        "proxies in front whose x-forwarded-for and x-forwarded-proto are trusted (Istio's gatewayTopology.numTrustedProxies)",
      )
        .default(0)
        .argParser(parseCount(0, 64)),
    )
    .addOption(
      new Option(
        "--forward-client-cert-details <mode>",
        "what becomes of x-forwarded-client-cert (Istio's gatewayTopology.forwardClientCertDetails)",
      )
        .choices(FORWARD_CLIENT_CERT_DETAILS)
        .default("SANITIZE_SET"),
    )
    .option(
      "--proxy-protocol",
      "every connection starts with a PROXY protocol header (v1 or v2) naming the client; others are closed (Istio's gatewayTopology.proxyProtocol)",
    )
    .option("--no-access-log", "do not write the JSON access log to stdout")
    .action(async (flags: ProxyFlags, command: Command) => {
      if ((flags.config.length === 0) === !flags.kubernetes) {
        command.error("error: give either --config FILE|DIR... or --kubernetes", { exitCode: 2 });
      }
      const code = await runProxy(flags);
      process.exit(code);
    });
}

/** Emitted on `process` once the proxy serves, its modules all loaded. */
export const SERVING_EVENT = "istio-gateway:serving";

function log(line: string): void {
  process.stderr.write(
    `istio-gateway proxy${cluster.isWorker ? ` [worker ${cluster.worker?.id}]` : ""}: ${line}\n`,
  );
}

/** Runs the proxy until a signal; resolves with the exit code. */
export async function runProxy(flags: ProxyFlags): Promise<number> {
  // The runtime is loaded here, not at the top: every other command (validate, analyze) would
  // otherwise pay for loading it at start-up, about two thirds of their start-up time.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AggregatorRegistry } = require("prom-client") as typeof PromClient;
  const { defaultPortMap, loadProxyConfig } = require("../proxy/config/config-loader") as typeof ConfigLoader;
  const { GatewayProxy } = require("../proxy/gateway-proxy") as typeof GatewayProxyModule;
  const { ServedSecrets } = require("../proxy/config/served-secrets") as typeof ServedSecretsModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const workers = flags.workers === 0 ? availableParallelism() : flags.workers;
  if (workers > 1 && cluster.isPrimary) return runPrimary(flags, workers);
  for (const setting of applyGcSettings()) log(`garbage collection: ${setting}`);
  const listenPorts = new Map(flags.port);
  const identity = { namespace: flags.namespace, labels: flags.labels, portMap: defaultPortMap };
  // In Kubernetes mode the cluster is the configuration source; once the proxy serves, a change
  // there asks it to reload (changes before that are in the first load anyway).
  let serving = false;
  const source = flags.kubernetes
    ? kubernetesSource(flags.kubeconfig, identity, () => {
        if (serving) void proxy.reload();
      })
    : undefined;
  // Credential Secrets keep serving their last certificates when they go, as Envoy keeps its
  // SDS secrets (the Kubernetes source keeps its own).
  const served = new ServedSecrets();
  const proxy = new GatewayProxy({
    load: source !== undefined ? () => source.load() : () => loadProxyConfig(flags.config, identity, served),
    watchPaths: source !== undefined ? [] : flags.config,
    namespace: flags.namespace,
    ...(flags.workloadName === undefined ? {} : { workloadName: flags.workloadName }),
    labels: flags.labels,
    ...(flags.bind === undefined ? {} : { bind: flags.bind }),
    listenPorts,
    resolve: flags.resolve,
    // Workers leave the status port to the primary, which aggregates their metrics.
    ...(cluster.isWorker ? {} : { statusPort: flags.statusPort }),
    ...(flags.accessLog ? { accessLog: process.stdout } : {}),
    // A worker's listening socket is the primary's, shared: it cannot be copied, and the workers
    // together accept one connection each per turn already.
    acceptsPerEvent: cluster.isWorker ? 1 : (flags.acceptsPerEvent ?? DEFAULT_ACCEPTS_PER_EVENT),
    numTrustedProxies: flags.numTrustedProxies ?? 0,
    forwardClientCertDetails: flags.forwardClientCertDetails ?? "SANITIZE_SET",
    proxyProtocol: flags.proxyProtocol === true,
    drainDurationMs: (flags.drainDuration ?? 45) * 1000,
    limits: {
      requestTimeoutMs: (flags.requestTimeout ?? 300) * 1000,
      streamIdleTimeoutMs: (flags.streamIdleTimeout ?? 300) * 1000,
    },
    log,
  });
  if (cluster.isWorker) {
    // prom-client answers the primary's metrics requests only from a worker that constructed an
    // AggregatorRegistry (its constructor installs the listener); setRegistries alone times out.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([proxy.metrics.registry]);
  }
  // The signal handlers go in before the proxy says it is ready: a supervisor that stops it as soon
  // as it reads that line must not meet the default action (termination, no drain). A signal
  // during start-up is kept and acted on once the proxy serves.
  const stopSignal = stopSignals();
  try {
    if (source !== undefined) await source.start();
    await proxy.start();
    serving = true;
  } catch (err) {
    log((err as Error).message);
    return 1;
  }
  // Every module the proxy runs on is loaded by now: its entry point may let go of what loading
  // them took (bin/istio-gateway.js stops tsx's esbuild service).
  // (Through EventEmitter's emit: the typings of process.emit know Node's own events only.)
  EventEmitter.prototype.emit.call(process, SERVING_EVENT);
  if (cluster.isWorker) process.send?.({ igw: "ready" });
  else if (proxy.statusPort !== undefined)
    log(`status on :${proxy.statusPort} (/healthz/ready, /metrics, /config_dump)`);
  installCrashGuards();
  const signal = await stopSignal;
  log(`${signal}: draining (at most ${flags.drainTimeout}s)`);
  source?.stop();
  await proxy.drain(flags.drainTimeout * 1000);
  log("drained");
  return 0;
}

/** Resolves with the first of SIGTERM, SIGINT or the primary going away (`--workers`). */
function stopSignals(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("disconnect", () => resolve("primary gone"));
  });
}

/**
 * The Kubernetes configuration source. Its client library is loaded here, only in Kubernetes
 * mode: for a proxy on files it was a fifth of the start-up time and a share of the idle memory.
 */
function kubernetesSource(
  kubeconfig: string | undefined,
  identity: Kubernetes.KubernetesSourceOptions["identity"],
  onChange: () => void,
): Kubernetes.KubernetesConfigSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubernetesConfigSource, loadKubeConfig } = require("../proxy/kubernetes") as typeof Kubernetes;
  return new KubernetesConfigSource({
    kubeConfig: loadKubeConfig(kubeconfig),
    identity,
    onChange,
    log: (line) => log(`kubernetes: ${line}`),
  });
}

/** Errors nobody awaited must not take the gateway down; they are logged instead. */
function installCrashGuards(): void {
  process.on("uncaughtException", (err) =>
    log(`uncaught exception (kept serving): ${err.stack ?? String(err)}`),
  );
  process.on("unhandledRejection", (err) => log(`unhandled rejection (kept serving): ${String(err)}`));
}

async function runPrimary(flags: ProxyFlags, workers: number): Promise<number> {
  // Each worker accepts on the shared socket itself: faster than the primary handing out connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const ready = new Set<number>();
  let stopping = false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AggregatorRegistry } = require("prom-client") as typeof PromClient;
  const aggregator = new AggregatorRegistry();
  const fork = () => {
    const w = cluster.fork();
    w.on("message", (m: { igw?: string }) => {
      if (m?.igw === "ready") ready.add(w.id);
    });
  };
  cluster.on("exit", (w, code) => {
    ready.delete(w.id);
    if (!stopping) {
      log(`worker ${w.id} exited (${code}); starting another`);
      setTimeout(fork, 500);
    }
  });
  for (let i = 0; i < workers; i++) fork();
  const status = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz/ready") {
      const ok = !stopping && ready.size === workers;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "" : "not ready\n");
    } else if (path === "/metrics" || path === "/stats/prometheus") {
      aggregator.clusterMetrics().then(
        (text) => res.writeHead(200, { "content-type": aggregator.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    status.once("error", reject);
    status.listen(flags.statusPort, "0.0.0.0", () => resolve());
  });
  // Handlers first, then the line that says the proxy is up (see runProxy).
  const stopSignal = stopSignals();
  log(`${workers} workers; status on :${flags.statusPort}`);
  const signal = await stopSignal;
  stopping = true;
  log(`${signal}: draining workers`);
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  status.close();
  return 0;
}
