import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isExportedTo } from "./visibility";

describe("isExportedTo", () => {
  // [exportTo, own namespace, viewer namespace, visible]
  const cases: Array<[string[] | undefined, string, string, boolean]> = [
    [undefined, "default", "istio-system", true],
    [[], "default", "istio-system", true],
    [["*"], "default", "istio-system", true],
    [["."], "default", "istio-system", false],
    [["."], "istio-system", "istio-system", true],
    [["istio-system"], "default", "istio-system", true],
    [["other"], "default", "istio-system", false],
    [[".", "istio-system"], "default", "istio-system", true],
  ];
  for (const [exportTo, own, viewer, want] of cases) {
    it(`${JSON.stringify(exportTo)} from ${own} seen by ${viewer}: ${want}`, () =>
      assert.equal(isExportedTo(exportTo, own, viewer), want));
  }
});
