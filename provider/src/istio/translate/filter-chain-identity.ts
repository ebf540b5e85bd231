/**
 * What makes two configurations' filter chains "the same chain" for the connections accepted on
 * it, as Envoy's listener manager decides it on an in-place filter chain update: the chain's own
 * configuration, compared as data. Envoy keeps the connections of a chain whose proto is unchanged
 * and drains those of every other; a change to the listener itself (its listener filters) replaces
 * the listener and drains all of them.
 *
 * Only what Istio writes into Envoy's listener counts. HTTP routes come by RDS, so a
 * VirtualService's `http` rules are left out (the route config's name stays); certificates come by
 * SDS, so a Secret's PEM is left out (where it comes from stays); the Gateway servers a chain was
 * built from are debug data. A `tcp` or `tls` rule is Istio's tcp_proxy, inline in the chain: its
 * destinations and weights count. So do the RBAC filters of AuthorizationPolicies, which Istio
 * writes inline too (the network filter before tcp_proxy, the HTTP filter in the connection
 * manager): a policy that changes drains the connections of the chains it covers.
 */
import type { FilterChain, Listener, RbacConfig, RbacFilter } from "./proxy-config";

/**
 * A text equal for two chains exactly when a connection accepted on one may stay on the other:
 * their listeners' own settings and their configurations, without HTTP routes, key material or
 * debug data, with object keys sorted.
 */
export function filterChainIdentity(
  listener: Pick<Listener, "port" | "tlsInspector">,
  chain: FilterChain,
  rbac?: RbacConfig,
): string {
  const hcm = chain.httpConnectionManager;
  const compared = {
    rbac: rbacFilterOf(chain, rbac),
    listener: { port: listener.port, tlsInspector: listener.tlsInspector },
    chain: {
      ...chain,
      servers: undefined,
      httpConnectionManager:
        hcm === undefined ? undefined : { ...hcm, routeConfig: { name: hcm.routeConfig.name } },
    },
  };
  return JSON.stringify(compared, canonical);
}

/** The RBAC filter Istio writes into `chain`: the HTTP one, the network one, or none. */
function rbacFilterOf(chain: FilterChain, rbac: RbacConfig | undefined): RbacFilter | undefined {
  if (rbac === undefined) return undefined;
  switch (chain.transport) {
    case "http":
    case "https":
      return rbac.http;
    case "tcp":
    case "tls-passthrough":
    case "tls-terminated-tcp":
      return rbac.tcp;
    case "tls-unavailable":
      return undefined;
  }
}

/** JSON.stringify's replacer: PEM from Secrets reduced to its origin, object keys sorted. */
function canonical(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if ("inline" in record && typeof record["origin"] === "string") return { origin: record["origin"] };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(record).sort()) sorted[k] = record[k];
  return sorted;
}
