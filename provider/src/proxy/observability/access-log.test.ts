import assert from "node:assert/strict";
import { test } from "node:test";
import { AccessLog, isoTime } from "./access-log";

test("isoTime formats milliseconds as ISO-8601, the same answer for the same millisecond", () => {
  assert.equal(isoTime(0), "1970-01-01T00:00:00.000Z");
  assert.equal(isoTime(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
  assert.equal(isoTime(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
  assert.equal(isoTime(1_764_115_200_124), "2025-11-26T00:00:00.124Z");
});

test("lines are batched and written once per tick, one JSON object per line", async () => {
  const writes: string[] = [];
  const log = new AccessLog({ write: (t: string) => writes.push(t) });
  const entry = { start_time: isoTime(0), protocol: "TCP", response_code: 0, response_flags: "-" };
  log.log({ ...entry, bytes_received: 1, bytes_sent: 2, duration: 3, downstream_remote_address: "a" });
  log.log({ ...entry, bytes_received: 4, bytes_sent: 5, duration: 6, downstream_remote_address: "b" });
  assert.equal(writes.length, 0, "nothing is written before the tick ends");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.length, 1);
  assert.deepEqual(
    String(writes[0])
      .trimEnd()
      .split("\n")
      .map((l: string) => JSON.parse(l) as unknown),
    [
      { ...entry, bytes_received: 1, bytes_sent: 2, duration: 3, downstream_remote_address: "a" },
      { ...entry, bytes_received: 4, bytes_sent: 5, duration: 6, downstream_remote_address: "b" },
    ],
  );
});

test("a disabled log writes nothing", async () => {
  const writes: string[] = [];
  const log = new AccessLog({ write: (t: string) => writes.push(t) }, false);
  log.log({
    start_time: "",
    protocol: "TCP",
    response_code: 0,
    response_flags: "-",
    bytes_received: 0,
    bytes_sent: 0,
    duration: 0,
    downstream_remote_address: "",
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, []);
});
