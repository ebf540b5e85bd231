/**
 * A JSON Web Token (RFC 7519) parsed as Envoy's `jwt_verify_lib` parses it: three base64url
 * sections, a header with a supported `alg`, a payload whose registered claims have the types the
 * RFC gives them. The signature is checked separately (jwt-verify.ts), against the issuer's keys.
 */
import { JwtStatus } from "./jwt-status";

/** The signature algorithms Envoy verifies (JWS, RFC 7518; EdDSA, RFC 8037). */
export const SUPPORTED_ALGS = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "HS256",
  "HS384",
  "HS512",
  "EdDSA",
]);

/** A parsed token. */
export interface Jwt {
  /** The header's `alg`. */
  readonly alg: string;
  /** The header's `kid`; empty when absent. */
  readonly kid: string;
  /** `iss`; empty when absent. */
  readonly iss: string;
  /** `sub`; empty when absent. */
  readonly sub: string;
  /** `aud`, always as a list. */
  readonly audiences: readonly string[];
  /** `exp` in seconds since the epoch; 0 when absent. */
  readonly exp: number;
  /** `nbf` in seconds since the epoch; 0 when absent. */
  readonly nbf: number;
  /** The whole payload. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The payload as it is in the token (base64url): what `outputPayloadToHeader` sends. */
  readonly payloadBase64url: string;
  /** What the signature signs: `<header>.<payload>` as in the token. */
  readonly signedInput: string;
  /** The signature's bytes. */
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  return Buffer.from(text, "base64url");
}

function parseJson(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A NumericDate claim: absent (0), or a positive integer; else the status to refuse with. */
function numericDate(
  payload: Record<string, unknown>,
  claim: string,
  notInteger: JwtStatus,
  outOfRange: JwtStatus,
): number | JwtStatus {
  const value = payload[claim];
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value)) return notInteger;
  if (value < 0) return outOfRange;
  return value;
}

/** Parses `token`; a {@link JwtStatus} says why it is not a token Envoy would verify. */
export function parseJwt(token: string): Jwt | JwtStatus {
  const parts = token.split(".");
  if (parts.length !== 3) return JwtStatus.JwtBadFormat;
  const [headerText, payloadText, signatureText] = parts as [string, string, string];
  const headerBytes = decodeBase64url(headerText);
  if (headerBytes === undefined) return JwtStatus.JwtHeaderParseErrorBadBase64;
  const header = parseJson(headerBytes);
  if (header === undefined) return JwtStatus.JwtHeaderParseErrorBadJson;
  if (typeof header.alg !== "string") return JwtStatus.JwtHeaderBadAlg;
  if (!SUPPORTED_ALGS.has(header.alg)) return JwtStatus.JwtHeaderNotImplementedAlg;
  if (header.kid !== undefined && typeof header.kid !== "string") return JwtStatus.JwtHeaderBadKid;
  const payloadBytes = decodeBase64url(payloadText);
  if (payloadBytes === undefined) return JwtStatus.JwtPayloadParseErrorBadBase64;
  const payload = parseJson(payloadBytes);
  if (payload === undefined) return JwtStatus.JwtPayloadParseErrorBadJson;
  if (payload.iss !== undefined && typeof payload.iss !== "string")
    return JwtStatus.JwtPayloadParseErrorIssNotString;
  if (payload.sub !== undefined && typeof payload.sub !== "string")
    return JwtStatus.JwtPayloadParseErrorSubNotString;
  const iat = numericDate(
    payload,
    "iat",
    JwtStatus.JwtPayloadParseErrorIatNotInteger,
    JwtStatus.JwtPayloadParseErrorIatOutOfRange,
  );
  if (typeof iat === "string") return iat;
  const nbf = numericDate(
    payload,
    "nbf",
    JwtStatus.JwtPayloadParseErrorNbfNotInteger,
    JwtStatus.JwtPayloadParseErrorNbfOutOfRange,
  );
  if (typeof nbf === "string") return nbf;
  const exp = numericDate(
    payload,
    "exp",
    JwtStatus.JwtPayloadParseErrorExpNotInteger,
    JwtStatus.JwtPayloadParseErrorExpOutOfRange,
  );
  if (typeof exp === "string") return exp;
  if (payload.jti !== undefined && typeof payload.jti !== "string")
    return JwtStatus.JwtPayloadParseErrorJtiNotString;
  let audiences: string[] = [];
  if (typeof payload.aud === "string") audiences = [payload.aud];
  else if (Array.isArray(payload.aud) && payload.aud.every((a) => typeof a === "string")) {
    audiences = payload.aud as string[];
  } else if (payload.aud !== undefined) return JwtStatus.JwtPayloadParseErrorAudNotString;
  const signature = decodeBase64url(signatureText);
  if (signature === undefined) return JwtStatus.JwtSignatureParseErrorBadBase64;
  return {
    alg: header.alg,
    kid: typeof header.kid === "string" ? header.kid : "",
    iss: typeof payload.iss === "string" ? payload.iss : "",
    sub: typeof payload.sub === "string" ? payload.sub : "",
    audiences,
    exp,
    nbf,
    payload,
    payloadBase64url: payloadText,
    signedInput: `${headerText}.${payloadText}`,
    signature,
  };
}

/** Envoy's default clock skew for `exp` and `nbf` (jwt_verify_lib `kClockSkewInSecond`). */
export const CLOCK_SKEW_SECONDS = 60;

/** `nbf` and `exp` against `nowSeconds`, each with the allowed clock skew. */
export function checkTimes(jwt: Jwt, nowSeconds: number): JwtStatus {
  if (nowSeconds + CLOCK_SKEW_SECONDS < jwt.nbf) return JwtStatus.JwtNotYetValid;
  if (jwt.exp !== 0 && nowSeconds > jwt.exp + CLOCK_SKEW_SECONDS) return JwtStatus.JwtExpired;
  return JwtStatus.Ok;
}

/**
 * An audience as Envoy compares them (`CheckAudience`): without a leading `http://` or `https://`
 * and a trailing `/`.
 */
function sanitizeAudience(audience: string): string {
  let a = audience;
  if (a.startsWith("http://")) a = a.slice(7);
  else if (a.startsWith("https://")) a = a.slice(8);
  if (a.endsWith("/")) a = a.slice(0, -1);
  return a;
}

/** Whether the token names one of `allowed` (any token, when none is configured). */
export function audiencesAllowed(jwt: Jwt, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const wanted = new Set(allowed.map(sanitizeAudience));
  return jwt.audiences.some((a) => wanted.has(sanitizeAudience(a)));
}
