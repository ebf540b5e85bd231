import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectorMatches, selectorString } from "./selector";

describe("selectorMatches", () => {
  const pod = { istio: "ingressgateway", app: "gw" };
  const cases: Array<[Record<string, string> | undefined, Record<string, string>, boolean]> = [
    [undefined, pod, true],
    [{}, pod, true],
    [{ istio: "ingressgateway" }, pod, true],
    [{ istio: "ingressgateway", app: "gw" }, pod, true],
    [{ istio: "egressgateway" }, pod, false],
    [{ istio: "ingressgateway", extra: "x" }, pod, false],
    [{ istio: "ingressgateway" }, {}, false],
  ];
  for (const [selector, labels, want] of cases) {
    it(`${JSON.stringify(selector)} on ${JSON.stringify(labels)}: ${want}`, () =>
      assert.equal(selectorMatches(selector, labels), want));
  }
});

describe("selectorString", () => {
  it("sorts keys", () => assert.equal(selectorString({ b: "2", a: "1" }), "a=1,b=2"));
  it("is empty for no selector", () => assert.equal(selectorString(undefined), ""));
});
