/**
 * How a VirtualService names the gateways it applies to, resolved the way Istio's pilot does
 * (`resolveGatewayName`): every reference becomes `<namespace>/<name>`, except `mesh`.
 */
import type { VirtualService } from "../model";

/** The reserved gateway name meaning "every sidecar of the mesh". */
export const MESH_GATEWAY = "mesh";

/** The namespace of a resource whose metadata does not say: Kubernetes' `default`. */
export const DEFAULT_NAMESPACE = "default";

/**
 * Resolves a gateway reference written in a VirtualService in namespace `vsNamespace`:
 * `mesh` stays `mesh`; `name` and `./name` mean `<vsNamespace>/name`; `ns/name` is kept; the
 * legacy `name.ns` and `name.ns.svc.cluster.local` forms mean `ns/name`.
 */
export function resolveGatewayName(ref: string, vsNamespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  const slash = ref.indexOf("/");
  if (slash >= 0) {
    return ref.slice(0, slash) === "." ? `${vsNamespace}/${ref.slice(slash + 1)}` : ref;
  }
  const dot = ref.indexOf(".");
  if (dot < 0) return `${vsNamespace}/${ref}`;
  // Legacy FQDN form: the label after the name is the namespace, whatever follows it.
  const rest = ref.slice(dot + 1);
  const nextDot = rest.indexOf(".");
  const namespace = nextDot < 0 ? rest : rest.slice(0, nextDot);
  return `${namespace}/${ref.slice(0, dot)}`;
}

/**
 * The gateways a VirtualService applies to, as written: an omitted or empty `gateways` list means
 * `["mesh"]` (sidecars only, no ingress gateway).
 */
export function effectiveGateways(vs: Pick<VirtualService, "spec">): string[] {
  const gateways = vs.spec?.gateways;
  return Array.isArray(gateways) && gateways.length > 0 ? [...gateways] : [MESH_GATEWAY];
}

/** `metadata.namespace`, or `default` when absent or empty. */
export function namespaceOf(resource: { metadata?: { namespace?: string } }): string {
  const ns = resource.metadata?.namespace;
  return typeof ns !== "string" || ns === "" ? DEFAULT_NAMESPACE : ns;
}

/** `<namespace>/<name>` of a resource, the key gateway references resolve to. */
export function keyOf(resource: { metadata?: { namespace?: string; name?: string } }): string {
  const name = resource.metadata?.name;
  return `${namespaceOf(resource)}/${typeof name === "string" ? name : ""}`;
}
