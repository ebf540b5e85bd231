import assert from "node:assert/strict";
import { test } from "node:test";
import { grpcRequestTimeoutMs, parseGrpcTimeout, toGrpcTimeout } from "./grpc-timeout";

test("grpc-timeout values parse as Envoy's getGrpcTimeout reads them", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["250m", 250],
    ["1500u", 2],
    ["1000u", 1],
    ["1n", 1],
    ["0m", 0],
    ["99999999m", 99_999_999],
    ["100000000m", undefined],
    ["10", undefined],
    ["m", undefined],
    ["-1S", undefined],
    ["1.5S", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  assert.deepEqual(
    cases.map(([v]) => parseGrpcTimeout(v)),
    cases.map(([, ms]) => ms),
  );
});

test("a gRPC request's timeout is its grpc-timeout within the route's (Istio's max_grpc_timeout)", () => {
  const cases: [number | undefined, string | undefined, number][] = [
    [undefined, undefined, 0],
    [0, "200m", 200],
    [undefined, "5S", 5000],
    [300, undefined, 300],
    [300, "100S", 300],
    [300, "150m", 150],
    [300, "0m", 300],
    [300, "bogus", 300],
  ];
  assert.deepEqual(
    cases.map(([route, header]) => grpcRequestTimeoutMs(route, header)),
    cases.map(([, , ms]) => ms),
  );
});

test("milliseconds are written as Envoy's toGrpcTimeout writes them", () => {
  const cases: [number, string][] = [
    [1, "1m"],
    [300, "300m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [99_999_999_000 * 60, "99999999M"],
    [Number.MAX_SAFE_INTEGER, "99999999H"],
  ];
  assert.deepEqual(
    cases.map(([ms]) => toGrpcTimeout(ms)),
    cases.map(([, text]) => text),
  );
});
