import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestId } from "./request-id";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("requestId", () => {
  it("gives version 4 UUIDs in lower case, as crypto.randomUUID does", () => {
    for (let i = 0; i < 1000; i++) assert.match(requestId(), UUID_V4);
  });

  it("never repeats, across several refills of its random pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(requestId());
    assert.equal(seen.size, 2000);
  });

  it("uses every hex digit in every random position", () => {
    // 2,000 ids put each of 16 digits in each position about 125 times; a position stuck on a few
    // digits (a bad index into the pool, a lost nibble) would miss most of them.
    const ids = Array.from({ length: 2000 }, () => requestId());
    for (let at = 0; at < 36; at++) {
      if ([8, 13, 14, 18, 19, 23].includes(at)) continue; // dashes, the version, the variant
      const digits = new Set(ids.map((id) => id[at]));
      assert.equal(digits.size, 16, `position ${at}`);
    }
    assert.deepEqual(new Set(ids.map((id) => id[19])), new Set(["8", "9", "a", "b"]));
  });

  it("returns a string of its own, not a view the next id overwrites", () => {
    const first = requestId();
    const copy = `${first}`;
    requestId();
    assert.equal(first, copy);
  });
});
