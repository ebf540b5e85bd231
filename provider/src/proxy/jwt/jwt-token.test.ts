import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JwtStatus } from "./jwt-status";
import { audiencesAllowed, checkTimes, parseJwt } from "./jwt-token";
import type { Jwt } from "./jwt-token";

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const tok = (header: unknown, payload: unknown, sig = "c2ln") => `${b64(header)}.${b64(payload)}.${sig}`;
const RS = { alg: "RS256" };

describe("parseJwt", () => {
  const cases: Array<[name: string, token: string, status: JwtStatus]> = [
    ["two sections", "a.b", JwtStatus.JwtBadFormat],
    ["four sections", "a.b.c.d", JwtStatus.JwtBadFormat],
    ["a header that is not base64url", `a+b.${b64({})}.c2ln`, JwtStatus.JwtHeaderParseErrorBadBase64],
    ["a header that is not JSON", `${b64("nope")}.${b64({})}.c2ln`, JwtStatus.JwtHeaderParseErrorBadJson],
    ["no alg", tok({ typ: "JWT" }, {}), JwtStatus.JwtHeaderBadAlg],
    ["alg none", tok({ alg: "none" }, {}), JwtStatus.JwtHeaderNotImplementedAlg],
    ["a numeric kid", tok({ alg: "RS256", kid: 1 }, {}), JwtStatus.JwtHeaderBadKid],
    ["a payload that is not JSON", `${b64(RS)}.${b64("[")}.c2ln`, JwtStatus.JwtPayloadParseErrorBadJson],
    ["a numeric iss", tok(RS, { iss: 1 }), JwtStatus.JwtPayloadParseErrorIssNotString],
    ["a numeric sub", tok(RS, { sub: 1 }), JwtStatus.JwtPayloadParseErrorSubNotString],
    ["a fractional exp", tok(RS, { exp: 1.5 }), JwtStatus.JwtPayloadParseErrorExpNotInteger],
    ["a negative nbf", tok(RS, { nbf: -1 }), JwtStatus.JwtPayloadParseErrorNbfOutOfRange],
    ["a string iat", tok(RS, { iat: "now" }), JwtStatus.JwtPayloadParseErrorIatNotInteger],
    ["a numeric aud", tok(RS, { aud: 7 }), JwtStatus.JwtPayloadParseErrorAudNotString],
    [
      "a signature that is not base64url",
      `${b64(RS)}.${b64({})}.a/b`,
      JwtStatus.JwtSignatureParseErrorBadBase64,
    ],
  ];
  for (const [name, token, status] of cases)
    it(`refuses ${name}`, () => assert.equal(parseJwt(token), status));

  it("reads the registered claims, aud as a list, and keeps the payload as sent", () => {
    const token = tok(
      { alg: "ES256", kid: "k1" },
      { iss: "i", sub: "s", aud: "a", exp: 20, nbf: 10, x: [1] },
    );
    const jwt = parseJwt(token) as Jwt;
    assert.deepEqual(
      [
        jwt.alg,
        jwt.kid,
        jwt.iss,
        jwt.sub,
        jwt.audiences,
        jwt.exp,
        jwt.nbf,
        jwt.payload,
        jwt.payloadBase64url,
      ],
      [
        "ES256",
        "k1",
        "i",
        "s",
        ["a"],
        20,
        10,
        { iss: "i", sub: "s", aud: "a", exp: 20, nbf: 10, x: [1] },
        token.split(".")[1],
      ],
    );
    assert.equal(jwt.signedInput, token.split(".").slice(0, 2).join("."));
  });
});

describe("checkTimes", () => {
  const jwt = (exp: number, nbf: number) => ({ ...(parseJwt(tok(RS, {})) as Jwt), exp, nbf });
  const cases: Array<[name: string, exp: number, nbf: number, now: number, status: JwtStatus]> = [
    ["no exp or nbf", 0, 0, 1000, JwtStatus.Ok],
    ["exp passed within the 60s skew", 1000, 0, 1060, JwtStatus.Ok],
    ["exp passed beyond the skew", 1000, 0, 1061, JwtStatus.JwtExpired],
    ["nbf ahead within the skew", 0, 1060, 1000, JwtStatus.Ok],
    ["nbf ahead beyond the skew", 0, 1061, 1000, JwtStatus.JwtNotYetValid],
  ];
  for (const [name, exp, nbf, now, status] of cases)
    it(name, () => assert.equal(checkTimes(jwt(exp, nbf), now), status));
});

describe("audiencesAllowed", () => {
  const jwt = (aud: unknown) => parseJwt(tok(RS, aud === undefined ? {} : { aud })) as Jwt;
  it("allows any token when the rule has no audiences", () =>
    assert.equal(audiencesAllowed(jwt(undefined), []), true));
  it("refuses a token without aud when the rule has audiences", () =>
    assert.equal(audiencesAllowed(jwt(undefined), ["a"]), false));
  it("compares without scheme and trailing slash, as Envoy's CheckAudience", () =>
    assert.deepEqual(
      [
        audiencesAllowed(jwt("https://bookinfo.com/"), ["bookinfo.com"]),
        audiencesAllowed(jwt(["x", "bookinfo.com"]), ["http://bookinfo.com"]),
        audiencesAllowed(jwt("bookinfo.org"), ["bookinfo.com"]),
      ],
      [true, true, false],
    ));
});
