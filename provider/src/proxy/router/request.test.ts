import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizePath } from "./path";
import { headerValue, parseQuery, splitPathAndQuery } from "./request";
import type { RouteRequest } from "./request";

test("normalizePath canonicalizes as Envoy's normalize_path does", () => {
  const cases: [string, string | undefined][] = [
    // Dot segments, as RFC 3986 removes them; never above the root.
    ["/a/b/../c", "/a/c"],
    ["/a/./b", "/a/b"],
    ["/a/..", "/"],
    ["/..", "/"],
    ["/../a/b", "/a/b"],
    ["/./a/b", "/a/b"],
    ["/a/b/../../../../c", "/c"],
    ["/static/../admin", "/admin"],
    ["/a/.", "/a/"],
    // Dots written as escapes are dots, in either hex case.
    ["/a/b/%2E%2E/c", "/a/c"],
    ["/a/b/%2e%2e/c", "/a/c"],
    ["/a/b/%2E./c", "/a/c"],
    ["/a/b/%2E/c", "/a/b/c"],
    ["/static/%2e%2e/admin", "/admin"],
    // A backslash is a slash, also in a dot segment.
    ["/a/..\\c", "/c"],
    ["/a\\b", "/a/b"],
    // Unreserved characters are decoded; other escapes kept as written.
    ["/%61dmin", "/admin"],
    ["/a/%7Euser/%2D%5F", "/a/~user/-_"],
    ["/a/%2F%2f/c", "/a/%2F%2f/c"],
    ["/%c0%af", "/%c0%af"],
    ["/%5c%25", "/%5c%25"],
    // A stray percent is kept; decoding after it never makes it an escape.
    ["/a%zz", "/a%zz"],
    ["/100%", "/100%"],
    ["/%%30%30", "/%2500"],
    ["/%%30", "/%0"],
    ["/%%3041", "/%25041"],
    // Characters a path may not hold as they are, escaped.
    ['/a b"<>^`{|}', "/a%20b%22%3C%3E%5E%60%7B%7C%7D"],
    ["/caf\u00e9", "/caf%E9"],
    // Kept as they are.
    ["/a//b", "/a//b"],
    ["/a/", "/a/"],
    ["/", "/"],
    ["/.well-known/acme", "/.well-known/acme"],
    ["/a/..b/.c/...", "/a/..b/.c/..."],
    ["/v1.2/file.txt", "/v1.2/file.txt"],
    ["/A/B/C", "/A/B/C"],
    ["/a:b;c=d,e!$&'()*+@[]", "/a:b;c=d,e!$&'()*+@[]"],
    ["rel/../x", "rel/../x"],
    // A NUL, as it is or escaped, is refused.
    ["/xyz/.%00../abc", undefined],
    ["/xyz/%00.%00./abc", undefined],
    ["/a\u0000b", undefined],
  ];
  assert.deepEqual(
    cases.map(([path]) => [path, normalizePath(path)]),
    cases,
  );
});

test("splitPathAndQuery and parseQuery", () => {
  assert.deepEqual(splitPathAndQuery("/p?a=1&b#frag"), { path: "/p", query: "a=1&b" });
  assert.deepEqual(splitPathAndQuery("/p#f?x"), { path: "/p", query: "" });
  assert.deepEqual(
    [...parseQuery("a=1&&b&a=2&c=x=y")],
    [
      ["a", "1"],
      ["b", ""],
      ["c", "x=y"],
    ],
  );
});

test("headerValue reads only the request's own headers, whatever their names", () => {
  const request: RouteRequest = {
    method: "GET",
    path: "/",
    query: "",
    headers: Object.defineProperty({ "x-a": ["1", "2"] }, "__proto__", { value: "p", enumerable: true }),
    scheme: "http",
    authority: "a.test",
    port: 80,
  };
  assert.deepEqual(
    ["x-a", "__proto__", "constructor", "host"].map((name) => headerValue(request, name)),
    ["1,2", "p", undefined, "a.test"],
  );
});
