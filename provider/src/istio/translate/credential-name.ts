/**
 * What a `credentialName` refers to, as Istio resolves it (`pilot/pkg/model/credentials`:
 * `ToResourceName`, then `ParseResourceName`): a bare name and `kubernetes://name` mean the Secret
 * `name` in the proxy's namespace, `kubernetes://namespace/name` a Secret of that namespace, and
 * `sds://name` (with no external SDS server, as here) the same as `name`.
 */

/** The prefix Istio gives a credential stored as a Kubernetes Secret. */
export const KUBERNETES_SECRET_URI = "kubernetes://";

/** `builtin://`: the workload's own mesh certificate, not a Secret. */
export const BUILTIN_URI = "builtin://";

/** `sds://`: a resource of an external SDS server; without one Istio reads it as a Secret name. */
const SDS_EXTERNAL_URI = "sds://";

/** Schemes Istio knows that do not name a Secret the gateway can read here. */
const OTHER_URIS = ["configmap://", "kubernetes-gateway://", "invalid://"] as const;

/** A `credentialName` resolved against the proxy's namespace. */
export type CredentialReference =
  /** A Secret: `name` in `namespace`. */
  | { readonly kind: "secret"; readonly namespace: string; readonly name: string }
  /** The mesh identity (`builtin://`), which only Istio's agent can hand out. */
  | { readonly kind: "builtin" }
  /** Another scheme (`configmap://`, `kubernetes-gateway://`, `invalid://`): `scheme` names it. */
  | { readonly kind: "other"; readonly scheme: string };

/**
 * Resolves `credentialName` as Istio's SDS does for a proxy in `proxyNamespace`. As in Istio, only
 * the first two segments after `kubernetes://` count: `kubernetes://a/b/c` is Secret `b` of `a`.
 */
export function parseCredentialName(credentialName: string, proxyNamespace: string): CredentialReference {
  let name = credentialName;
  if (name.startsWith(BUILTIN_URI)) return { kind: "builtin" };
  if (name.startsWith(SDS_EXTERNAL_URI)) name = name.slice(SDS_EXTERNAL_URI.length);
  const other = OTHER_URIS.find((s) => name.startsWith(s));
  if (other !== undefined) return { kind: "other", scheme: other };
  if (name.startsWith(KUBERNETES_SECRET_URI)) name = name.slice(KUBERNETES_SECRET_URI.length);
  const split = name.split("/");
  if (split.length > 1) return { kind: "secret", namespace: split[0], name: split[1] };
  return { kind: "secret", namespace: proxyNamespace, name: split[0] };
}
