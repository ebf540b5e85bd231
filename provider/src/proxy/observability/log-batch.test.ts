import assert from "node:assert/strict";
import { test } from "node:test";
import { LogBatch } from "./log-batch";

test("lines are appended in UTF-8 after those already taken", () => {
  const batch = new LogBatch(64);
  assert.equal(batch.append("{}\n"), true);
  assert.equal(batch.append('{"path":"/é"}\n'), true);
  assert.equal(batch.written.toString("utf8"), '{}\n{"path":"/é"}\n');
  assert.equal(batch.length, 3 + 15);
});

test("a line that does not fit whole is refused and leaves the batch as it was", () => {
  // Lines of one, two, three and four UTF-8 bytes a character, around the size the batch can take.
  for (const unit of ["a", "é", "☃", "😀"]) {
    for (let count = 1; count <= 12; count++) {
      const line = unit.repeat(count);
      const size = Buffer.byteLength(line);
      for (let room = 0; room <= size + 1; room++) {
        const batch = new LogBatch(3 + room);
        batch.append("{}\n");
        const fits = room >= size;
        assert.equal(batch.append(line), fits, `${count} × ${unit} in ${room} bytes`);
        assert.equal(batch.written.toString("utf8"), fits ? "{}\n" + line : "{}\n");
      }
    }
  }
});
