/**
 * Files to a {@link ProxyConfig}, the way the proxy takes configuration: every `--config` path
 * read (directories recursively), parsed into objects with their positions, each object validated
 * as Istio's webhook would, then translated for this proxy's namespace and labels. Any syntax or
 * validation error refuses the whole change (the caller keeps the previous configuration);
 * warnings and translation notes (such as Gateways skipped by selector) are reported and the
 * configuration is taken.
 *
 * Kubernetes Services in the files (Istio's samples put them beside the Gateway) stand for the
 * destinations they name, as in `--kubernetes` mode for a Service without EndpointSlices: their
 * ports give a destination without `port.number` its port when there is only one (pilot's rule)
 * and give each port its protocol, and the host is still reached by DNS or `--resolve`.
 */
import { readFile } from "node:fs/promises";
import { namespaceOf, resolveShortHost } from "../../istio/binding";
import { loadDocuments } from "../../istio/load";
import type { LoadedObject } from "../../istio/load";
import type { Resource, ServiceEntry, VirtualService } from "../../istio/model";
import { buildProxyConfig } from "../../istio/translate/build-proxy-config";
import type { ProxyConfig } from "../../istio/translate/proxy-config";
import {
  formatIssueLine,
  isCheckedKind,
  objectKey,
  redefinedIssue,
  validateObject,
} from "../../istio/validate";
import type { Issue, ResourceRef } from "../../istio/validate";
import { destinationServices } from "../kubernetes/destination-services";
import { buildEndpointEntries } from "../kubernetes/endpoint-entries";
import type { ServiceInfo } from "../kubernetes/kubernetes-objects";
import { toServiceInfo } from "../kubernetes/kubernetes-objects";
import { listConfigFiles } from "./config-files";
import type { ServedSecrets } from "./served-secrets";
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

/**
 * Loads, validates and translates the configuration under `paths`. With `served`, credential
 * Secrets the proxy served certificates from stand in for missing or unusable ones (see
 * served-secrets.ts), and a configuration taken is remembered there.
 */
export async function loadProxyConfig(
  paths: readonly string[],
  proxy: ProxyIdentity,
  served?: ServedSecrets,
): Promise<ConfigLoadResult> {
  const messages: string[] = [];
  let files: string[];
  try {
    files = await listConfigFiles(paths);
  } catch (err) {
    return { messages: [`cannot read configuration: ${(err as Error).message}`] };
  }
  // By kind, namespace and name: a later definition replaces an earlier one where it stands, as
  // `kubectl apply` of the files in order updates the object (and as `validate` says with IGW0101).
  const latest = new Map<string, { ref: ResourceRef; resource: Resource; loaded: LoadedObject }>();
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
      if (v.resource === undefined) continue;
      const key = objectKey(v.ref);
      const earlier = latest.get(key);
      if (earlier !== undefined) {
        const issue = redefinedIssue(earlier.ref, `${o.source}:${o.position.line}`);
        const at = earlier.loaded.locate(issue.path) ?? earlier.loaded.position;
        messages.push(formatIssueLine(issue, `${earlier.loaded.source}:${at.line}`));
      }
      latest.set(key, { ref: v.ref, resource: v.resource, loaded: o });
    }
  }
  const resources: Resource[] = [];
  const services: ServiceInfo[] = [];
  for (const { resource, loaded } of latest.values()) {
    resources.push(resource);
    // The raw object: the model leaves out `appProtocol`, which decides a port's protocol.
    if (resource.kind === "Service")
      services.push({ ...toServiceInfo(loaded.object), namespace: namespaceOf(resource) });
  }
  if (errors > 0) {
    messages.push(`${errors} error${errors === 1 ? "" : "s"} in the configuration`);
    return { messages };
  }
  resources.push(...serviceEntriesOf(resources, services, proxy.namespace));
  const input = served?.standIn(resources) ?? { resources, standIns: new Set<string>() };
  const built = buildProxyConfig(input.resources, {
    namespace: proxy.namespace,
    labels: { ...proxy.labels },
    portMap: proxy.portMap ?? defaultPortMap,
  });
  let translationErrors = 0;
  for (const issue of built.issues as readonly Issue[]) {
    messages.push(formatIssueLine(issue));
    if (issue.severity === "error") translationErrors++;
  }
  if (built.config === undefined || (translationErrors > 0 && refusesChange(built.config, built.issues))) {
    return { messages };
  }
  if (served !== undefined) messages.push(...served.take(built.config, input).map((i) => formatIssueLine(i)));
  return { config: built.config, messages };
}

/**
 * Whether translation errors refuse the change: when nothing would be served, or when an
 * AuthorizationPolicy that applies cannot be enforced (a CUSTOM one). A policy is never served
 * around: the last good configuration, which enforced what applied then, keeps serving.
 */
export function refusesChange(config: ProxyConfig, issues: readonly Issue[]): boolean {
  if (servesNothing(config)) return true;
  return issues.some((i) => i.severity === "error" && i.resource.kind === "AuthorizationPolicy");
}

/**
 * Whether `config` has no listener. Errors that leave nothing to serve refuse a change, so that
 * the last good configuration keeps serving. A server whose credential Secret cannot be used (and
 * was never served: see served-secrets.ts) still has its listener, whose handshakes on its names
 * fail until the Secret comes, as Istio's gateway waits for a secret SDS does not have.
 */
export function servesNothing(config: ProxyConfig): boolean {
  return config.listeners.length === 0;
}

/**
 * ServiceEntries (resolution DNS, no endpoints) for the Services of the files that destinations
 * name, as `--kubernetes` mode makes for a Service without EndpointSlices; a user's ServiceEntry
 * for the same host wins.
 */
function serviceEntriesOf(
  resources: readonly Resource[],
  services: readonly ServiceInfo[],
  proxyNamespace: string,
): ServiceEntry[] {
  if (services.length === 0) return [];
  const virtualServices = resources.filter((r): r is VirtualService => r.kind === "VirtualService");
  const userHosts = new Set(
    resources
      .filter((r): r is ServiceEntry => r.kind === "ServiceEntry")
      .flatMap((se) => (se.spec?.hosts ?? []).map((h) => resolveShortHost(h, namespaceOf(se)))),
  );
  return buildEndpointEntries(
    destinationServices(virtualServices, proxyNamespace),
    { services, endpointSlices: [], pods: [] },
    userHosts,
  );
}
