/**
 * `RequestAuthentication` (security.istio.io): which JSON Web Tokens a workload accepts. A request
 * whose token fails every rule is refused (401); a request without a token passes, and an
 * AuthorizationPolicy decides whether a principal is required. The gateway proxy validates tokens
 * as the `jwt_authn` filter istiod configures does.
 */
import type { ObjectMeta } from "./meta";
import type { PolicyTargetReference, PolicyWorkloadSelector } from "./security-policy";

/** A RequestAuthentication resource as stored by Kubernetes. */
export interface RequestAuthentication {
  /** `security.istio.io/v1` (or `v1beta1`). */
  apiVersion: string;
  /** Always `RequestAuthentication`. */
  kind: "RequestAuthentication";
  /**
   * Name, namespace, labels and annotations. A policy in the root namespace (`istio-system`)
   * applies to every workload of the mesh; elsewhere, to the workloads of its namespace.
   */
  metadata: ObjectMeta;
  /** The rules. */
  spec: RequestAuthenticationSpec;
}

/** The desired state of a RequestAuthentication. */
export interface RequestAuthenticationSpec {
  /**
   * The workloads the policy applies to, by pod labels: every label given must be on the pod.
   * Unset: every workload of the policy's namespace (of the mesh, in the root namespace). At most
   * one of `selector`, `targetRef` and `targetRefs`.
   */
  selector?: PolicyWorkloadSelector;
  /** Deprecated single form of `targetRefs`. */
  targetRef?: PolicyTargetReference;
  /**
   * Gateway API resources (a `Gateway`, `GatewayClass`, `Service` or `ServiceEntry`) the policy
   * attaches to. A policy with target references never applies to a classic Istio gateway
   * deployment such as the one this proxy stands in for.
   */
  targetRefs?: PolicyTargetReference[];
  /**
   * The issuers whose tokens are accepted, one rule each. A token must be valid for the rule of
   * its issuer; a token of an issuer no rule names is refused.
   */
  jwtRules?: JWTRule[];
}

/** One issuer's tokens: where to find them, how to verify them, what to pass on. */
export interface JWTRule {
  /**
   * The token's `iss` claim must equal it. Required unless `jwksUri` is set; without it any
   * issuer's token is checked against this rule's keys.
   */
  issuer?: string;
  /**
   * Accepted values of the `aud` claim; unset accepts any. A token must name at least one (a
   * leading `http://` or `https://` and a trailing `/` are ignored on both sides, as Envoy does).
   */
  audiences?: string[];
  /**
   * Where to fetch the public keys (JWKS, `http://` or `https://`). Fetched when the configuration
   * is taken and every 20 minutes after, as istiod does; when it cannot be fetched, no token of the
   * issuer verifies. Unset with `jwks` unset: read from the issuer's OpenID discovery document.
   */
  jwksUri?: string;
  /** The public keys (a JSON Web Key Set, as text). At most one of `jwks` and `jwksUri`. */
  jwks?: string;
  /**
   * Headers that carry the token, each with a value prefix (`Bearer `). Unset with `fromParams` and
   * `fromCookies` unset: `Authorization: Bearer <token>` or the `access_token` query parameter.
   */
  fromHeaders?: JWTHeader[];
  /** Query parameters that carry the token. */
  fromParams?: string[];
  /** Cookies that carry the token. */
  fromCookies?: string[];
  /** A header to receive the token's payload (base64url, as in the token) when it is valid. */
  outputPayloadToHeader?: string;
  /**
   * Whether the token goes on upstream. Default false: a valid token's header is removed before
   * the request is forwarded (a token in a query parameter or cookie stays, as in Envoy).
   */
  forwardOriginalToken?: boolean;
  /** Claims of a valid token copied into request headers. */
  outputClaimToHeaders?: ClaimToHeader[];
  /** Claims whose space-delimited string value is read as a list (`scope`, `permission` always). */
  spaceDelimitedClaims?: string[];
  /** How long a JWKS fetch may take (at least 1ms, whole milliseconds). Default 5s. */
  timeout?: string;
}

/** A header a token is read from. */
export interface JWTHeader {
  /** The header's name. Required. */
  name: string;
  /** What comes before the token in the value (`Bearer `); the value must contain it. */
  prefix?: string;
}

/** A claim copied into a header. */
export interface ClaimToHeader {
  /** The header's name (letters, digits, `-` and `_`). Required. */
  header: string;
  /** The claim's name; a nested claim by dots (`a.b`). Required. */
  claim: string;
}
