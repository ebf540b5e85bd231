/**
 * The Kubernetes Services a set of VirtualServices sends traffic to: every destination host
 * (routes, mirrors, TLS and TCP routes), short names expanded against the VirtualService's
 * namespace as pilot does (`reviews` in `default` is `reviews.default.svc.cluster.local`), kept
 * when it names a Service (`<name>.<namespace>.svc.cluster.local`). Only VirtualServices exported
 * to the proxy's namespace count: the others can never bind to its Gateways.
 */
import { CLUSTER_DOMAIN, isExportedTo, namespaceOf, resolveShortHost } from "../../istio/binding";
import type { Destination, VirtualService } from "../../istio/model";

/** A Service by namespace and name. */
export interface ServiceRef {
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
}

const SERVICE_SUFFIX = `.svc.${CLUSTER_DOMAIN}`;

/** The Service a fully qualified host names, or undefined (external names, wildcards, IPs). */
export function serviceOfHost(host: string): ServiceRef | undefined {
  const h = host.toLowerCase();
  if (!h.endsWith(SERVICE_SUFFIX)) return undefined;
  const parts = h.slice(0, -SERVICE_SUFFIX.length).split(".");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "" || parts[0] === "*") return undefined;
  return { name: parts[0]!, namespace: parts[1]! };
}

/** The fully qualified host of a Service. */
export function serviceHost(ref: ServiceRef): string {
  return `${ref.name}.${ref.namespace}${SERVICE_SUFFIX}`;
}

function destinationsOf(vs: VirtualService): Destination[] {
  const out: Destination[] = [];
  const spec = vs.spec ?? {};
  for (const route of spec.http ?? []) {
    for (const d of route?.route ?? []) if (d?.destination !== undefined) out.push(d.destination);
    if (route?.mirror !== undefined) out.push(route.mirror);
    for (const m of route?.mirrors ?? []) if (m?.destination !== undefined) out.push(m.destination);
  }
  for (const route of [...(spec.tls ?? []), ...(spec.tcp ?? [])]) {
    for (const d of route?.route ?? []) if (d?.destination !== undefined) out.push(d.destination);
  }
  return out;
}

/** The Services named by the destinations of `virtualServices` visible to `proxyNamespace`, sorted. */
export function destinationServices(
  virtualServices: readonly VirtualService[],
  proxyNamespace: string,
): ServiceRef[] {
  const found = new Map<string, ServiceRef>();
  for (const vs of virtualServices) {
    const ns = namespaceOf(vs);
    if (!isExportedTo(vs.spec?.exportTo, ns, proxyNamespace)) continue;
    for (const d of destinationsOf(vs)) {
      if (typeof d.host !== "string") continue;
      const ref = serviceOfHost(resolveShortHost(d.host, ns));
      if (ref !== undefined) found.set(`${ref.namespace}/${ref.name}`, ref);
    }
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}
