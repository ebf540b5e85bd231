import assert from "node:assert/strict";
import { test } from "node:test";
import { grpcResponseStatus, grpcStatusOf, httpToGrpcStatus } from "./grpc-status";

test("HTTP statuses map to gRPC statuses as Envoy's httpToGrpcStatus maps them", () => {
  const statuses = [200, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504];
  assert.deepEqual(
    statuses.map((s) => httpToGrpcStatus(s)),
    [2, 13, 16, 7, 12, 2, 14, 2, 14, 14, 14],
  );
});

test("grpc-status values read as Envoy's getGrpcStatus reads them", () => {
  const cases: [string | string[] | undefined, number | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["0", 0],
    ["14", 14],
    ["16", 16],
    ["+5", 5],
    ["17", -1],
    ["99999999999", -1],
    ["-1", -1],
    ["ok", -1],
    ["1 4", -1],
    [["8", "0"], 8],
  ];
  assert.deepEqual(
    cases.map(([value]) => grpcStatusOf(value)),
    cases.map(([, status]) => status),
  );
});

test("grpc_response_status comes from the response's grpc-status, else its HTTP status, else is empty", () => {
  const cases: [string | undefined, number, string][] = [
    ["0", 200, "0"],
    ["14", 200, "14"],
    ["20", 200, "-1"],
    // A server that answered 200 and never sent its trailers (a reset mid-stream): UNKNOWN.
    [undefined, 200, "2"],
    [undefined, 503, "14"],
    [undefined, 404, "12"],
    ["", 502, "14"],
    // No response was sent (the client went away first).
    [undefined, 0, ""],
  ];
  assert.deepEqual(
    cases.map(([grpcStatus, httpStatus]) => grpcResponseStatus(grpcStatus, httpStatus)),
    cases.map(([, , label]) => label),
  );
});
