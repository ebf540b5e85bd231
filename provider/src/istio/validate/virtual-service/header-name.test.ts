import { test } from "node:test";
import assert from "node:assert/strict";
import { corsHeaderNameProblem, headerMatchNameProblem, isJwtClaimKey } from "./header-name";

test("header-match keys: tokens, pseudo headers and JWT claim keys", () => {
  const cases: Array<[string, string | undefined]> = [
    ["x-user", undefined],
    ["funky!$#_", undefined],
    // Istio's token class reads "+-." as a range, which takes in ",".
    ["x,y", undefined],
    [":authority", undefined],
    ["@request.auth.claims.groups", undefined],
    ["@Request.Auth.Claims[nested][key]", undefined],
    ["", 'must not be empty (got "")'],
    [
      ":custom",
      'must be an HTTP header name (an RFC 7230 token), a pseudo header or @request.auth.claims.<claim> (got ":custom")',
    ],
    [
      "@request.auth.claims",
      'must be an HTTP header name (an RFC 7230 token), a pseudo header or @request.auth.claims.<claim> (got "@request.auth.claims")',
    ],
  ];
  assert.deepEqual(
    cases.map(([name]) => [name, headerMatchNameProblem(name)]),
    cases,
  );
});

test("JWT claim keys use dots or brackets after the prefix", () => {
  assert.deepEqual(
    [
      "@request.auth.claims.a",
      "@request.auth.claims[a]",
      "@request.auth.claims.",
      "@request.auth.claims[]",
      "x-claims",
    ].map(isJwtClaimKey),
    [true, true, false, false, false],
  );
});

test("CORS header names: tokens or *", () => {
  assert.deepEqual(["*", "x-custom", "", "x custom"].map(corsHeaderNameProblem), [
    undefined,
    undefined,
    'must not be empty (got "")',
    'must be "*" or an HTTP header name (an RFC 7230 token) (got "x custom")',
  ]);
});
