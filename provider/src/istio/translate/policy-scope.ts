/**
 * Which of Istio's security policies (AuthorizationPolicy, RequestAuthentication) reach a gateway
 * proxy, as `pilot/pkg/model/authorization.go` and its RequestAuthentication twin pick them: a
 * policy of the root namespace or of the proxy's own, not attached by `targetRef(s)` (those never
 * select a classic Gateway's deployment), whose `selector.matchLabels` the proxy's labels contain.
 */
import { namespaceOf, selectorMatches } from "../binding";
import type { PolicyTargetReference, PolicyWorkloadSelector } from "../model";

/** Istio's root namespace: its policies without a selector apply to the whole mesh. */
export const ROOT_NAMESPACE = "istio-system";

/** What decides a security policy's reach. */
interface ScopedPolicy {
  readonly metadata?: { readonly namespace?: string } | undefined;
  readonly spec?:
    | {
        readonly selector?: PolicyWorkloadSelector | undefined;
        readonly targetRef?: PolicyTargetReference | undefined;
        readonly targetRefs?: readonly PolicyTargetReference[] | undefined;
      }
    | undefined;
}

/**
 * Whether `policy` reaches a proxy in `namespace` with `labels`, and if not, why: another
 * namespace, a `targetRef(s)` attachment, or a selector the labels do not contain.
 */
export function policyScope(
  policy: ScopedPolicy,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): "applies" | "other-namespace" | "target-ref" | "selector" {
  const ns = namespaceOf(policy);
  if (ns !== ROOT_NAMESPACE && ns !== namespace) return "other-namespace";
  const spec = policy.spec ?? {};
  // An empty list is unset, as protobuf reads it.
  if (spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0) return "target-ref";
  return selectorMatches(spec.selector?.matchLabels, labels) ? "applies" : "selector";
}
