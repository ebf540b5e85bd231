/**
 * `istio-gateway demo`: the whole mission on this machine with no cluster. It starts a local
 * control plane (etcd and kube-apiserver from the toolchain `test/e2e/tools.sh` builds), runs
 * `pulumi up` of the root program (the Bookinfo example) against it, starts stand-in backends on
 * loopback and the gateway proxy in Kubernetes mode against that API server, and prints the curl
 * commands that reach the backends through the gateway. Ctrl-C stops everything and removes its
 * files. `--no-cluster` runs the proxy on an embedded configuration file instead, with no toolchain.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { isCheckout, repositoryRoot, toolsCommand } from "../local/checkout";
import { BOOKINFO_HOST, startDemoEnvironment, type DemoEnvironment } from "../local/demo-environment";
import { demoInstructions } from "../local/demo-instructions";
import { freePort, isPortAvailable } from "../local/free-port";
import { startStandInBackend, type StandInBackend } from "../local/stand-in-backend";
import { missingTools, toolchainPaths } from "../local/toolchain";
import { runProxy } from "./proxy-command";

/** A stand-in backend as the embedded configuration names it. */
type Backend = Pick<StandInBackend, "service" | "version" | "port">;

/**
 * Bookinfo's ingress, written for the stand-ins: `/productpage` and its assets go to productpage,
 * `/reviews` is split 80/20 between reviews v1 and v2 (subsets of a DestinationRule), and the
 * endpoints come from ServiceEntries, as a mesh registry would provide them.
 */
export function demoConfiguration(backends: readonly Backend[]): string {
  const entry = (service: string) => {
    const endpoints = backends
      .filter((b) => b.service === service)
      .map((b) => `  - address: 127.0.0.1\n    ports: {http: ${b.port}}\n    labels: {version: ${b.version}}`)
      .join("\n");
    return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${service}, namespace: default}
spec:
  hosts: [${service}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 9080, name: http, protocol: HTTP}
  endpoints:
${endpoints}
`;
  };
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - name: productpage
    match:
    - uri: {exact: /productpage}
    - uri: {prefix: /static/}
    - uri: {exact: /login}
    - uri: {exact: /logout}
    route:
    - destination: {host: productpage, port: {number: 9080}}
  - name: reviews
    match:
    - uri: {prefix: /reviews}
    route:
    - destination: {host: reviews, subset: v1, port: {number: 9080}}
      weight: 80
    - destination: {host: reviews, subset: v2, port: {number: 9080}}
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
${entry("productpage")}---
${entry("reviews")}`;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`must be a port from 0 to 65535 (got ${JSON.stringify(text)})`);
  }
  return n;
}

/** Parsed flags of `istio-gateway demo`. */
interface DemoFlags {
  /** False with `--no-cluster`. */
  cluster: boolean;
  /** `--no-cluster`: the port for the embedded Gateway's port 80. */
  listenPort: number;
  /** The port for the Bookinfo Gateway's port 443. */
  httpsPort: number;
  /** The status port. */
  statusPort: number;
}

