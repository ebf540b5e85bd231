/**
 * What the Kubernetes configuration source reads from the API server, and nothing more: the
 * GatewayProxy component generates its RBAC from this list and a test compares the two. Every
 * entry is read-only (`list` to fill a cache, `watch` to follow it); nothing is ever fetched with
 * `get`, created, changed or deleted.
 */

/** One RBAC rule the source needs. */
export interface SourcePermission {
  /** The API group (`""` is the core group). */
  readonly apiGroup: string;
  /** The resource, plural and lower case as RBAC names it. */
  readonly resource: string;
  /** The verbs used. */
  readonly verbs: readonly ("list" | "watch")[];
  /**
   * `cluster`: read in every namespace (a ClusterRole: Istio resources may live anywhere and
   * destinations may name Services in any namespace); `proxy-namespace`: read only in the proxy's
   * own namespace (a Role: `credentialName` Secrets, as Istio's gateways resolve them).
   */
  readonly scope: "cluster" | "proxy-namespace";
}

/** Everything the source reads, in the order it starts watching. */
export const KUBERNETES_SOURCE_PERMISSIONS: readonly SourcePermission[] = [
  { apiGroup: "networking.istio.io", resource: "gateways", verbs: ["list", "watch"], scope: "cluster" },
  {
    apiGroup: "networking.istio.io",
    resource: "virtualservices",
    verbs: ["list", "watch"],
    scope: "cluster",
  },
  {
    apiGroup: "networking.istio.io",
    resource: "destinationrules",
    verbs: ["list", "watch"],
    scope: "cluster",
  },
  { apiGroup: "networking.istio.io", resource: "serviceentries", verbs: ["list", "watch"], scope: "cluster" },
  {
    apiGroup: "security.istio.io",
    resource: "authorizationpolicies",
    verbs: ["list", "watch"],
    scope: "cluster",
  },
  {
    apiGroup: "security.istio.io",
    resource: "requestauthentications",
    verbs: ["list", "watch"],
    scope: "cluster",
  },
  { apiGroup: "", resource: "secrets", verbs: ["list", "watch"], scope: "proxy-namespace" },
  { apiGroup: "", resource: "services", verbs: ["list", "watch"], scope: "cluster" },
  { apiGroup: "discovery.k8s.io", resource: "endpointslices", verbs: ["list", "watch"], scope: "cluster" },
  { apiGroup: "", resource: "pods", verbs: ["list", "watch"], scope: "cluster" },
];
