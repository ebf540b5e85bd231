/**
 * Scale check of the cross-resource analysis: 1,000 Gateways with 10,000 VirtualServices, then
 * five times that, each analysed in its own child process (so peak RSS is per size). Prints wall
 * time, peak RSS, V8 heap and the ratio time(5x)/time(1x). Targets: 1x under 1 s, ratio under 5.
 *
 *   node --import tsx test/bench/analyze.ts
 *
 * Bounded: fixed sizes, one warm-up and five measured runs per size, each child killed after 120 s.
 * Wall time is the best of the five (the machine is shared); CPU time is the process's user+system
 * time over the same run, which other load does not inflate.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { analyzeResources } from "../../provider/src/istio/analyze";
import type { Gateway, Resource, Server, VirtualService } from "../../provider/src/istio/model";

const GATEWAYS = 1_000;
const VIRTUAL_SERVICES = 10_000;
const CHILD_TIMEOUT_MS = 120_000;
const RUNS = 5;

/** A small deterministic PRNG (mulberry32), so every run analyses the same input. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Gateways in 20 gateway namespaces with 4 selectors; each has an HTTP server for a few exact
 * hosts and a wildcard, an HTTPS server terminating with a credential shared by two Gateways,
 * and every fifth a passthrough and a TCP server. VirtualServices in 200 namespaces bind one or
 * two Gateways (a few missing ones, a few also `mesh`), with exact, wildcard and short hosts and
 * http, tls or tcp rules, some with `match.port`.
 */
export function generate(scale: number, seed = 1): Resource[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const gateways: Gateway[] = [];
  const gatewayCount = GATEWAYS * scale;
  const domains: string[] = [];
  for (let g = 0; g < gatewayCount; g++) {
    const ns = `gw-ns-${g % 20}`;
    const domain = `team${g}.example.com`;
    domains.push(domain);
    const hosts = [`www.${domain}`, `api.${domain}`, `*.apps.${domain}`];
    if (g % 7 === 0) hosts.push(`./internal.${domain}`);
    const servers: Server[] = [
      { port: { number: 80, protocol: "HTTP", name: "http" }, hosts },
      {
        port: { number: 443, protocol: "HTTPS", name: "https" },
        hosts: [`*.${domain}`],
        tls: { mode: "SIMPLE", credentialName: `cert-${Math.floor(g / 2)}` },
      },
    ];
    if (g % 5 === 0) {
      servers.push({
        port: { number: 8443, protocol: "TLS", name: "tls" },
        hosts: [`db.${domain}`],
        tls: { mode: "PASSTHROUGH" },
      });
      servers.push({ port: { number: 5432, protocol: "TCP", name: "pg" }, hosts: [`pg.${domain}`] });
    }
    gateways.push({
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: `gw-${g}`, namespace: ns },
      spec: { selector: { istio: `ingressgateway-${g % 4}` }, servers },
    });
  }
  const virtualServices: VirtualService[] = [];
  const vsCount = VIRTUAL_SERVICES * scale;
  for (let v = 0; v < vsCount; v++) {
    const g = Math.floor(rnd() * gatewayCount);
    const gw = gateways[g]!;
    const domain = domains[g]!;
    const ns = `app-ns-${v % 200}`;
    const ref = `${gw.metadata.namespace}/${gw.metadata.name}`;
    const kind = rnd();
    const gatewaysRef = [ref];
    if (rnd() < 0.1) gatewaysRef.push(`${pick(gateways).metadata.namespace}/${pick(gateways).metadata.name}`);
    if (rnd() < 0.02) gatewaysRef.push(`missing-gw-${v}`);
    if (rnd() < 0.05) gatewaysRef.push("mesh");
    const base = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService" as const,
      metadata: { name: `vs-${v}`, namespace: ns },
    };
    const dest = [{ destination: { host: `svc-${v % 500}`, port: { number: 8080 } } }];
    if (kind < 0.8) {
      const host = pick([
        `www.${domain}`,
        `api.${domain}`,
        `svc${v}.apps.${domain}`,
        `*.apps.${domain}`,
        `svc${v}.${domain}`,
        `other${v}.example.org`,
        `svc-${v}`,
      ]);
      virtualServices.push({
        ...base,
        spec: {
          hosts: [host],
          gateways: gatewaysRef,
          http: [
            {
              match: [
                { uri: { prefix: `/v${v % 3}` }, ...(rnd() < 0.2 ? { port: pick([80, 443, 8080]) } : {}) },
              ],
              route: dest,
            },
            { route: dest },
          ],
          ...(rnd() < 0.03 ? { exportTo: ["."] } : {}),
        },
      });
    } else if (kind < 0.9) {
      virtualServices.push({
        ...base,
        spec: {
          hosts: [`db.${domain}`],
          gateways: gatewaysRef,
          tls: [{ match: [{ sniHosts: [`db.${domain}`], port: 8443 }], route: dest }],
        },
      });
    } else {
      virtualServices.push({
        ...base,
        spec: {
          hosts: [`pg.${domain}`],
          gateways: gatewaysRef,
          tcp: [{ match: [{ port: 5432 }], route: dest }],
        },
      });
    }
  }
  return [...gateways, ...virtualServices];
}