/** Adds the `demo` subcommand to `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "deploy the Bookinfo example with pulumi up to a local control plane and run the gateway on it, " +
        "with stand-in backends (needs the toolchain of test/e2e/tools.sh; --no-cluster needs nothing)",
    )
    .option("--no-cluster", "run the gateway on an embedded configuration file instead (no toolchain)")
    .option("--https-port <n>", "port the gateway listens on for the Gateway's port 443", parsePort, 8443)
    .option(
      "--listen-port <n>",
      "with --no-cluster: port the gateway listens on for the Gateway's port 80",
      parsePort,
      8080,
    )
    .option("--status-port <n>", "port of /healthz/ready, /metrics and /config_dump", parsePort, 15021)
    .action(async (flags: DemoFlags, command: Command) => {
      const given = (name: string) => command.getOptionValueSource(name) === "cli";
      if (flags.cluster && given("listenPort")) {
        command.error(
          "error: --listen-port applies to --no-cluster; the Bookinfo Gateway listens on --https-port",
          {
            exitCode: 2,
          },
        );
      }
      if (!flags.cluster && given("httpsPort")) {
        command.error("error: --https-port does not apply to --no-cluster; use --listen-port", {
          exitCode: 2,
        });
      }
      process.exit(flags.cluster ? await runClusterDemo(flags) : await runFileDemo(flags));
    });
}

async function runFileDemo(flags: { listenPort: number; statusPort: number }): Promise<number> {
  const backends = await Promise.all([
    startStandInBackend("productpage", "v1"),
    startStandInBackend("reviews", "v1"),
    startStandInBackend("reviews", "v2"),
  ]);
  const dir = mkdtempSync(join(tmpdir(), "istio-gateway-demo-"));
  const config = join(dir, "bookinfo.yaml");
  writeFileSync(config, demoConfiguration(backends));
  const gateway = `http://127.0.0.1:${flags.listenPort}`;
  process.stderr.write(
    [
      `istio-gateway demo: stand-in backends ${backends.map((b) => `${b.service}/${b.version} on 127.0.0.1:${b.port}`).join(", ")}`,
      `istio-gateway demo: configuration in ${config} (edit it: the gateway reloads on change)`,
      "try:",
      `  curl -i ${gateway}/productpage          # productpage`,
      `  curl -i ${gateway}/reviews/1            # reviews v1 (80%) or v2 (20%)`,
      `  curl -i ${gateway}/ratings              # 404: no route`,
      `  curl -s http://127.0.0.1:${flags.statusPort}/metrics | grep istio_requests_total`,
      "Ctrl-C stops the gateway and the backends.",
      "",
    ].join("\n"),
  );
  try {
    return await runProxy({
      config: [config],
      port: [[80, flags.listenPort]],
      resolve: [],
      statusPort: flags.statusPort,
      namespace: "istio-system",
      labels: { istio: "ingressgateway" },
      workers: 1,
      drainTimeout: 5,
      accessLog: true,
    });
  } finally {
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function progress(line: string): void {
  process.stderr.write(`istio-gateway demo: ${line}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The VirtualService that routes `host`, as the control plane stores it (Pulumi may have suffixed its name). */
async function virtualServiceFor(
  env: DemoEnvironment,
  host: string,
): Promise<{ namespace: string; name: string }> {
  const list = JSON.parse(
    await env.controlPlane.kubectl([
      "get",
      "virtualservices.networking.istio.io",
      "--all-namespaces",
      "-o",
      "json",
    ]),
  ) as { items: { metadata: { namespace: string; name: string }; spec?: { hosts?: string[] } }[] };
  const found = list.items.find((vs) => vs.spec?.hosts?.includes(host));
  if (found === undefined) throw new Error(`the stack made no VirtualService for ${JSON.stringify(host)}`);
  return { namespace: found.metadata.namespace, name: found.metadata.name };
}

