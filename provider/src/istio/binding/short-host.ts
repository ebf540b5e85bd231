/**
 * Short Kubernetes service names in VirtualService hosts, expanded as pilot does before binding
 * (`ResolveShortnameToFQDN`): `reviews` in namespace `default` is `reviews.default.svc.cluster.local`.
 */
import { isIPAddress } from "../host/ip-address";

/** The cluster DNS domain Istio assumes for short names. */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * The fully qualified form of a VirtualService host or destination host written in `namespace`:
 * names without a dot gain `.<namespace>.svc.cluster.local`; `*`, names with a dot and IP
 * addresses are kept.
 */
export function resolveShortHost(host: string, namespace: string): string {
  if (host === "" || host === "*" || host.includes(".") || isIPAddress(host)) return host;
  return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}
