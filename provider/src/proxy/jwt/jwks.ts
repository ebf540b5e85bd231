/**
 * A JSON Web Key Set (RFC 7517) read into keys node:crypto can verify with, as Envoy reads a
 * provider's JWKS: keys of unknown type or broken material are left out, and a set with no usable
 * key is an error. No JOSE library: node:crypto reads JWKs itself (`createPublicKey` with
 * `format: "jwk"`), so verification adds no dependency.
 */
import { createPublicKey, createSecretKey } from "node:crypto";
import type { JsonWebKey, KeyObject } from "node:crypto";
import { JwtStatus } from "./jwt-status";

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** One usable key. */
export interface Jwk {
  /** `kid`; empty when absent. */
  readonly kid: string;
  /** `alg`; empty when absent (then any algorithm of the key's type may use it). */
  readonly alg: string;
  /** `RSA`, `EC`, `OKP` or `oct`. */
  readonly kty: string;
  /** `crv` of EC and OKP keys. */
  readonly crv: string;
  /** The key. */
  readonly key: KeyObject;
}

/** A key set: its usable keys. */
export interface Jwks {
  /** The usable keys, in the set's order. */
  readonly keys: readonly Jwk[];
}

/** Reads `text` as a key set; a {@link JwtStatus} says why it has no usable key. */
export function parseJwks(text: string): Jwks | JwtStatus {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return JwtStatus.JwksParseError;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return JwtStatus.JwksParseError;
  const record = parsed as Record<string, unknown>;
  if (!("keys" in record)) return JwtStatus.JwksNoKeys;
  if (!Array.isArray(record.keys)) return JwtStatus.JwksBadKeys;
  const keys: Jwk[] = [];
  for (const entry of record.keys as unknown[]) {
    const jwk = toJwk(entry);
    if (jwk !== undefined) keys.push(jwk);
  }
  if (keys.length === 0) return JwtStatus.JwksNoValidKeys;
  return { keys };
}

function toJwk(entry: unknown): Jwk | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
  const e = entry as Record<string, unknown>;
  const kty = e.kty;
  if (kty !== "RSA" && kty !== "EC" && kty !== "OKP" && kty !== "oct") return undefined;
  const kid = typeof e.kid === "string" ? e.kid : "";
  const alg = typeof e.alg === "string" ? e.alg : "";
  const crv = typeof e.crv === "string" ? e.crv : "";
  // node:crypto reads members that are not base64url as empty numbers: Envoy refuses such keys.
  const members = kty === "RSA" ? ["n", "e"] : kty === "EC" ? ["x", "y"] : kty === "OKP" ? ["x"] : ["k"];
  if (!members.every((m) => typeof e[m] === "string" && BASE64URL.test(e[m]))) return undefined;
  try {
    if (kty === "oct") {
      if (typeof e.k !== "string") return undefined;
      return { kid, alg, kty, crv, key: createSecretKey(Buffer.from(e.k, "base64url")) };
    }
    // Only the public members: a set that also holds a private key still verifies with its public half.
    const jwk =
      kty === "RSA"
        ? { kty, n: e.n, e: e.e }
        : { kty, crv: e.crv, x: e.x, ...(kty === "EC" ? { y: e.y } : {}) };
    const key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    return { kid, alg, kty, crv, key };
  } catch {
    return undefined;
  }
}
