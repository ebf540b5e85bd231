import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { AccessLogEntry } from "./access-log";
import type { RouteLogFields, RouteLogFragments } from "./access-log-line";
import { ACCESS_LOG_KEYS, formatRouteFields, jsonNumber, jsonString, requestLine } from "./access-log-line";

/** The keys of Istio's default JSON format, `EnvoyJSONLogFormatIstio`, as telemetry_logging.go lists them. */
const ISTIO_KEYS = [
  "start_time",
  "route_name",
  "method",
  "path",
  "protocol",
  "response_code",
  "response_flags",
  "response_code_details",
  "connection_termination_details",
  "bytes_received",
  "bytes_sent",
  "duration",
  "upstream_service_time",
  "x_forwarded_for",
  "user_agent",
  "request_id",
  "authority",
  "upstream_host",
  "upstream_cluster",
  "upstream_local_address",
  "downstream_local_address",
  "downstream_remote_address",
  "requested_server_name",
  "upstream_transport_failure_reason",
];

/** The proxy's own keys: its error code and the stages a request matched. */
const OWN_KEYS = ["error_code", "listener", "filter_chain", "route_config", "virtual_host"];

/**
 * What the line must equal: every key, in order, through JSON.stringify; `null` for what the entry
 * lacks, and `upstream_service_time` as the header's text.
 */
function expected(entry: AccessLogEntry): string {
  const fields: Record<string, unknown> = entry as unknown as Record<string, unknown>;
  const shaped = Object.fromEntries(
    ACCESS_LOG_KEYS.map((key) => {
      if (key === "duration") return [key, Math.trunc(entry.duration)];
      if (key === "upstream_service_time")
        return [key, entry.upstream_service_time === undefined ? null : String(entry.upstream_service_time)];
      return [key, fields[key] ?? null];
    }),
  );
  return JSON.stringify(shaped) + "\n";
}

/** The entry's line as the log writes it. */
function line(entry: AccessLogEntry): string {
  const [own, route] = split(entry);
  return requestLine(own, route);
}

function split(entry: AccessLogEntry): [Omit<AccessLogEntry, keyof RouteLogFields>, RouteLogFragments] {
  const { listener, filter_chain, route_config, virtual_host, route_name, upstream_cluster, ...own } = entry;
  return [
    own,
    formatRouteFields({ listener, filter_chain, route_config, virtual_host, route_name, upstream_cluster }),
  ];
}

/** An entry with every field. */
function entryOf(s: (i: number) => string | undefined, n: (i: number) => number | undefined): AccessLogEntry {
  const entry: AccessLogEntry = {
    start_time: s(0) ?? "2026-11-25T23:50:00.123Z",
    method: s(1),
    path: s(2),
    protocol: s(3),
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

/** A request the upstream answered, as the benchmark's requests are. */
const typical = entryOf(
  (i) =>
    [
      undefined,
      "GET",
      "/api/bench?q=1",
      "HTTP/1.1",
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

test("the line has Istio's 24 keys in the order Envoy writes them (sorted), then the proxy's own", () => {
  assert.deepEqual(ACCESS_LOG_KEYS, [...[...ISTIO_KEYS].sort(), ...OWN_KEYS]);
  assert.deepEqual(Object.keys(JSON.parse(line(typical)) as object), ACCESS_LOG_KEYS);
});

test("a typical request's line, whole", () => {
  assert.equal(
    line(typical),
    '{"authority":"bench.example.com","bytes_received":0,"bytes_sent":612,' +
      '"connection_termination_details":null,"downstream_local_address":"127.0.0.1:80",' +
      '"downstream_remote_address":"127.0.0.1:45678","duration":3,"method":"GET",' +
      '"path":"/api/bench?q=1","protocol":"HTTP/1.1",' +
      '"request_id":"8c3e0a5e-4a8b-4c1e-9a55-0d7a1f4a6b7c","requested_server_name":null,' +
      '"response_code":200,"response_code_details":"via_upstream","response_flags":"-",' +
      '"route_name":"api","start_time":"2026-11-25T23:50:00.123Z",' +
      '"upstream_cluster":"outbound|80||upstream.bench.svc.cluster.local",' +
      '"upstream_host":"127.0.0.1:24100","upstream_local_address":"127.0.0.1:51234",' +
      '"upstream_service_time":"2","upstream_transport_failure_reason":null,' +
      '"user_agent":"curl/8.0","x_forwarded_for":"203.0.113.7,127.0.0.1","error_code":null,' +
      '"listener":"0.0.0.0_80","filter_chain":"0.0.0.0_80","route_config":"http.80",' +
      '"virtual_host":"bench.example.com:80"}\n',
  );
  assert.equal(line(typical), expected(typical));
});

test("every key is written when nothing has a value, null for each but the numbers and flags", () => {
  const bare = entryOf(
    () => undefined,
    () => undefined,
  );
  const parsed = JSON.parse(line(bare)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ACCESS_LOG_KEYS);
  const notNull = Object.entries(parsed).filter(([, v]) => v !== null);
  assert.deepEqual(notNull, [
    ["bytes_received", 0],
    ["bytes_sent", 0],
    ["downstream_remote_address", ""],
    ["duration", 0],
    ["response_code", 200],
    ["response_flags", "-"],
    ["start_time", "2026-11-25T23:50:00.123Z"],
  ]);
});

test("numbers are JSON numbers, and upstream_service_time the header's text", () => {
  const parsed = JSON.parse(line(typical)) as Record<string, unknown>;
  const types = Object.fromEntries(
    ["response_code", "bytes_received", "bytes_sent", "duration", "upstream_service_time"].map((k) => [
      k,
      typeof parsed[k],
    ]),
  );
  assert.deepEqual(types, {
    response_code: "number",
    bytes_received: "number",
    bytes_sent: "number",
    duration: "number",
    upstream_service_time: "string",
  });
  assert.equal(parsed["upstream_service_time"], "2");
});

test("the duration is whole milliseconds, truncated as Envoy's %DURATION% is", () => {
  const durations = [0, 0.4, 2.5, 2.9, 1999.99, 61_000.5].map((duration) => {
    const parsed = JSON.parse(line({ ...typical, duration })) as Record<string, unknown>;
    return parsed["duration"];
  });
  assert.deepEqual(durations, [0, 0, 2, 2, 1999, 61_000]);
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

test("any entry gives JSON.stringify's text of its shaped record (property)", () => {
  const str = fc.option(fc.string({ unit: "binary" }), { nil: undefined });
  const num = fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined });
  fc.assert(
    fc.property(
      fc.array(str, { minLength: 23, maxLength: 23 }),
      fc.array(num, { minLength: 4, maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      (s, n, serviceTime) => {
        const entry = entryOf(
          (i) => s[i],
          (i) => (i === 4 ? serviceTime : n[i]),
        );
        assert.equal(line(entry), expected(entry));
      },
    ),
    { numRuns: 500 },
  );
});

test("strings are written as JSON.stringify writes them (property)", () => {
  assert.equal(jsonString(undefined), "null");
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.string()),
      (s) => {
        assert.equal(jsonString(s), JSON.stringify(s));
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
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -1,
    0.5,
    1e21,
    1e-7,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (const n of special) assert.equal(jsonNumber(n), JSON.stringify(n), String(n));
  fc.assert(
    fc.property(fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.maxSafeNat()), (n) => {
      assert.equal(jsonNumber(n), JSON.stringify(n));
    }),
    { numRuns: 2000 },
  );
});