/** Polls the status port until the gateway is ready (true), it stops (false), or `timeoutMs` passes (false). */
async function waitUntilServing(
  statusPort: number,
  stopped: Promise<number>,
  timeoutMs: number,
): Promise<boolean> {
  let done = false;
  void stopped.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${statusPort}/healthz/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      if (res.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function runClusterDemo(flags: { httpsPort: number; statusPort: number }): Promise<number> {
  // Checked first: finding out after half a minute of set-up would waste it.
  for (const [flag, port, host] of [
    ["--https-port", flags.httpsPort, "127.0.0.1"],
    ["--status-port", flags.statusPort, "0.0.0.0"],
  ] as const) {
    if (port !== 0 && !(await isPortAvailable(port, host))) {
      progress(`port ${port} is in use: choose another with ${flag} (0 picks a free one)`);
      return 2;
    }
  }
  if (!isCheckout()) {
    progress(
      `needs a checkout of the repository (the root Pulumi program and test/e2e/tools.env are not at ${repositoryRoot}); ` +
        "run it from a checkout, or use --no-cluster",
    );
    return 2;
  }
  const tools = toolchainPaths();
  const missing = missingTools(tools);
  if (missing.length > 0) {
    progress(
      `the local toolchain is not built: run \`${toolsCommand}\` in the repository once (or use --no-cluster); missing: ${missing.join(", ")}`,
    );
    return 2;
  }
  const started = performance.now();
  const abort = new AbortController();
  // Until the proxy serves, Ctrl-C aborts the set-up step that is running; once it serves, the
  // proxy's own handler drains it and the teardown below follows. A signal in between waits. A
  // closed terminal (SIGHUP) stops it too: etcd and kube-apiserver run in process groups of their
  // own and would outlive this process otherwise.
  let phase: "setting-up" | "starting-proxy" | "serving" = "setting-up";
  let pending: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (phase === "setting-up" && !abort.signal.aborted) {
      progress(`${signal}: stopping`);
      abort.abort();
    } else if (phase === "starting-proxy") {
      pending = signal === "SIGHUP" ? "SIGTERM" : signal;
    } else if (phase === "serving" && signal === "SIGHUP") {
      process.kill(process.pid, "SIGTERM");
    }
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, onSignal);
  let env: DemoEnvironment | undefined;
  try {
    env = await startDemoEnvironment({
      tools,
      projectDir: repositoryRoot,
      signal: abort.signal,
      progress: (step, ms) => progress(`${step} (${seconds(ms)})`),
    });
    const virtualService = await virtualServiceFor(env, BOOKINFO_HOST);
    const httpsPort = flags.httpsPort === 0 ? await freePort() : flags.httpsPort;
    const statusPort = flags.statusPort === 0 ? await freePort() : flags.statusPort;
    abort.signal.throwIfAborted();
    phase = "starting-proxy";
    const proxyStart = performance.now();
    const proxy = runProxy({
      config: [],
      kubernetes: true,
      kubeconfig: env.controlPlane.kubeconfigPath,
      // A demo on this machine: nothing else needs to reach it.
      bind: "127.0.0.1",
      port: [[443, httpsPort]],
      resolve: env.backends.map((b) => ({ host: b.service, ip: "127.0.0.1", port: b.port })),
      statusPort,
      namespace: "istio-system",
      labels: { istio: "ingressgateway" },
      workers: 1,
      drainTimeout: 2,
      accessLog: true,
    });
    if (!(await waitUntilServing(statusPort, proxy, 60_000))) {
      // The proxy said why; process.exit ends whatever of it still runs.
      progress("the gateway did not become ready");
      return 1;
    }
    phase = "serving";
    progress(
      `gateway serving on 127.0.0.1:${httpsPort}, status on :${statusPort} (${seconds(performance.now() - proxyStart)})`,
    );
    progress(`ready in ${seconds(performance.now() - started)}; files in ${env.dir} (removed on exit)`);
    process.stdout.write(
      `${demoInstructions({
        host: BOOKINFO_HOST,
        httpsPort,
        statusPort,
        caCertPath: env.caCertPath,
        kubectl: tools.kubectl,
        kubeconfigPath: env.controlPlane.kubeconfigPath,
        virtualService,
      }).join("\n")}\n`,
    );
    // A Ctrl-C while the proxy was starting is handed to its own handler now that it has one.
    if (pending !== undefined) process.kill(process.pid, pending);
    return await proxy;
  } catch (err) {
    if (abort.signal.aborted) {
      progress("stopped before the gateway served");
      return 0;
    }
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    const stopping = performance.now();
    await env?.stop();
    for (const s of signals) process.off(s, onSignal);
    if (env !== undefined)
      progress(
        `stopped the backends and the control plane, removed ${env.dir} (${seconds(performance.now() - stopping)})`,
      );
  }
}
