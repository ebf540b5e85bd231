import assert from "node:assert/strict";
import { test } from "node:test";
import type { RewritePolicy, RouteMatch } from "../../istio/translate/proxy-config";
import { forward, NO_HEADERS, route } from "./fixtures";
import { compileRoute } from "./route-config";
import { rewriteAuthority, rewritePath } from "./rewrite";

const cases: [string, Partial<RouteMatch>, RewritePolicy, string, string][] = [
  [
    "prefix match: prefix replaced",
    { uri: { kind: "prefix", value: "/api" } },
    { uri: "/v2" },
    "/api/items",
    "/v2/items",
  ],
  ["prefix match to /", { uri: { kind: "prefix", value: "/api/" } }, { uri: "/" }, "/api/items", "/items"],
  [
    "case-insensitive prefix: matched length replaced",
    { uri: { kind: "prefix", value: "/API" }, ignoreUriCase: true },
    { uri: "/v2" },
    "/api/x",
    "/v2/x",
  ],
  ["exact match: whole path", { uri: { kind: "exact", value: "/old" } }, { uri: "/new" }, "/old", "/new"],
  ["regex match: whole path", { uri: { kind: "regex", regex: "/o.*" } }, { uri: "/new" }, "/old/x", "/new"],
  ["no uri condition: the leading / (Envoy's prefix /)", {}, { uri: "/new" }, "/old", "/newold"],
  [
    "uriRegexRewrite with back-references",
    {},
    { uriRegex: { pattern: "^/service/([^/]+)(/.*)$", substitution: "\\2/instance/\\1" } },
    "/service/foo/v1/api",
    "/v1/api/instance/foo",
  ],
  [
    "uriRegexRewrite replaces every match",
    {},
    { uriRegex: { pattern: "a", substitution: "b" } },
    "/aaa",
    "/bbb",
  ],
  ["uriRegexRewrite, empty matches", {}, { uriRegex: { pattern: "x*", substitution: "-" } }, "/a", "-/-a-"],
  // RE2's GlobalReplace: no empty match where the previous match ended.
  [
    "uriRegexRewrite, no empty match right after a match",
    {},
    { uriRegex: { pattern: "x*", substitution: "-" } },
    "/xxa",
    "-/-a-",
  ],
  [
    "uriRegexRewrite, a trailing slash normalised",
    {},
    { uriRegex: { pattern: "/*$", substitution: "/" } },
    "/slash/b/",
    "/slash/b/",
  ],
  [
    "uriRegexRewrite, trailing slashes folded",
    {},
    { uriRegex: { pattern: "/*$", substitution: "/" } },
    "/slash/a//",
    "/slash/a/",
  ],
  [
    "uriRegexRewrite, an empty match steps over a surrogate pair whole",
    {},
    { uriRegex: { pattern: "x*", substitution: "-" } },
    "/\u{1F600}",
    "-/-\u{1F600}-",
  ],
  ["authority only: path unchanged", {}, { authority: "b.com" }, "/p", "/p"],
];

for (const [name, match, rewrite, path, want] of cases) {
  test(`rewritePath: ${name}`, () => {
    assert.equal(
      rewritePath(compileRoute(route("r", { match, action: forward([["c", 1]], { rewrite }) })), path),
      want,
    );
  });
}

test("rewriteAuthority: the route's authority wins over a destination's, which stands alone", () => {
  const r = compileRoute(
    route("r", {
      action: {
        ...forward([["c", 1]], { rewrite: { authority: "route.com" } }),
        clusters: [
          { cluster: "a", weight: 1, headers: NO_HEADERS, authority: "dest.com" },
          { cluster: "b", weight: 1, headers: NO_HEADERS },
        ],
      },
    }),
  );
  assert.deepEqual(
    [rewriteAuthority(r, r.clusters[0]), rewriteAuthority(r, r.clusters[1]), rewriteAuthority(r)],
    ["route.com", "route.com", "route.com"],
  );
  const own = compileRoute(
    route("own", {
      action: {
        ...forward([["c", 1]]),
        clusters: [{ cluster: "a", weight: 1, headers: NO_HEADERS, authority: "dest.com" }],
      },
    }),
  );
  assert.equal(rewriteAuthority(own, own.clusters[0]), "dest.com");
  assert.equal(rewriteAuthority(compileRoute(route("plain"))), undefined);
});
