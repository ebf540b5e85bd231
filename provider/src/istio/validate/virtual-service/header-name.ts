/**
 * Header names: RFC 7230 tokens, with the exceptions Istio makes for matching (pseudo headers and
 * `@request.auth.claims` keys) and for CORS (`*`).
 */

// Istio writes the token characters as a character class in which "+-." is a range, so ","
// is accepted as well; kept, so the same names pass.
const TOKEN = /^[!#$%&'*+,\-.^_`|~A-Za-z0-9]+$/;

const PSEUDO_HEADERS: ReadonlySet<string> = new Set([":method", ":scheme", ":authority", ":path", ":status"]);

/** The prefix of header-match keys that match a JWT claim instead of a header. */
export const JWT_CLAIM_PREFIX = "@request.auth.claims";

/** True for an RFC 7230 token: what a header name may be. */
export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * True for a JWT claim key: `@request.auth.claims.<claim>[.<nested>...]` or
 * `@request.auth.claims[<claim>][<nested>]...` (the prefix case-insensitive, as in Istio).
 */
export function isJwtClaimKey(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false;
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  if (rest.startsWith(".") && rest.length > 1) return true;
  return rest.startsWith("[") && rest.endsWith("]") && rest.length > 2;
}

/** Why `name` cannot be a header-match key, or undefined. */
export function headerMatchNameProblem(name: string): string | undefined {
  if (name === "") return 'must not be empty (got "")';
  if (isJwtClaimKey(name) || PSEUDO_HEADERS.has(name) || isHeaderToken(name)) return undefined;
  return `must be an HTTP header name (an RFC 7230 token), a pseudo header or ${JWT_CLAIM_PREFIX}.<claim> (got ${JSON.stringify(name)})`;
}

/** Why `name` cannot be a CORS allowHeaders/exposeHeaders entry, or undefined. */
export function corsHeaderNameProblem(name: string): string | undefined {
  if (name === "") return 'must not be empty (got "")';
  if (name === "*" || isHeaderToken(name)) return undefined;
  return `must be "*" or an HTTP header name (an RFC 7230 token) (got ${JSON.stringify(name)})`;
}
