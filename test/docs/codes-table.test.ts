import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { credentialCodes } from "../../provider/src/components/credential-rules";
import { codeTables } from "../../provider/src/istio/validate/codes";
import { allCodes, readmePath, renderCodesTable, withCodesTable } from "./codes-table";

describe("the table of codes", () => {
  it("is up to date in README.md (node --import tsx test/docs/codes-table.ts --write)", () => {
    const readme = readFileSync(readmePath, "utf8");
    assert.equal(withCodesTable(readme, renderCodesTable()), readme);
  });

  it("defines each code once, in the IGW form, with a summary in the house style", () => {
    const seen = new Map<string, number>();
    for (const table of [...codeTables, credentialCodes])
      for (const code of Object.keys(table)) seen.set(code, (seen.get(code) ?? 0) + 1);
    assert.deepEqual(
      [...seen].filter(([, n]) => n > 1),
      [],
    );
    for (const [code, info] of Object.entries(allCodes)) {
      assert.match(code, /^IGW\d{4}$/);
      if (info.istioCode !== undefined) assert.match(info.istioCode, /^IST\d{4}$/, code);
      // Lowercase start, except for an acronym or a kind's name; no trailing period.
      const start = /^(?:[^A-Z]|[A-Z]{2,}|(?:Gateway|VirtualService|DestinationRule|ServiceEntry|Secret)\b)/;
      assert.match(info.summary, start, `${code}: lowercase start`);
      assert.doesNotMatch(info.summary, /\.$/, `${code}: no trailing period`);
    }
  });
});
