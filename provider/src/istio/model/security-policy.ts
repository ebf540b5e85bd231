/**
 * What Istio's security policies (AuthorizationPolicy, RequestAuthentication) share: their API
 * group and versions, and how a policy names the workloads it applies to.
 */

/** The API group of Istio's security kinds. */
export const ISTIO_SECURITY_GROUP = "security.istio.io";

/** The apiVersions of `security.istio.io` accepted as one shape (`v1` is the stored version). */
export const SECURITY_API_VERSIONS = ["security.istio.io/v1", "security.istio.io/v1beta1"] as const;

/**
 * The workloads a policy selects: Istio's `istio.type.v1beta1.WorkloadSelector` (named apart from
 * the ServiceEntry's `WorkloadSelector`, which has `labels`).
 */
export interface PolicyWorkloadSelector {
  /**
   * Labels a workload must carry (all of them). Keys and values are Kubernetes label keys and
   * values; at most 4096 entries, no `*`. Empty selects every workload of the namespace.
   */
  matchLabels?: { [key: string]: string };
}

/** A resource a policy attaches to (Gateway API's PolicyTargetReference). */
export interface PolicyTargetReference {
  /** The group of the target (`gateway.networking.k8s.io`, or empty for core). */
  group?: string;
  /** The kind of the target (`Gateway`, `Service`, `ServiceEntry`, `GatewayClass`). Required. */
  kind: string;
  /** The name of the target. Required. */
  name: string;
  /** The namespace of the target; must be the policy's own when set. */
  namespace?: string;
}
