import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizePath } from "./path";
import { headerValue, parseQuery, splitPathAndQuery } from "./request";
import type { RouteRequest } from "./request";

test("normalizePath removes dot segments only", () => {
  assert.deepEqual(
    [
      "/a/b/../c",
      "/a/./b",
      "/a/..",
      "/..",
      "/static/../admin",
      "/a//b",
      "/a/",
      "/",
      "/a/%2e%2e/b",
      "rel/../x",
      "/.well-known/acme",
      "/a/..b/.c/...",
      "/v1.2/file.txt",
    ].map(normalizePath),
    [
      "/a/c",
      "/a/b",
      "/",
      "/",
      "/admin",
      "/a//b",
      "/a/",
      "/",
      "/a/%2e%2e/b",
      "rel/../x",
      "/.well-known/acme",
      "/a/..b/.c/...",
      "/v1.2/file.txt",
    ],
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
