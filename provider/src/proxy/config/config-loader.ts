/**
 * Files to a {@link ProxyConfig}, the way the proxy takes configuration: every `--config` path
 * read (directories recursively), parsed into objects with their positions, each object validated
 * as Istio's webhook would, then translated for this proxy's namespace and labels. Any syntax or
 * validation error refuses the whole change (the caller keeps the previous configuration);
 * warnings and translation notes (such as Gateways skipped by selector) are reported and the
 * configuration is taken.
 */
import { readFile } from "node:fs/promises";
import { loadDocuments } from "../../istio/load";
import type { Resource } from "../../istio/model";
import { buildProxyConfig } from "../../istio/translate/build-proxy-config";
import type { ProxyConfig } from "../../istio/translate/proxy-config";
import { formatIssueLine, isCheckedKind, validateObject } from "../../istio/validate";
import type { Issue } from "../../istio/validate";
import { listConfigFiles } from "./config-files";
import type { ConfigLoadResult } from "./config-load-result";

export type { ConfigLoadResult } from "./config-load-result";

/** Who the proxy is: the gateway pod it stands in for. */
export interface ProxyIdentity {
  /** The pod's namespace (credentialName Secrets are looked up here). */
  readonly namespace: string;
  /** The pod's labels (Gateway selectors are matched against them). */
  readonly labels: Readonly<Record<string, string>>;
  /** The port listened on for a Gateway port. Default: ports below 1024 map to port+8000. */
  readonly portMap?: (servicePort: number) => number;
}

/** Istio's unprivileged gateway mapping: 80 -> 8080, 443 -> 8443; other ports unchanged. */
export function defaultPortMap(port: number): number {
  return port < 1024 ? port + 8000 : port;
}

/** Loads, validates and translates the configuration under `paths`. */
export async function loadProxyConfig(
  paths: readonly string[],
  proxy: ProxyIdentity,
): Promise<ConfigLoadResult> {
  const messages: string[] = [];
  let files: string[];
  try {
    files = await listConfigFiles(paths);
  } catch (err) {
    return { messages: [`cannot read configuration: ${(err as Error).message}`] };
  }
  const resources: Resource[] = [];
  let errors = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      messages.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      errors++;
      continue;
    }
    const loaded = loadDocuments(text, file);
    for (const e of loaded.errors) {
      messages.push(`Error ${e.source}:${e.position.line}:${e.position.column}: ${e.message}`);
      errors++;
    }
    for (const o of loaded.objects) {
      if (o.object === null || o.object === undefined || !isCheckedKind(o.object)) continue;
      const v = validateObject(o.object);
      for (const issue of v.issues) {
        if (issue.severity === "info") continue;
        const at = o.locate(issue.path) ?? o.position;
        messages.push(formatIssueLine(issue, `${o.source}:${at.line}`));
        if (issue.severity === "error") errors++;
      }
      if (v.resource !== undefined) resources.push(v.resource);
    }
  }
  if (errors > 0) {
    messages.push(`${errors} error${errors === 1 ? "" : "s"} in the configuration`);
    return { messages };
  }
  const built = buildProxyConfig(resources, {
    namespace: proxy.namespace,
    labels: { ...proxy.labels },
    portMap: proxy.portMap ?? defaultPortMap,
  });
  let translationErrors = 0;
  for (const issue of built.issues as readonly Issue[]) {
    messages.push(formatIssueLine(issue));
    if (issue.severity === "error") translationErrors++;
  }
  if (built.config === undefined) return { messages };
  return translationErrors > 0 && servesNothing(built.config)
    ? { messages }
    : { config: built.config, messages };
}

/**
 * Whether `config` has no filter chain that can serve: no listener, or only chains whose
 * credential Secret is unusable and that fail every handshake. Errors that leave nothing to serve
 * refuse a change, so a configuration left with handshake failures alone does not replace the
 * last good one (nor start the proxy); beside a working chain, such a chain is served as Istio's
 * gateway serves it, until its Secret can be used.
 */
export function servesNothing(config: ProxyConfig): boolean {
  return config.listeners.every((l) => l.filterChains.every((c) => c.transport === "tls-unavailable"));
}
