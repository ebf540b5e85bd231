/**
 * What JWT authentication established about a request: the one place the rest of the proxy (an
 * AuthorizationPolicy's `requestPrincipals` and `request.auth.*` conditions, access logs) reads.
 */

/** A request's verified token, as Istio's `request.auth.*` attributes describe it. */
export interface RequestAuth {
  /** `request.auth.principal`: `<iss>/<sub>` of the token. */
  readonly principal: string;
  /** The token's `iss`. */
  readonly issuer: string;
  /** The token's `sub` (empty when it has none). */
  readonly subject: string;
  /** `request.auth.audiences`: the token's `aud`, as a list. */
  readonly audiences: readonly string[];
  /** `request.auth.presenter`: the token's `azp`; undefined when it has none. */
  readonly presenter: string | undefined;
  /**
   * `request.auth.claims`: the token's payload, with the space-delimited claims (`scope`,
   * `permission` and the rule's `spaceDelimitedClaims`) given as lists of their words, as the
   * `jwt_authn` filter normalizes its metadata.
   */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The provider (`origins-<i>`) whose rule verified the token. */
  readonly provider: string;
}
