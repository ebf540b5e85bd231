/**
 * A token's signature against a key set, as Envoy's `verifyJwtWithoutTimeChecking` does it: the
 * keys whose `kid` (when both have one) and `alg` (when the key has one) agree with the token are
 * tried in turn; none agreeing is a key mismatch, none verifying a verification failure.
 */
import { constants, createHmac, timingSafeEqual, verify } from "node:crypto";
import type { Jwk, Jwks } from "./jwks";
import { JwtStatus } from "./jwt-status";
import type { Jwt } from "./jwt-token";

const HASHES: Readonly<Record<string, string>> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/** The curve each ES algorithm signs with. */
const EC_CURVES: Readonly<Record<string, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

/** Verifies `jwt`'s signature with the keys of `jwks`. */
export function verifySignature(jwt: Jwt, jwks: Jwks): JwtStatus {
  let matched = false;
  for (const jwk of jwks.keys) {
    if (jwt.kid !== "" && jwk.kid !== "" && jwk.kid !== jwt.kid) continue;
    if (jwk.alg !== "" && jwk.alg !== jwt.alg) continue;
    matched = true;
    if (verifyWith(jwt, jwk)) return JwtStatus.Ok;
  }
  return matched ? JwtStatus.JwtVerificationFail : JwtStatus.JwksKidAlgMismatch;
}

function verifyWith(jwt: Jwt, jwk: Jwk): boolean {
  const data = Buffer.from(jwt.signedInput, "latin1");
  const family = jwt.alg.slice(0, 2);
  const hash = HASHES[jwt.alg.slice(2)];
  try {
    if ((family === "RS" || family === "PS") && jwk.kty === "RSA" && hash !== undefined) {
      return verify(
        hash,
        data,
        family === "PS"
          ? {
              key: jwk.key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : jwk.key,
        jwt.signature,
      );
    }
    if (family === "ES" && jwk.kty === "EC" && hash !== undefined) {
      if (jwk.crv !== EC_CURVES[jwt.alg]) return false;
      // JWS signs with the raw r||s form, not DER.
      return verify(hash, data, { key: jwk.key, dsaEncoding: "ieee-p1363" }, jwt.signature);
    }
    if (jwt.alg === "EdDSA" && jwk.kty === "OKP") {
      return verify(null, data, jwk.key, jwt.signature);
    }
    if (family === "HS" && jwk.kty === "oct" && hash !== undefined) {
      const mac = createHmac(hash, jwk.key).update(data).digest();
      return mac.length === jwt.signature.length && timingSafeEqual(mac, jwt.signature);
    }
  } catch {
    return false;
  }
  return false;
}
