/**
 * From what the watches hold to a {@link ConfigLoadResult}, purely: each Istio object validated on
 * its own as Istio's webhook would (one that fails is skipped and reported, and never takes the
 * others down, since the API server may hold objects no webhook checked), the credential Secrets
 * the served Gateways name, the endpoints of the destination Services as ServiceEntries, then the
 * same translation the file source uses.
 */
import { resolveShortHost, namespaceOf } from "../../istio/binding";
import type {
  DestinationRule,
  Gateway,
  Resource,
  Secret,
  ServiceEntry,
  VirtualService,
} from "../../istio/model";
import { buildProxyConfig } from "../../istio/translate/build-proxy-config";
import type { Issue, ResourceRef } from "../../istio/validate";
import { formatIssueLine, validateObject } from "../../istio/validate";
import type { ProxyIdentity } from "../config/config-loader";
import { defaultPortMap, refusesChange } from "../config/config-loader";
import type { ServedSecrets } from "../config/served-secrets";
import type { ConfigLoadResult } from "../config/config-load-result";
import { credentialSecretNames } from "./credential-secrets";
import type { ServiceRef } from "./destination-services";
import { destinationServices } from "./destination-services";
import { buildEndpointEntries } from "./endpoint-entries";
import type { EndpointSliceInfo, PodInfo, ServiceInfo } from "./kubernetes-objects";
import { toPlainObject } from "./kubernetes-objects";

/** What the watches hold. */
export interface WatchedObjects {
  /**
   * Gateways, VirtualServices, DestinationRules, ServiceEntries, AuthorizationPolicies and
   * RequestAuthentications as the API returned them.
   */
  readonly istio: readonly unknown[];
  /** Secrets of the proxy's namespace. */
  readonly secrets: readonly Secret[];
  /** Services of the destination namespaces. */
  readonly services: readonly ServiceInfo[];
  /** EndpointSlices of the destination namespaces. */
  readonly endpointSlices: readonly EndpointSliceInfo[];
  /** Pods of the destination namespaces. */
  readonly pods: readonly PodInfo[];
}

/** A resource left out because it fails validation. */
export interface SkippedResource {
  /** Which resource. */
  readonly resource: ResourceRef;
  /** Its `metadata.resourceVersion`, so a report names the exact revision. */
  readonly resourceVersion: string;
  /** The findings that made it skipped (errors) and any warnings beside them. */
  readonly issues: readonly Issue[];
}

/** A load result with what went into it. */
export interface KubernetesLoad extends ConfigLoadResult {
  /** The resources given to translation: valid Istio objects, credential Secrets, endpoint entries. */
  readonly resources: readonly Resource[];
  /** Resources skipped, sorted by kind, namespace and name. */
  readonly skipped: readonly SkippedResource[];
  /** The Services the destinations name (their namespaces are where endpoints are watched). */
  readonly destinationServices: readonly ServiceRef[];
}

function refKey(r: ResourceRef): string {
  return `${r.kind}\u0000${r.namespace}\u0000${r.name}`;
}

function ofKind<K extends Resource["kind"]>(
  resources: readonly Resource[],
  kind: K,
): Extract<Resource, { kind: K }>[] {
  return resources.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
}

/**
 * Builds the configuration for `proxy` from the watched objects. With `served`, credential Secrets
 * the proxy served certificates from stand in for missing or unusable ones (see
 * served-secrets.ts), and a configuration built is remembered there.
 */
export function buildKubernetesLoad(
  watched: WatchedObjects,
  proxy: ProxyIdentity,
  served?: ServedSecrets,
): KubernetesLoad {
  const accepted: Resource[] = [];
  const skipped: SkippedResource[] = [];
  const warnings: Issue[] = [];
  for (const raw of watched.istio) {
    const object = toPlainObject(raw);
    const v = validateObject(object);
    const reported = v.issues.filter((i) => i.severity !== "info");
    if (v.resource === undefined || reported.some((i) => i.severity === "error")) {
      const rv = (object as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
      skipped.push({ resource: v.ref, resourceVersion: typeof rv === "string" ? rv : "", issues: reported });
      continue;
    }
    warnings.push(...reported);
    accepted.push(v.resource);
  }
  skipped.sort((a, b) =>
    refKey(a.resource) < refKey(b.resource) ? -1 : refKey(a.resource) > refKey(b.resource) ? 1 : 0,
  );

  const gateways: Gateway[] = ofKind(accepted, "Gateway");
  const virtualServices: VirtualService[] = ofKind(accepted, "VirtualService");
  const destinationRules: DestinationRule[] = ofKind(accepted, "DestinationRule");
  const serviceEntries: ServiceEntry[] = ofKind(accepted, "ServiceEntry");

  const secretNames = new Set(
    credentialSecretNames(gateways, destinationRules, proxy.labels, proxy.namespace),
  );
  const secrets = watched.secrets
    .filter((s) => namespaceOf(s) === proxy.namespace && secretNames.has(s.metadata?.name ?? ""))
    .sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));

  const wanted = destinationServices(virtualServices, proxy.namespace);
  const userHosts = new Set(
    serviceEntries.flatMap((se) => (se.spec?.hosts ?? []).map((h) => resolveShortHost(h, namespaceOf(se)))),
  );
  const entries = buildEndpointEntries(wanted, watched, userHosts);

  const resources: Resource[] = [...accepted, ...secrets, ...entries];
  const messages: string[] = [];
  for (const issue of warnings) messages.push(formatIssueLine(issue));
  let refusedPolicy = false;
  for (const s of skipped) {
    for (const issue of s.issues) messages.push(formatIssueLine(issue));
    const version = s.resourceVersion === "" ? "" : ` (resourceVersion ${s.resourceVersion})`;
    const what = `${s.resource.kind} ${s.resource.namespace}/${s.resource.name}${version}`;
    // Serving without a security policy could let through what it denies (or a token it would
    // refuse): the change is refused instead.
    if (s.resource.kind === "AuthorizationPolicy" || s.resource.kind === "RequestAuthentication") {
      refusedPolicy = true;
      messages.push(`${what} fails validation: the change is refused rather than served without it`);
    } else {
      messages.push(`skipped ${what}: it fails validation; the rest of the configuration is served`);
    }
  }
  const input = served?.standIn(resources) ?? { resources, standIns: new Set<string>() };
  const built = buildProxyConfig(input.resources, {
    namespace: proxy.namespace,
    labels: { ...proxy.labels },
    portMap: proxy.portMap ?? defaultPortMap,
  });
  let translationErrors = 0;
  for (const issue of built.issues) {
    messages.push(formatIssueLine(issue));
    if (issue.severity === "error") translationErrors++;
  }
  const base = { messages, resources, skipped, destinationServices: wanted };
  // As the file source: errors that leave nothing to serve refuse the change (the last good
  // configuration keeps serving); errors beside working listeners are reported and the rest served.
  if (refusedPolicy || (translationErrors > 0 && refusesChange(built.config, built.issues))) return base;
  if (served !== undefined) messages.push(...served.take(built.config, input).map((i) => formatIssueLine(i)));
  return { ...base, config: built.config };
}
