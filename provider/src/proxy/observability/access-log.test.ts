import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { AccessLog, isoTime } from "./access-log";

test("isoTime formats milliseconds as ISO-8601, the same answer for the same millisecond", () => {
  assert.equal(isoTime(0), "1970-01-01T00:00:00.000Z");
  assert.equal(isoTime(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
  assert.equal(isoTime(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
  assert.equal(isoTime(1_764_115_200_124), "2025-11-26T00:00:00.124Z");
});

/** A sink that keeps each chunk written, as text. */
function sinkInto(writes: string[]) {
  return { write: (chunk: Uint8Array) => writes.push(Buffer.from(chunk).toString("utf8")) };
}

/** A TCP connection's entry. */
const tcpEntry = (n: number, downstream = `10.0.0.${n}:1234`) => ({
  start_time: isoTime(0),
  response_code: 0,
  response_flags: "-",
  bytes_received: n,
  bytes_sent: n,
  duration: n,
  downstream_remote_address: downstream,
});

/** The record its line holds: every key, null where the entry has nothing, in the line's order. */
const tcpRecord = (n: number, downstream = `10.0.0.${n}:1234`) => ({
  authority: null,
  bytes_received: n,
  bytes_sent: n,
  connection_termination_details: null,
  downstream_local_address: null,
  downstream_remote_address: downstream,
  duration: n,
  method: null,
  path: null,
  protocol: null,
  request_id: null,
  requested_server_name: null,
  response_code: 0,
  response_code_details: null,
  response_flags: "-",
  route_name: null,
  start_time: isoTime(0),
  upstream_cluster: null,
  upstream_host: null,
  upstream_local_address: null,
  upstream_service_time: null,
  upstream_transport_failure_reason: null,
  user_agent: null,
  x_forwarded_for: null,
  error_code: null,
  listener: null,
  filter_chain: null,
  route_config: null,
  virtual_host: null,
});

/** Its line. */
const tcpLine = (n: number, downstream?: string) => JSON.stringify(tcpRecord(n, downstream)) + "\n";

test("lines are written together once the interval has passed, one JSON object per line", async () => {
  const writes: string[] = [];
  const log = new AccessLog(sinkInto(writes), true, { flushIntervalMs: 20 });
  log.log(tcpEntry(1));
  log.log(tcpEntry(2));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.length, 0, "nothing is written before the interval");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(writes.length, 1);
  assert.deepEqual(
    String(writes[0])
      .trimEnd()
      .split("\n")
      .map((l: string) => JSON.parse(l) as unknown),
    [tcpRecord(1), tcpRecord(2)],
  );
});

test("a full batch is written at once, and flush writes the rest", () => {
  const writes: string[] = [];
  const line = tcpLine(1);
  const log = new AccessLog(sinkInto(writes), true, {
    flushBytes: line.length * 2,
    flushIntervalMs: 60_000,
  });
  log.log(tcpEntry(1));
  assert.equal(writes.length, 0);
  log.log(tcpEntry(1));
  assert.deepEqual(writes, [line + line]);
  log.log(tcpEntry(3));
  log.flush();
  assert.deepEqual(writes, [line + line, tcpLine(3)]);
  log.flush();
  assert.equal(writes.length, 2, "an empty queue writes nothing");
});

test("a disabled log writes nothing", async () => {
  const writes: string[] = [];
  const log = new AccessLog(sinkInto(writes), false);
  log.log({
    start_time: "",
    response_code: 0,
    response_flags: "-",
    bytes_received: 0,
    bytes_sent: 0,
    duration: 0,
    downstream_remote_address: "",
  });
  log.flush();
  assert.deepEqual(writes, []);
});

test("a reader that stops costs lines, not memory: the sink's own queue counts, and writing resumes", async () => {
  // An unread PassThrough keeps what it is given, as stdout on a pipe does when its reader stalls.
  const sink = new PassThrough({ highWaterMark: 1024 });
  const warnings: string[] = [];
  const line = tcpLine(1);
  const log = new AccessLog(sink, true, {
    flushBytes: line.length * 10,
    flushIntervalMs: 60_000,
    maxBuffered: line.length * 100,
    warn: (m) => warnings.push(m),
  });
  for (let i = 0; i < 1000; i++) log.log(tcpEntry(1));
  log.flush();
  // Lines stop once 100 are waiting in the sink, give or take the batch the stream took in first.
  const kept = 1000 - log.dropped;
  assert.ok(kept >= 100 && kept <= 120, `${kept} lines kept`);
  assert.deepEqual(warnings, ["access log: its reader is not keeping up; lines are dropped until it does"]);

  // The reader catches up: what it gets is whole lines, and new lines are written again.
  const received: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => received.push(chunk));
  await new Promise((resolve) => setImmediate(resolve));
  log.log(tcpEntry(2));
  log.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const lines = Buffer.concat(received).toString().trimEnd().split("\n");
  assert.equal(lines.length, kept + 1);
  assert.deepEqual(JSON.parse(lines.at(-1)!), tcpRecord(2));
  assert.equal(log.dropped, 1000 - kept);
  assert.deepEqual(warnings.slice(1), [`access log: writing again, after dropping ${1000 - kept} lines`]);
});

test("a line longer than a batch is written whole, on its own, after the lines before it", () => {
  const writes: string[] = [];
  const small = tcpLine(1);
  const log = new AccessLog(sinkInto(writes), true, { flushBytes: 256, flushIntervalMs: 60_000 });
  const long = tcpEntry(2, "é".repeat(700));
  log.log(tcpEntry(1));
  log.log(long);
  log.log(tcpEntry(1));
  log.flush();
  assert.deepEqual(writes, [small, tcpLine(2, "é".repeat(700)), small]);
});

test("a chunk given to the sink is never written to again", () => {
  const chunks: Uint8Array[] = [];
  const line = tcpLine(1);
  const log = new AccessLog({ write: (chunk: Uint8Array) => chunks.push(chunk) }, true, {
    flushBytes: line.length,
    flushIntervalMs: 60_000,
  });
  log.log(tcpEntry(1));
  log.log(tcpEntry(2));
  log.log(tcpEntry(3));
  assert.deepEqual(
    chunks.map((c) => JSON.parse(Buffer.from(c).toString()) as unknown),
    [tcpRecord(1), tcpRecord(2), tcpRecord(3)],
  );
});
