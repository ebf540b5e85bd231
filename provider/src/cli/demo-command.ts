/**
 * `istio-gateway demo`: the whole data path on this machine with no cluster. It starts stand-in
 * Bookinfo backends on loopback, writes an embedded Gateway, VirtualService, DestinationRule and
 * ServiceEntries that route to them, runs the gateway proxy on that configuration, and prints the
 * curl commands that reach the backends through it. Ctrl-C stops everything.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { runProxy } from "./proxy-command";

/** A stand-in backend: answers every request with its own name, so a response shows where it went. */
interface Backend {
  /** Service name, as destinations name it. */
  service: string;
  /** Subset labels of this endpoint. */
  version: string;
  server: http.Server;
  port: number;
}

async function startBackend(service: string, version: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`${service} ${version}: ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { service, version, server, port: (server.address() as AddressInfo).port };
}

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

/** Adds the `demo` subcommand to `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the gateway on an embedded Bookinfo configuration with stand-in backends (no cluster)")
    .option("--listen-port <n>", "port the gateway listens on for the Gateway's port 80", parsePort, 8080)
    .option("--status-port <n>", "port of /healthz/ready, /metrics and /config_dump", parsePort, 15021)
    .action(async (flags: { listenPort: number; statusPort: number }) => {
      process.exit(await runDemo(flags));
    });
}

async function runDemo(flags: { listenPort: number; statusPort: number }): Promise<number> {
  const backends = await Promise.all([
    startBackend("productpage", "v1"),
    startBackend("reviews", "v1"),
    startBackend("reviews", "v2"),
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
    await Promise.all(backends.map((b) => new Promise((resolve) => b.server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  }
}
