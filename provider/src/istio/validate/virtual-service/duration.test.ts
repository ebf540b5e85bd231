import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, validateDuration } from "./duration";

test("parseDuration reads Go's duration syntax into nanoseconds", () => {
  const cases: Array<[string, bigint | undefined]> = [
    ["0", 0n],
    ["1s", 1_000_000_000n],
    ["1.5s", 1_500_000_000n],
    ["250ms", 250_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1m30.5s", 90_500_000_000n],
    ["2us", 2_000n],
    ["2\u00b5s", 2_000n],
    ["3ns", 3n],
    [".5s", 500_000_000n],
    ["5.s", 5_000_000_000n],
    ["-1s", -1_000_000_000n],
    ["+1s", 1_000_000_000n],
    ["1.0000000009s", 1_000_000_000n],
    ["", undefined],
    ["1", undefined],
    ["s", undefined],
    [".s", undefined],
    ["1d", undefined],
    ["1s ", undefined],
    ["3000000h", undefined],
  ];
  assert.deepEqual(
    cases.map(([text]) => [text, parseDuration(text)]),
    cases,
  );
});

test("validateDuration wants at least 1ms in whole milliseconds", () => {
  const cases: Array<[unknown, string | undefined]> = [
    ["1ms", undefined],
    ["10s", undefined],
    ["1.001s", undefined],
    ["0s", 'must be at least 1ms (got "0s")'],
    ["999us", 'must be at least 1ms (got "999us")'],
    ["-5s", 'must be at least 1ms (got "-5s")'],
    ["1.0005s", 'must be a whole number of milliseconds (got "1.0005s")'],
    ["ten seconds", 'must be a duration such as "10s", "1.5s" or "250ms" (got "ten seconds")'],
    [10, 'must be a duration such as "10s", "1.5s" or "250ms" (got 10)'],
  ];
  assert.deepEqual(
    cases.map(([text]) => [text, validateDuration(text)]),
    cases,
  );
});
