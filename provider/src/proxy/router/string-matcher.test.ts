import assert from "node:assert/strict";
import { test } from "node:test";
import type { StringMatcher } from "../../istio/translate/proxy-config";
import { asciiLower, compileStringMatcher } from "./string-matcher";

const cases: [string, StringMatcher, boolean, string | undefined, boolean][] = [
  ["exact equal", { kind: "exact", value: "/a" }, false, "/a", true],
  ["exact differs", { kind: "exact", value: "/a" }, false, "/a/", false],
  ["exact case", { kind: "exact", value: "/A" }, false, "/a", false],
  ["exact ignoring case", { kind: "exact", value: "/A" }, true, "/a", true],
  ["exact absent", { kind: "exact", value: "" }, false, undefined, false],
  ["exact empty present", { kind: "exact", value: "" }, false, "", true],
  ["prefix", { kind: "prefix", value: "/static" }, false, "/staticfoo", true],
  ["prefix shorter input", { kind: "prefix", value: "/static" }, false, "/stat", false],
  ["prefix ignoring case", { kind: "prefix", value: "/Static" }, true, "/STATIC/x", true],
  ["empty prefix", { kind: "prefix", value: "" }, false, "anything", true],
  ["regex whole string", { kind: "regex", regex: "/a.*" }, false, "/abc", true],
  ["regex is anchored", { kind: "regex", regex: "b" }, false, "abc", false],
  ["regex keeps case under ignoreCase", { kind: "regex", regex: "/a" }, true, "/A", false],
  ["invalid regex never matches", { kind: "regex", regex: "(" }, false, "(", false],
  ["present", { kind: "present" }, false, "", true],
  ["present absent", { kind: "present" }, false, undefined, false],
];

for (const [name, m, ignoreCase, value, want] of cases) {
  test(`compileStringMatcher: ${name}`, () => {
    assert.equal(compileStringMatcher(m, ignoreCase)(value), want);
  });
}

test("compileStringMatcher: hostile regular expression and input finish in linear time", () => {
  const p = compileStringMatcher({ kind: "regex", regex: "(a+)+$" });
  const q = compileStringMatcher({ kind: "regex", regex: "(a|aa)*b" });
  const input = "a".repeat(200_000) + "!";
  const start = process.hrtime.bigint();
  assert.equal(p(input), false);
  assert.equal(q(input), false);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test("asciiLower folds ASCII capitals only, and returns a string already in lower case as it is", () => {
  assert.equal(asciiLower("Bench.Example.COM:8080"), "bench.example.com:8080");
  assert.equal(asciiLower("ÉCOLE.example"), "École.example");
  assert.equal(asciiLower("İstanbul"), "İstanbul");
  const lower = "already.lower.example";
  assert.equal(asciiLower(lower), lower);
  assert.equal(asciiLower(""), "");
});
