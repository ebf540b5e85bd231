/**
 * `AuthorizationPolicy` (security.istio.io): access control on the workloads it selects. On a
 * gateway it is what Envoy's RBAC filters enforce before routing: CUSTOM first, then DENY, then
 * ALLOW (when any ALLOW policy applies, a request must match one of its rules); AUDIT never
 * changes the decision.
 */
import type { ObjectMeta } from "./meta";
import type { PolicyTargetReference, PolicyWorkloadSelector } from "./security-policy";

/** An AuthorizationPolicy resource as stored by Kubernetes. */
export interface AuthorizationPolicy {
  /** `security.istio.io/v1` (or `v1beta1`). */
  apiVersion: string;
  /** Always `AuthorizationPolicy`. */
  kind: "AuthorizationPolicy";
  /**
   * Name, namespace, labels and annotations. The namespace decides the reach: the root namespace
   * (`istio-system`) is the whole mesh, any other namespace its own workloads.
   */
  metadata: ObjectMeta;
  /** The policy. Missing is the same as `{}`: an ALLOW policy without rules (allow-nothing). */
  spec?: AuthorizationPolicySpec;
}

/** What a policy does with the requests its rules match. */
export const AuthorizationPolicyAction = {
  /** Allow a request only if it matches a rule of some ALLOW policy (the default). */
  ALLOW: "ALLOW",
  /** Deny a request that matches a rule. */
  DENY: "DENY",
  /** Audit a request that matches a rule; never changes whether it is allowed. */
  AUDIT: "AUDIT",
  /** Ask an external authorizer (`provider`) about a request that matches a rule. */
  CUSTOM: "CUSTOM",
} as const;
export type AuthorizationPolicyAction =
  (typeof AuthorizationPolicyAction)[keyof typeof AuthorizationPolicyAction];

/** The desired state of an AuthorizationPolicy. */
export interface AuthorizationPolicySpec {
  /**
   * The workloads the policy applies to, by pod labels (contained in the workload's labels).
   * Unset: every workload of the policy's namespace (of the mesh, in the root namespace). Only one
   * of `selector`, `targetRef` and `targetRefs` may be set.
   */
  selector?: PolicyWorkloadSelector;
  /** A Kubernetes Gateway API resource (or Service) the policy attaches to; deprecated for `targetRefs`. */
  targetRef?: PolicyTargetReference;
  /**
   * Gateway API resources (or Services) the policy attaches to. Such policies never apply to the
   * deployment of a classic Istio `Gateway`, hence never to this proxy.
   */
  targetRefs?: PolicyTargetReference[];
  /**
   * The rules; a request matching any rule matches the policy. Unset or empty: the policy matches
   * nothing (an ALLOW policy with no rules is allow-nothing; a DENY one is refused by Istio).
   */
  rules?: Rule[];
  /** What to do with a request that matches. Default `ALLOW`. */
  action?: AuthorizationPolicyAction;
  /** The external authorizer of a CUSTOM policy (an extension provider of the mesh config). */
  provider?: ExtensionProvider;
}

/** The external authorizer of a CUSTOM policy. */
export interface ExtensionProvider {
  /** The name of an `extensionProviders` entry of the mesh config. */
  name?: string;
}

/**
 * One rule: a request matches when it matches one `from`, one `to` and every `when` (a missing
 * part matches everything).
 */
export interface Rule {
  /** Who sends the request: any of these sources. Set but empty is refused. */
  from?: RuleFrom[];
  /** What the request does: any of these operations. Set but empty is refused. */
  to?: RuleTo[];
  /** Further conditions, all of which must hold. */
  when?: Condition[];
}

/** A source of a rule. */
export interface RuleFrom {
  /** The source. Required. */
  source?: Source;
}

/** An operation of a rule. */
export interface RuleTo {
  /** The operation. Required. */
  operation?: Operation;
}

/**
 * Who sends a request. Every field set must match (fields AND, values of a field OR); `not*`
 * fields must not match. At least one field must be set.
 */
export interface Source {
  /**
   * Peer identities from the client certificate's SPIFFE URI SAN without `spiffe://`
   * (`cluster.local/ns/default/sa/sleep`); `*`, prefix `x*` and suffix `*x` allowed. A connection
   * without a client certificate has no principal and matches none.
   */
  principals?: string[];
  /** Peer identities that must not match. */
  notPrincipals?: string[];
  /**
   * Request identities (`<iss>/<sub>` of a validated JWT). This proxy validates no JWT, so no
   * request has one: these never match, and `notRequestPrincipals` always does.
   */
  requestPrincipals?: string[];
  /** Request identities that must not match. */
  notRequestPrincipals?: string[];
  /** Namespaces of the peer identity (the `/ns/<namespace>/` of its SPIFFE URI). */
  namespaces?: string[];
  /** Namespaces that must not match. */
  notNamespaces?: string[];
  /** Service accounts of the peer identity (`name` or `namespace/name`); not with principals or namespaces. */
  serviceAccounts?: string[];
  /** Service accounts that must not match. */
  notServiceAccounts?: string[];
  /** Trust domains of the peer identity. */
  trustDomains?: string[];
  /** Trust domains that must not match. */
  notTrustDomains?: string[];
  /**
   * Addresses or CIDR blocks of the connection's peer (the address a PROXY protocol header gives,
   * when the gateway reads one).
   */
  ipBlocks?: string[];
  /** Peer addresses that must not match. */
  notIpBlocks?: string[];
  /**
   * Addresses or CIDR blocks of the original client: from `x-forwarded-for` past the trusted
   * proxies (`numTrustedProxies`), else the peer (what `x-envoy-external-address` is given).
   */
  remoteIpBlocks?: string[];
  /** Original client addresses that must not match. */
  notRemoteIpBlocks?: string[];
}

/** What a request does. Every field set must match; at least one must be set. */
export interface Operation {
  /**
   * Hosts (the `:authority`, case-insensitive); `*`, prefix `x*` and suffix `*x` allowed. HTTP
   * only.
   */
  hosts?: string[];
  /** Hosts that must not match. HTTP only. */
  notHosts?: string[];
  /**
   * Destination ports, as strings: the port the gateway listens on (8080 for a Gateway port 80),
   * which Envoy sees, not the Service port.
   */
  ports?: string[];
  /** Ports that must not match. */
  notPorts?: string[];
  /** Methods (`GET`, case-sensitive). HTTP only. */
  methods?: string[];
  /** Methods that must not match. HTTP only. */
  notMethods?: string[];
  /**
   * Paths without the query (`/api/*`, `*.html`, `*`), or templates with `{*}` (one segment) and
   * `{**}` (the rest). HTTP only.
   */
  paths?: string[];
  /** Paths that must not match. HTTP only. */
  notPaths?: string[];
}

/** A further condition: the key's value must be one of `values` and none of `notValues`. */
export interface Condition {
  /**
   * The attribute: `request.headers[<name>]`, `source.ip`, `remote.ip`, `source.namespace`,
   * `source.principal`, `source.serviceAccount`, `source.trustDomain`, `request.auth.principal`,
   * `request.auth.audiences`, `request.auth.presenter`, `request.auth.claims[<name>]`,
   * `destination.ip`, `destination.port`, `connection.sni`, `experimental.envoy.filters.*`.
   */
  key: string;
  /** Values, any of which must match. */
  values?: string[];
  /** Values none of which may match. */
  notValues?: string[];
}
