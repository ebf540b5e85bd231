/** Loads the Istio samples shipped with the project, and runs a proxy in-process on files. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadProxyConfig } from "../../../provider/src/proxy/config/config-loader";
import { GatewayProxy, type GatewayProxyOptions } from "../../../provider/src/proxy/gateway-proxy";
import type { LogSink } from "../../../provider/src/proxy/observability/access-log";
import type { ResolveOverride } from "../../../provider/src/proxy/upstream/endpoint-resolver";

/** The directory of the Istio samples. */
export const SAMPLES_DIR = process.env["IGW_SAMPLES_DIR"] ?? resolve(__dirname, "../../../../shared/samples");

/** The text of a sample file. */
export function sample(name: string): string {
  return readFileSync(join(SAMPLES_DIR, name), "utf8");
}

/** A temporary directory of configuration files. */
export class ConfigDir {
  /** Its path. */
  readonly dir = mkdtempSync(join(tmpdir(), "igw-config-"));

  /** Writes a file (relative name) and returns its path. */
  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Removes the directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A proxy on `paths`, every listed Gateway port on a free port, status on a free port; `options`
 * add to or override those settings.
 */
export async function startFileProxy(
  paths: string[],
  gatewayPorts: number[],
  resolveOverrides: ResolveOverride[],
  logs: string[] = [],
  accessLog?: LogSink,
  options: Partial<GatewayProxyOptions> = {},
): Promise<GatewayProxy> {
  const proxy = new GatewayProxy({
    load: () => loadProxyConfig(paths, { namespace: "istio-system", labels: { istio: "ingressgateway" } }),
    watchPaths: paths,
    namespace: "istio-system",
    listenPorts: new Map(gatewayPorts.map((p) => [p, 0])),
    resolve: resolveOverrides,
    statusPort: 0,
    statusHost: "127.0.0.1",
    log: (l) => logs.push(l),
    debounceMs: 50,
    ...(accessLog === undefined ? {} : { accessLog }),
    ...options,
  });
  await proxy.start();
  return proxy;
}
