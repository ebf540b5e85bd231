import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDurationMs } from "./duration";

test("parseDurationMs reads Go duration strings as milliseconds", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["5s", 5000],
    ["250ms", 250],
    ["1.5s", 1500],
    ["1m30s", 90000],
    ["2h", 7200000],
    ["1500us", 1],
    ["0", 0],
    [undefined, undefined],
    ["", undefined],
    ["5", undefined],
    ["5 s", undefined],
    ["-1s", undefined],
  ];
  assert.deepEqual(
    cases.map(([text]) => [text, parseDurationMs(text)]),
    cases,
  );
});
