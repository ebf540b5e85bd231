import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { AccessLogEntry } from "./access-log";
import type { RouteLogFields } from "./access-log-line";
import { formatRequestLine, formatRouteFields } from "./access-log-line";

/** What the line must equal: the whole entry through JSON.stringify, fields in the entry's order. */
function expected(entry: AccessLogEntry): string {
  return JSON.stringify(entry) + "\n";
}

function split(entry: AccessLogEntry): [Omit<AccessLogEntry, keyof RouteLogFields>, string] {
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
    error_code: s(5),
    bytes_received: n(1) ?? 0,
    bytes_sent: n(2) ?? 0,
    duration: n(3) ?? 0,
    upstream_service_time: n(4),
    authority: s(6),
    downstream_remote_address: s(7) ?? "",
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
      ][i],
    (i) => [200, 0, 612, 3, 2][i],
  );
  const [own, route] = split(entry);
  assert.equal(formatRequestLine(own, route), expected(entry));
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
    const [own, route] = split(entry);
    assert.equal(formatRequestLine(own, route), expected(entry), JSON.stringify(tricky));
  }
});

test("any entry gives JSON.stringify's text (property)", () => {
  const str = fc.option(fc.string({ unit: "binary" }), { nil: undefined });
  const num = fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined });
  fc.assert(
    fc.property(
      fc.array(str, { minLength: 18, maxLength: 18 }),
      fc.array(num, { minLength: 5, maxLength: 5 }),
      (s, n) => {
        const entry = entryOf(
          (i) => s[i],
          (i) => n[i],
        );
        const [own, route] = split(entry);
        assert.equal(formatRequestLine(own, route), expected(entry));
      },
    ),
    { numRuns: 500 },
  );
});
