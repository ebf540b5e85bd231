import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareSpecificity, isWildcard, matches, moreSpecific, subsetOf } from "./name";
import { intersection } from "./names";

// The host matching table of the rule catalogue (§7): a, b, matches, a ⊆ b, intersection({a},{b}).
const table: Array<[string, string, boolean, boolean, string[]]> = [
  ["foo.com", "foo.com", true, true, ["foo.com"]],
  ["*.com", "foo.com", true, false, ["foo.com"]],
  ["foo.com", "*.com", true, true, ["foo.com"]],
  ["*.foo.com", "foo.com", false, false, []],
  ["*.foo.com", "bar.foo.com", true, false, ["bar.foo.com"]],
  ["*.com", "*.foo.com", true, false, ["*.foo.com"]],
  ["*.foo.com", "*.com", true, true, ["*.foo.com"]],
  ["*", "foo.com", true, false, ["foo.com"]],
  ["*", "", true, false, [""]],
  ["*", "*.com", true, false, ["*.com"]],
  ["*", "*", true, true, ["*"]],
  ["foo.bar.baz", "*.baz", true, true, ["foo.bar.baz"]],
  ["*.foo.bar.baz", "baz", false, false, []],
  ["a.facebook.com", "*.facebook.COM", false, false, []],
  ["bar.foo.com", "foo.com", false, false, []],
  ["*foo.com", "foo.com", true, false, ["foo.com"]],
];

describe("host matching (catalogue §7)", () => {
  for (const [a, b, m, s, i] of table) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`, () => {
      assert.deepEqual(
        {
          matches: matches(a, b),
          reverse: matches(b, a),
          subsetOf: subsetOf(a, b),
          intersection: intersection([a], [b]),
        },
        { matches: m, reverse: m, subsetOf: s, intersection: i },
      );
    });
  }
});

describe("isWildcard", () => {
  const cases: Array<[string, boolean]> = [
    ["*", true],
    ["*.foo.com", true],
    ["*foo.com", true],
    ["foo.*.com", false],
    ["", false],
    ["foo.com", false],
  ];
  for (const [h, want] of cases) it(JSON.stringify(h), () => assert.equal(isWildcard(h), want));
});

describe("moreSpecific", () => {
  const cases: Array<[string, string, boolean]> = [
    ["foo.com", "*.foo.com", true],
    ["*.foo.com", "foo.com", false],
    ["*.foo.com", "*.com", true],
    ["*.com", "*", true],
    ["*", "*.com", false],
    ["a.com", "b.com", true],
    ["b.com", "a.com", false],
    ["a.example.com", "b.com", true],
    // Length counts UTF-8 bytes, as in Go: "é" is two bytes, so "é.com" is the longer name.
    ["é.com", "a.com", true],
    ["a.com", "é.com", false],
    // Equal byte lengths compare byte-wise (code points), not by UTF-16 code units.
    ["\u{10000}", "\uffff.", false],
    ["", "", true],
  ];
  for (const [a, b, want] of cases) {
    it(`${JSON.stringify(a)} before ${JSON.stringify(b)}`, () => assert.equal(moreSpecific(a, b), want));
  }

  it("sorts exact, then longer wildcard suffixes, then *", () => {
    const hosts = ["*", "*.com", "foo.com", "*.foo.com", "bar.com", "baz.bar.com"];
    assert.deepEqual(hosts.sort(compareSpecificity), [
      "baz.bar.com",
      "bar.com",
      "foo.com",
      "*.foo.com",
      "*.com",
      "*",
    ]);
  });
});
