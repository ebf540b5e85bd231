import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestHeaders } from "./request-headers";

describe("requestHeaders", () => {
  const cases: [string, string[], Record<string, string | string[]>][] = [
    ["lower-cases names", ["Host", "a.test", "X-Mixed-Case", "v"], { host: "a.test", "x-mixed-case": "v" }],
    [
      "joins a repeated header with commas, as Envoy",
      ["x-a", "1", "X-A", "2", "x-a", "3"],
      { "x-a": "1,2,3" },
    ],
    ["joins cookies with semicolons", ["cookie", "a=1", "Cookie", "b=2"], { cookie: "a=1; b=2" }],
    ["lists every set-cookie", ["set-cookie", "a=1", "set-cookie", "b=2"], { "set-cookie": ["a=1", "b=2"] }],
    [
      "loses no value of a header node:http would keep once",
      ["user-agent", "one", "authorization", "x", "user-agent", "two", "authorization", "y"],
      { "user-agent": "one,two", authorization: "x,y" },
    ],
    [
      "keeps the first content-length",
      ["content-length", "3", "Content-Length", "3"],
      { "content-length": "3" },
    ],
    ["drops a repeated referer whole", ["referer", "/a", "x-a", "1", "Referer", "/b"], { "x-a": "1" }],
    ["keeps a lone referer", ["Referer", "/a"], { referer: "/a" }],
    ["keeps empty values", ["x-empty", ""], { "x-empty": "" }],
  ];
  for (const [name, raw, want] of cases) {
    it(name, () => assert.deepEqual({ ...requestHeaders(raw) }, want));
  }

  it("refuses a second host line, even with the same value", () => {
    assert.equal(requestHeaders(["host", "a.test", "Host", "b.test"]), undefined);
    assert.equal(requestHeaders(["host", "a.test", "x-a", "1", "host", "a.test"]), undefined);
  });

  it("keeps headers named like the object's own properties as headers", () => {
    const headers = requestHeaders([
      "__proto__",
      "x",
      "constructor",
      "c",
      "toString",
      "t",
      "Constructor",
      "d",
    ]);
    assert.ok(headers !== undefined);
    assert.equal(Object.getPrototypeOf(headers), Object.prototype);
    assert.deepEqual(Object.entries(headers), [
      ["__proto__", "x"],
      ["constructor", "c,d"],
      ["tostring", "t"],
    ]);
  });
});
