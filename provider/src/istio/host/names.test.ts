import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { intersection, namesForNamespace, sanitizeServerHosts } from "./names";

describe("intersection", () => {
  const cases: Array<[string[], string[], string[]]> = [
    [["*.example.com"], ["a.example.com"], ["a.example.com"]],
    [["foo.bar"], ["*"], ["foo.bar"]],
    [["a.com", "a.com"], ["*.com"], ["a.com"]],
    [["*.com", "*"], ["a.com"], ["a.com"]],
    [["a.com", "*.b.com"], ["*.com"], ["a.com", "*.b.com"]],
  ];
  for (const [a, b, want] of cases) {
    it(`${JSON.stringify(a)} ∩ ${JSON.stringify(b)}`, () => assert.deepEqual(intersection(a, b), want));
  }
});

describe("namesForNamespace", () => {
  const cases: Array<[string[], string, string[]]> = [
    [["istio-system/a.com", "default/b.com", "*/c.com", "d.com"], "default", ["b.com", "c.com", "d.com"]],
    [["./a.com"], "default", []],
    [["*/*"], "any", ["*"]],
  ];
  for (const [hosts, ns, want] of cases) {
    it(`${JSON.stringify(hosts)} in ${ns}`, () => assert.deepEqual(namesForNamespace(hosts, ns), want));
  }
});

describe("sanitizeServerHosts", () => {
  const cases: Array<[string[], string[]]> = [
    [
      ["./a.com", "*/b.com", "other/c.com", "d.com"],
      ["istio-system/a.com", "b.com", "other/c.com", "d.com"],
    ],
    [["a.com", "*/*", "b.com"], ["*"]],
    [["./*"], ["istio-system/*"]],
    [[], []],
  ];
  for (const [hosts, want] of cases) {
    it(JSON.stringify(hosts), () => assert.deepEqual(sanitizeServerHosts(hosts, "istio-system"), want));
  }

  it("binds as the catalogue's namespace table says (gateway in istio-system)", () => {
    const server = ["testing-01.com", "*/testing-01.com", "./testing-01.com", "default/testing-01.com"];
    const visible = (h: string, ns: string): boolean =>
      namesForNamespace(sanitizeServerHosts([h], "istio-system"), ns).length > 0;
    assert.deepEqual(
      server.map((h) => [visible(h, "istio-system"), visible(h, "default")]),
      [
        [true, true],
        [true, true],
        [true, false],
        [false, true],
      ],
    );
  });
});
