import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, it } from "node:test";
import type { JwtProvider } from "../../istio/translate/jwt-authn";
import type { HeaderMap } from "../router/header-operations";
import { JwtAuthnFilter } from "./jwt-authn-filter";
import { JwksStore } from "./jwks-store";
import { JwtStatus } from "./jwt-status";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const JWKS = JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k" }] });
const NOW = 1_700_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

function token(payload: Record<string, unknown>): string {
  const input = `${b64({ alg: "ES256", kid: "k" })}.${b64(payload)}`;
  const sig = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

function provider(issuer: string, more: Partial<JwtProvider> = {}): JwtProvider {
  return {
    name: "",
    policy: "istio-system/p",
    ruleIndex: 0,
    issuer,
    audiences: [],
    jwks: JWKS,
    timeoutMs: 5000,
    fromHeaders: [],
    fromParams: [],
    fromCookies: [],
    forward: false,
    claimToHeaders: [],
    spaceDelimitedClaims: ["permission", "scope"],
    ...more,
  };
}

function filter(...providers: JwtProvider[]): JwtAuthnFilter {
  return new JwtAuthnFilter(
    { policies: ["istio-system/p"], providers: providers.map((p, i) => ({ ...p, name: `origins-${i}` })) },
    new JwksStore(),
  );
}

describe("JwtAuthnFilter", () => {
  it("gives the principal, audiences, presenter and claims, scope split into words", async () => {
    const headers: HeaderMap = {
      authorization: `Bearer ${token({ iss: "a", sub: "alice", aud: "x", azp: "web", scope: "read  write" })}`,
    };
    const r = await filter(provider("a")).authenticate({ headers, query: "" }, NOW);
    assert.deepEqual(r, {
      status: JwtStatus.Ok,
      auth: {
        principal: "a/alice",
        issuer: "a",
        subject: "alice",
        audiences: ["x"],
        presenter: "web",
        claims: { iss: "a", sub: "alice", aud: "x", azp: "web", scope: ["read", "write"] },
        provider: "origins-0",
      },
    });
    assert.deepEqual(headers, {});
  });

  it("with two issuers, passes a token either verifies, and reports what Envoy's requires-any keeps", async () => {
    const two = filter(provider("a"), provider("b"));
    const run = async (t: string | undefined) =>
      (
        await two.authenticate(
          { headers: t === undefined ? {} : { authorization: `Bearer ${t}` }, query: "" },
          NOW,
        )
      ).status;
    assert.deepEqual(
      [
        await run(token({ iss: "b", sub: "s" })),
        await run(undefined),
        await run(token({ iss: "c", sub: "s" })),
        await run(token({ iss: "b", sub: "s", exp: NOW - 3600 })),
        await run("deadbeef"),
      ],
      [JwtStatus.Ok, JwtStatus.Ok, JwtStatus.JwtUnknownIssuer, JwtStatus.JwtExpired, JwtStatus.JwtBadFormat],
    );
  });

  it("finds a token after its header prefix anywhere in the value, and only there", async () => {
    const f = filter(provider("a", { fromHeaders: [{ name: "x-auth", prefix: "Token " }] }));
    const t = token({ iss: "a", sub: "s" });
    const run = async (headers: HeaderMap) => (await f.authenticate({ headers, query: "" }, NOW)).status;
    assert.deepEqual(
      [
        await run({ "x-auth": `scheme=1, Token ${t};rest` }),
        await run({ "x-auth": `Bearer ${t}` }),
        await run({ authorization: "Bearer deadbeef" }),
      ],
      [JwtStatus.Ok, JwtStatus.Ok, JwtStatus.Ok],
    );
  });

  it("reads fromParams and fromCookies, and leaves them on the request", async () => {
    const f = filter(provider("a", { fromParams: ["tok"], fromCookies: ["session"] }));
    const t = token({ iss: "a", sub: "s" });
    const headers: HeaderMap = { cookie: `a=b; session="${t}"` };
    const byCookie = await f.authenticate({ headers, query: "" }, NOW);
    const byParam = await f.authenticate({ headers: {}, query: `x=1&tok=${t}` }, NOW);
    const bad = await f.authenticate({ headers: {}, query: "tok=deadbeef" }, NOW);
    assert.deepEqual(
      [byCookie.status, headers.cookie, byParam.status, bad.status],
      [JwtStatus.Ok, `a=b; session="${t}"`, JwtStatus.Ok, JwtStatus.JwtBadFormat],
    );
  });

  it("writes claims to headers as Envoy does: integers, booleans, objects as base64 JSON; nothing for strings left empty", async () => {
    const f = filter(
      provider("a", {
        claimToHeaders: [
          { header: "x-n", claim: "n" },
          { header: "x-f", claim: "f" },
          { header: "x-b", claim: "b" },
          { header: "x-o", claim: "o" },
          { header: "x-e", claim: "e" },
          { header: "x-missing", claim: "missing" },
        ],
      }),
    );
    const headers: HeaderMap = {
      authorization: `Bearer ${token({ iss: "a", n: 42, f: 1.5, b: true, o: { k: "v" }, e: "" })}`,
    };
    await f.authenticate({ headers, query: "" }, NOW);
    assert.deepEqual(headers, {
      "x-n": "42",
      "x-f": "1.500000",
      "x-b": "true",
      "x-o": Buffer.from('{"k":"v"}').toString("base64"),
    });
  });
});
