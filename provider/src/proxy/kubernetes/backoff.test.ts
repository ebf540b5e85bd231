import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff";

describe("backoffDelay", () => {
  const middle = () => 0.5; // no jitter either way

  it("doubles from the initial delay up to the bound and stays there", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1e6].map((n) =>
      backoffDelay(DEFAULT_BACKOFF, n, middle),
    );
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
  });

  it("spreads by the jitter fraction and never past the bound", () => {
    const policy = { initialMs: 1000, maxMs: 1500, jitter: 0.1 };
    assert.deepEqual(
      [
        backoffDelay(policy, 1, () => 0),
        backoffDelay(policy, 1, () => 1),
        backoffDelay(policy, 2, () => 0),
        backoffDelay(policy, 2, () => 1),
      ],
      [900, 1100, 1350, 1500],
    );
  });

  it("treats attempt 0 and negative attempts as the first", () => {
    const policy = { initialMs: 100, maxMs: 1000, jitter: 0 };
    assert.deepEqual([backoffDelay(policy, 0), backoffDelay(policy, -3)], [100, 100]);
  });
});