interface Measurement {
  scale: number;
  gateways: number;
  virtualServices: number;
  findings: number;
  ms: number;
  medianMs: number;
  cpuMs: number;
  maxRssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
}

function measure(scale: number): Measurement {
  analyzeResources(generate(0.1, 2)); // warm-up: compile the hot paths before timing
  const input = generate(scale);
  const runs: Array<{ ms: number; cpuMs: number; findings: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const findings = analyzeResources(input).length;
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    runs.push({ ms, cpuMs: (used.user + used.system) / 1000, findings });
  }
  const byWall = [...runs].sort((a, b) => a.ms - b.ms);
  const best = byWall[0]!;
  const heap = getHeapStatistics();
  return {
    scale,
    gateways: input.filter((r) => r.kind === "Gateway").length,
    virtualServices: input.filter((r) => r.kind === "VirtualService").length,
    findings: best.findings,
    ms: Math.round(best.ms),
    medianMs: Math.round(byWall[Math.floor(RUNS / 2)]!.ms),
    cpuMs: Math.round(best.cpuMs),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMiB: Math.round(heap.used_heap_size / 2 ** 20),
    heapTotalMiB: Math.round(heap.total_heap_size / 2 ** 20),
  };
}

function main(): void {
  const child = process.argv.indexOf("--child");
  if (child >= 0) {
    process.stdout.write(JSON.stringify(measure(Number(process.argv[child + 1]))));
    return;
  }
  const results: Measurement[] = [];
  for (const scale of [1, 5]) {
    const run = spawnSync(process.execPath, [...process.execArgv, __filename, "--child", String(scale)], {
      encoding: "utf8",
      timeout: CHILD_TIMEOUT_MS,
    });
    if (run.status !== 0) {
      console.error(`scale ${scale} failed (status ${run.status}, signal ${run.signal}): ${run.stderr}`);
      process.exit(1);
    }
    results.push(JSON.parse(run.stdout) as Measurement);
  }
  for (const r of results) {
    console.log(
      `${r.scale}x: ${r.gateways} Gateways, ${r.virtualServices} VirtualServices -> ${r.findings} findings in ${r.ms} ms ` +
        `(median ${r.medianMs} ms, CPU ${r.cpuMs} ms); ` +
        `peak RSS ${r.maxRssMiB} MiB, heap used ${r.heapUsedMiB} MiB of ${r.heapTotalMiB} MiB`,
    );
  }
  const ratio = results[1]!.ms / results[0]!.ms;
  const cpuRatio = results[1]!.cpuMs / results[0]!.cpuMs;
  console.log(
    `time(5x)/time(1x) = ${ratio.toFixed(2)} wall, ${cpuRatio.toFixed(2)} CPU (target < 5); ` +
      `1x ${results[0]!.ms < 1000 ? "under" : "OVER"} 1 s wall, ${results[0]!.cpuMs < 1000 ? "under" : "OVER"} 1 s CPU`,
  );
}

main();
