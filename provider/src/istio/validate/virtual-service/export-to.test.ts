import { test } from "node:test";
import assert from "node:assert/strict";
import { validateExportTo } from "./export-to";
import type { ExportToOptions, ExportToProblem } from "./export-to";

test("validateExportTo judges exportTo as Istio does for every kind", () => {
  const cases: Array<[string[] | undefined, ExportToOptions, ExportToProblem[]]> = [
    [undefined, {}, []],
    [[".", "istio-system"], {}, []],
    [["*"], {}, []],
    [
      ["Not_A_Namespace"],
      {},
      [
        {
          kind: "invalid",
          index: 0,
          message: 'must be ".", "*" or a namespace name (a DNS-1123 label) (got "Not_A_Namespace")',
        },
      ],
    ],
    [
      ["~"],
      {},
      [
        {
          kind: "none",
          index: 0,
          message: 'must not be "~" (visible to no one), which only ServiceEntries allow (got "~")',
        },
      ],
    ],
    [["~"], { serviceEntry: true }, []],
    [
      ["~", "ns1"],
      { serviceEntry: true },
      [{ kind: "none-and-other", message: 'must be "~" alone or list no "~" (got ["~","ns1"])' }],
    ],
    [["ns1", "ns1"], {}, [{ kind: "duplicate", index: 1, message: 'must not be repeated (got "ns1")' }]],
    [
      ["ns5", "."],
      {},
      [
        {
          kind: "duplicate",
          index: 1,
          message: 'must not repeat the own namespace: "." and "ns5" are the same (got ".")',
        },
      ],
    ],
    [[".", "ns5"], {}, [{ kind: "duplicate", index: 1, message: 'must not be repeated (got "ns5")' }]],
    [
      ["*", "ns1"],
      {},
      [{ kind: "public-and-other", message: 'must be "*" alone or list no "*" (got ["*","ns1"])' }],
    ],
    [["."], { workloadSelector: true }, []],
    [
      [".", "ns1"],
      { workloadSelector: true },
      [
        {
          kind: "selector-scope",
          message: 'must list nothing but the own namespace when workloadSelector is set (got [".","ns1"])',
        },
      ],
    ],
    [
      ["ns1"],
      { workloadSelector: true },
      [
        {
          kind: "selector-scope",
          message: 'must only list the own namespace when workloadSelector is set (got ["ns1"])',
        },
      ],
    ],
  ];
  assert.deepEqual(
    cases.map(([exportTo, options]) => [exportTo, options, validateExportTo("ns5", exportTo, options)]),
    cases,
  );
});
