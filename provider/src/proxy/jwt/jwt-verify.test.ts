import assert from "node:assert/strict";
import { constants, createHmac, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { describe, it } from "node:test";
import { parseJwks } from "./jwks";
import type { Jwks } from "./jwks";
import { JwtStatus } from "./jwt-status";
import { parseJwt } from "./jwt-token";
import type { Jwt } from "./jwt-token";
import { verifySignature } from "./jwt-verify";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

function signed(alg: string, key: KeyObject | Buffer, kid = "k"): Jwt {
  const input = `${b64({ alg, kid })}.${b64({ iss: "i", sub: "s" })}`;
  const data = Buffer.from(input);
  const hash = `sha${alg.slice(2)}`;
  let sig: Buffer;
  if (alg.startsWith("HS"))
    sig = createHmac(hash, key as Buffer)
      .update(data)
      .digest();
  else if (alg === "EdDSA") sig = sign(null, data, key as KeyObject);
  else if (alg.startsWith("ES")) sig = sign(hash, data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
  else if (alg.startsWith("PS"))
    sig = sign(hash, data, {
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    });
  else sig = sign(hash, data, key as KeyObject);
  return parseJwt(`${input}.${sig.toString("base64url")}`) as Jwt;
}

function set(...keys: Record<string, unknown>[]): Jwks {
  return parseJwks(JSON.stringify({ keys })) as Jwks;
}

describe("verifySignature", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const rsaJwk = { ...rsa.publicKey.export({ format: "jwk" }), kid: "k" };
  const curves: Array<[alg: string, curve: string]> = [
    ["ES256", "P-256"],
    ["ES384", "P-384"],
    ["ES512", "P-521"],
  ];

  for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]) {
    it(`verifies ${alg} with an RSA key, and fails a token of another key`, () => {
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      assert.deepEqual(
        [
          verifySignature(signed(alg, rsa.privateKey), set(rsaJwk)),
          verifySignature(signed(alg, other), set(rsaJwk)),
        ],
        [JwtStatus.Ok, JwtStatus.JwtVerificationFail],
      );
    });
  }

  for (const [alg, curve] of curves) {
    it(`verifies ${alg} with a ${curve} key`, () => {
      const ec = generateKeyPairSync("ec", { namedCurve: curve });
      const jwk = { ...ec.publicKey.export({ format: "jwk" }), kid: "k" };
      assert.equal(verifySignature(signed(alg, ec.privateKey), set(jwk)), JwtStatus.Ok);
    });
  }

  it("verifies EdDSA with an Ed25519 key", () => {
    const ed = generateKeyPairSync("ed25519");
    const jwk = { ...ed.publicKey.export({ format: "jwk" }), kid: "k" };
    assert.equal(verifySignature(signed("EdDSA", ed.privateKey), set(jwk)), JwtStatus.Ok);
  });

  it("verifies HS256 with an oct key", () => {
    const secret = randomBytes(32);
    const jwk = { kty: "oct", k: secret.toString("base64url"), kid: "k" };
    assert.equal(verifySignature(signed("HS256", secret), set(jwk)), JwtStatus.Ok);
  });

  it("says no key matches when every key has another kid or alg", () => {
    assert.deepEqual(
      [
        verifySignature(signed("RS256", rsa.privateKey, "other"), set(rsaJwk)),
        verifySignature(signed("RS256", rsa.privateKey), set({ ...rsaJwk, alg: "RS384" })),
      ],
      [JwtStatus.JwksKidAlgMismatch, JwtStatus.JwksKidAlgMismatch],
    );
  });

  it("tries a key without kid for a token with one, and a key of the wrong type fails verification", () => {
    const { kid: _kid, ...noKid } = rsaJwk;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ecJwk = { ...ec.publicKey.export({ format: "jwk" }), kid: "k" };
    assert.deepEqual(
      [
        verifySignature(signed("RS256", rsa.privateKey), set(noKid)),
        verifySignature(signed("RS256", rsa.privateKey), set(ecJwk)),
      ],
      [JwtStatus.Ok, JwtStatus.JwtVerificationFail],
    );
  });
});

describe("parseJwks", () => {
  it("reads sets as Envoy does: bad JSON, no keys, keys not a list, no usable key", () =>
    assert.deepEqual(
      [
        parseJwks("{"),
        parseJwks("{}"),
        parseJwks('{"keys": {}}'),
        parseJwks('{"keys": [{"kty": "RSA", "n": "!", "e": "AQAB"}, {"kty": "XYZ"}]}'),
      ],
      [JwtStatus.JwksParseError, JwtStatus.JwksNoKeys, JwtStatus.JwksBadKeys, JwtStatus.JwksNoValidKeys],
    ));
});
