/**
 * The JWT authentication a gateway applies, from the RequestAuthentications that select it, as
 * istiod builds Envoy's `jwt_authn` filter (`pilot/pkg/security/authn`): the policies of the
 * root namespace (`istio-system`, mesh-wide) and of the gateway's own namespace whose `selector`
 * is unset or contained in the gateway's labels; policies with `targetRef(s)` attach to Gateway
 * API resources only, never to a classic gateway deployment. Every rule of every such policy
 * becomes one provider, sorted by issuer as istiod sorts them.
 *
 * Pure: the proxy fetches `jwksUri` keys and verifies tokens (proxy/jwt).
 */
import { namespaceOf } from "../binding";
import type { RequestAuthentication, Resource } from "../model";
import { parseDurationMs } from "./duration";
import { policyScope } from "./policy-scope";

/** istiod's JWKS fetch timeout when a rule gives none. */
export const DEFAULT_JWKS_TIMEOUT_MS = 5000;

/** Envoy's `JwtHeader`: where a token is read from, and what precedes it in the value. */
export interface JwtHeaderLocation {
  /** The header's name, lower case. */
  readonly name: string;
  /** What precedes the token (`Bearer `); empty: the whole value is the token. */
  readonly prefix: string;
}

/** Envoy's `JwtProvider`, as istiod makes one of a JWT rule. */
export interface JwtProvider {
  /** `origins-<index>`, as istiod names providers (index in issuer order). */
  readonly name: string;
  /** The policy the rule comes from, `<namespace>/<name>`. */
  readonly policy: string;
  /** The index of the rule in the policy's `jwtRules`. */
  readonly ruleIndex: number;
  /** The `iss` a token must have; empty: any. */
  readonly issuer: string;
  /** Accepted `aud` values; empty: any. */
  readonly audiences: readonly string[];
  /** The inline key set (the rule's `jwks`). */
  readonly jwks?: string;
  /** Where the proxy fetches the key set, when `jwks` is not given. */
  readonly jwksUri?: string;
  /** How long a key fetch may take (ms). */
  readonly timeoutMs: number;
  /**
   * Headers the token is read from. With no header, parameter or cookie configured, Envoy's
   * defaults: `Authorization` with prefix `Bearer `, and the `access_token` query parameter.
   */
  readonly fromHeaders: readonly JwtHeaderLocation[];
  /** Query parameters the token is read from. */
  readonly fromParams: readonly string[];
  /** Cookies the token is read from. */
  readonly fromCookies: readonly string[];
  /** Whether a valid token's header stays on the request (`forwardOriginalToken`). */
  readonly forward: boolean;
  /** The header that receives a valid token's payload (`outputPayloadToHeader`), lower case. */
  readonly forwardPayloadHeader?: string;
  /** Claims copied to headers (`outputClaimToHeaders`), header names lower case. */
  readonly claimToHeaders: readonly { readonly header: string; readonly claim: string }[];
  /**
   * Claims whose space-delimited string value is also read as a list: `permission` and `scope`
   * always, with the rule's `spaceDelimitedClaims`, sorted (istiod's `buildSpaceDelimitedClaims`).
   */
  readonly spaceDelimitedClaims: readonly string[];
}

/** The `jwt_authn` filter of every HTTP filter chain, when some RequestAuthentication applies. */
export interface JwtAuthnConfig {
  /** The policies in force, `<namespace>/<name>`, in the order they were read. */
  readonly policies: readonly string[];
  /** One provider per JWT rule, sorted by issuer. */
  readonly providers: readonly JwtProvider[];
}

/** Who the gateway is, for policy selection. */
export interface JwtAuthnWorkload {
  /** The gateway pod's namespace. */
  readonly namespace: string;
  /** The gateway pod's labels. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Whether `policy` applies to the workload, by Istio's rules (policy-scope.ts). */
export function policyApplies(policy: RequestAuthentication, workload: JwtAuthnWorkload): boolean {
  return policyScope(policy, workload.namespace, workload.labels) === "applies";
}

/**
 * The `jwt_authn` configuration for `workload`; undefined when no policy with a JWT rule applies
 * (the filter is then absent, as istiod leaves it out).
 */
export function buildJwtAuthn(
  resources: readonly Resource[],
  workload: JwtAuthnWorkload,
): JwtAuthnConfig | undefined {
  const policies: string[] = [];
  const rules: Array<Omit<JwtProvider, "name">> = [];
  for (const r of resources) {
    if (r == null || r.kind !== "RequestAuthentication" || !policyApplies(r, workload)) continue;
    const key = `${namespaceOf(r)}/${r.metadata?.name ?? ""}`;
    policies.push(key);
    // Translation assumes valid input but never throws on what validation would refuse.
    list(r.spec?.jwtRules).forEach((rule, ruleIndex) => {
      if (rule == null || typeof rule !== "object") return;
      const payloadHeader = text(rule.outputPayloadToHeader);
      const jwks = text(rule.jwks);
      const jwksUri = text(rule.jwksUri);
      rules.push({
        policy: key,
        ruleIndex,
        issuer: text(rule.issuer),
        audiences: list(rule.audiences).filter((a) => typeof a === "string"),
        ...(jwks !== "" ? { jwks } : jwksUri !== "" ? { jwksUri } : {}),
        timeoutMs:
          parseDurationMs(typeof rule.timeout === "string" ? rule.timeout : undefined) ??
          DEFAULT_JWKS_TIMEOUT_MS,
        fromHeaders: list(rule.fromHeaders)
          .filter((h) => h != null && typeof h.name === "string" && h.name !== "")
          .map((h) => ({ name: h.name.toLowerCase(), prefix: text(h.prefix) })),
        fromParams: list(rule.fromParams).filter((p) => typeof p === "string" && p !== ""),
        fromCookies: list(rule.fromCookies).filter((c) => typeof c === "string" && c !== ""),
        forward: rule.forwardOriginalToken === true,
        ...(payloadHeader === "" ? {} : { forwardPayloadHeader: payloadHeader.toLowerCase() }),
        claimToHeaders: list(rule.outputClaimToHeaders)
          .filter((c) => c != null && text(c.header) !== "" && text(c.claim) !== "")
          .map((c) => ({ header: c.header.toLowerCase(), claim: c.claim })),
        spaceDelimitedClaims: [
          ...new Set([
            "permission",
            "scope",
            ...list(rule.spaceDelimitedClaims).filter((c) => typeof c === "string"),
          ]),
        ].sort(),
      });
    });
  }
  if (rules.length === 0) return undefined;
  // Stable, so rules of one issuer keep the order they were read in.
  rules.sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0));
  return { policies, providers: rules.map((r, i) => ({ name: `origins-${i}`, ...r })) };
}

function list<T>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}
