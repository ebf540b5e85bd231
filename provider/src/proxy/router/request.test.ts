import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizePath } from "./path";
import { parseQuery, splitPathAndQuery } from "./request";

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
