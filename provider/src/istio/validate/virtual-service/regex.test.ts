import { test } from "node:test";
import assert from "node:assert/strict";
import { validateRegex } from "./regex";

test("regular expressions must compile as RE2 and fit in 1024 bytes", () => {
  const cases: Array<[string, string | undefined]> = [
    ["/api/v[0-9]+/.*", undefined],
    ["(?i)^/Login$", undefined],
    ["(?P<version>v[0-9])", undefined],
    ["a".repeat(1024), undefined],
    ["a".repeat(1025), "must be at most 1024 bytes (got 1025 bytes)"],
    ["\u00e9".repeat(513), "must be at most 1024 bytes (got 1026 bytes)"],
    ["?", 'must be a valid RE2 regular expression: missing argument to repetition operator in "?" (got "?")'],
    ["(a", 'must be a valid RE2 regular expression: missing closing ) in "(a" (got "(a")'],
    [
      "a(?=b)",
      'must be a valid RE2 regular expression: invalid or unsupported Perl syntax in "(?=" (got "a(?=b)")',
    ],
    ["(a)\\1", 'must be a valid RE2 regular expression: invalid escape sequence in "\\\\1" (got "(a)\\\\1")'],
  ];
  assert.deepEqual(
    cases.map(([re]) => [re, validateRegex(re)]),
    cases,
  );
});
