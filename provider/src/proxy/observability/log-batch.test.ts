import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatBytes, LogBatch } from "./log-batch";

/** What `write` puts in a roomy batch, as text. */
function written(write: (batch: LogBatch) => void): string {
  const batch = new LogBatch(1 << 16);
  write(batch);
  assert.equal(batch.overflowed, false);
  return batch.written.toString("utf8");
}

test("strings are written as JSON.stringify writes them, in UTF-8 (property)", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.string()),
      (s) => {
        assert.equal(
          written((b) => b.string(s)),
          JSON.stringify(s),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test("numbers are written as JSON.stringify writes them, null when not finite (property)", () => {
  const special = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -1,
    0.5,
    1e21,
    1e-7,
    NaN,
    Infinity,
  ];
  for (const n of special)
    assert.equal(
      written((b) => b.number(n)),
      JSON.stringify(n),
      String(n),
    );
  fc.assert(
    fc.property(fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.maxSafeNat()), (n) => {
      assert.equal(
        written((b) => b.number(n)),
        JSON.stringify(n),
      );
    }),
    { numRuns: 2000 },
  );
});

test("every kind of write flags a batch it does not fit, and rolled back the batch is as it was", () => {
  const writes: [string, (b: LogBatch) => void][] = [
    ["ascii", (b) => b.ascii('"key":')],
    ["string", (b) => b.string("value")],
    ["escaped string", (b) => b.string('a "quoted" é')],
    ["number", (b) => b.number(12345)],
    ["fraction", (b) => b.number(0.25)],
    ["text", (b) => b.text("é\n")],
    ["raw", (b) => b.raw(Buffer.from("bytes"))],
  ];
  for (const [name, write] of writes) {
    const size = Buffer.byteLength(written(write));
    for (let room = 0; room < size; room++) {
      const batch = new LogBatch(2 + room);
      batch.ascii("{}");
      write(batch);
      assert.equal(batch.overflowed, true, `${name} in ${room} bytes`);
      batch.rollBack(2);
      assert.equal(batch.written.toString(), "{}");
      assert.equal(batch.overflowed, false);
    }
    const exact = new LogBatch(2 + size);
    exact.ascii("{}");
    write(exact);
    assert.equal(exact.overflowed, false, `${name} in exactly its ${size} bytes`);
    assert.equal(exact.written.toString(), "{}" + written(write));
  }
});

test("formatBytes doubles the batch until what it formats fits", () => {
  const long = "x".repeat(5000);
  const bytes = formatBytes((b) => b.string(long), 16);
  assert.equal(bytes.toString(), JSON.stringify(long));
  assert.equal(formatBytes((b) => b.ascii("")).length, 0);
});
