import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { AccessLogEntry } from "./access-log";
import type { RouteLogFields } from "./access-log-line";
import { formatRouteFields, writeRequestLine } from "./access-log-line";
import { LogBatch } from "./log-batch";

/** What the line must equal: the whole entry through JSON.stringify, fields in the entry's order. */
function expected(entry: AccessLogEntry): string {
  return JSON.stringify(entry) + "\n";
}

/** The entry's line as the log writes it, after `before` in a batch of `capacity` bytes. */
function line(entry: AccessLogEntry, before = "", capacity = 1 << 16): string {
  const batch = new LogBatch(capacity);
  batch.text(before);
  const [own, route] = split(entry);
  writeRequestLine(batch, own, route);
  assert.equal(batch.overflowed, false);
  return batch.written.subarray(Buffer.byteLength(before)).toString("utf8");
}

function split(entry: AccessLogEntry): [Omit<AccessLogEntry, keyof RouteLogFields>, Buffer] {
  const { listener, filter_chain, route_config, virtual_host, route_name, upstream_cluster, ...own } = entry;
  return [
    own,
    formatRouteFields({ listener, filter_chain, route_config, virtual_host, route_name, upstream_cluster }),
  ];
}

/** An entry with every field, in the order the log writes them. */
function entryOf(s: (i: number) => string | undefined, n: (i: number) => number | undefined): AccessLogEntry {
  const entry: AccessLogEntry = {
    start_time: s(0) ?? "2026-11-25T23:50:00.123Z",
    method: s(1),
    path: s(2),
    protocol: s(3) ?? "HTTP/1.1",
    response_code: n(0) ?? 200,
    response_flags: s(4) ?? "-",
    response_code_details: s(18),
    error_code: s(5),
    bytes_received: n(1) ?? 0,
    bytes_sent: n(2) ?? 0,
    duration: n(3) ?? 0,
    upstream_service_time: n(4),
    authority: s(6),
    x_forwarded_for: s(19),
    downstream_remote_address: s(7) ?? "",
    downstream_local_address: s(20),
    user_agent: s(8),
    request_id: s(9),
    requested_server_name: s(10),
    listener: s(11),
    filter_chain: s(12),
    route_config: s(13),
    virtual_host: s(14),
    route_name: s(15),
    upstream_cluster: s(16),
    upstream_host: s(17),
    upstream_local_address: s(22),
    upstream_transport_failure_reason: s(21),
  };
  return entry;
}

test("a typical request's line is exactly JSON.stringify's", () => {
  const entry = entryOf(
    (i) =>
      [
        undefined,
        "GET",
        "/api/bench?q=1",
        undefined,
        undefined,
        undefined,
        "bench.example.com",
        "127.0.0.1:45678",
        "curl/8.0",
        "8c3e0a5e-4a8b-4c1e-9a55-0d7a1f4a6b7c",
        undefined,
        "0.0.0.0_80",
        "0.0.0.0_80",
        "http.80",
        "bench.example.com:80",
        "api",
        "outbound|80||upstream.bench.svc.cluster.local",
        "127.0.0.1:24100",
        "via_upstream",
        "203.0.113.7,127.0.0.1",
        "127.0.0.1:80",
        undefined,
        "127.0.0.1:51234",
      ][i],
    (i) => [200, 0, 612, 3, 2][i],
  );
  assert.equal(line(entry), expected(entry));
  assert.equal(line(entry, "{}\n"), expected(entry), "after the lines already in the batch");
});

test("quotes, backslashes, control characters, non-ASCII and lone surrogates are escaped as JSON.stringify does", () => {
  for (const tricky of [
    '"quoted"',
    "back\\slash",
    "tab\there",
    "nul\u0000",
    "é ☃ 😀",
    "lone \ud800",
    "del\u007f",
  ]) {
    const entry = entryOf(
      (i) => (i === 2 || i === 8 || i === 15 ? tricky : undefined),
      () => undefined,
    );
    assert.equal(line(entry), expected(entry), JSON.stringify(tricky));
  }
});

test("any entry gives JSON.stringify's text (property)", () => {
  const str = fc.option(fc.string({ unit: "binary" }), { nil: undefined });
  const num = fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined });
  fc.assert(
    fc.property(
      fc.array(str, { minLength: 23, maxLength: 23 }),
      fc.array(num, { minLength: 5, maxLength: 5 }),
      (s, n) => {
        const entry = entryOf(
          (i) => s[i],
          (i) => n[i],
        );
        assert.equal(line(entry), expected(entry));
      },
    ),
    { numRuns: 500 },
  );
});

test("a line that does not fit is flagged, and rolled back it leaves the batch as it was", () => {
  const entry = entryOf(
    (i) => (i === 2 ? "/é".repeat(40) : undefined),
    () => 1234,
  );
  const whole = Buffer.byteLength(expected(entry));
  const [own, route] = split(entry);
  // Every size short of the line: the write stops inside each kind of field, never past the end.
  for (let room = 0; room < whole; room++) {
    const batch = new LogBatch(3 + room);
    batch.ascii("{}\n");
    writeRequestLine(batch, own, route);
    assert.equal(batch.overflowed, true, `${room} bytes of room`);
    assert.ok(batch.length <= batch.bytes.length);
    batch.rollBack(3);
    assert.equal(batch.written.toString(), "{}\n");
    assert.equal(batch.overflowed, false);
  }
  assert.equal(line(entry, "{}\n", 3 + whole), expected(entry), "exactly enough room");
});
