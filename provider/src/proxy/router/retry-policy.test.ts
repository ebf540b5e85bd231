import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttemptOutcome } from "./retry-policy";
import { expectedTimeoutMs, isRetriable, parseRetryOn, retryBackoffMs, toRetryPolicy } from "./retry-policy";

test("parseRetryOn: Istio's default list", () => {
  assert.deepEqual(
    parseRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"),
    {
      on5xx: false,
      gatewayError: false,
      reset: false,
      resetBeforeRequest: false,
      connectFailure: true,
      retriable4xx: false,
      refusedStream: true,
      retriableStatusCodesOn: true,
      retriableStatusCodes: [],
      grpcStatusCodes: [14, 1],
      inert: [],
      unknown: [],
    },
  );
});

test("parseRetryOn: codes turn on retriable-status-codes; unknown and inert tokens are kept apart", () => {
  assert.deepEqual(parseRetryOn(" 5xx , 503,409,503,envoy-ratelimited,bogus,"), {
    on5xx: true,
    gatewayError: false,
    reset: false,
    resetBeforeRequest: false,
    connectFailure: false,
    retriable4xx: false,
    refusedStream: false,
    retriableStatusCodesOn: true,
    retriableStatusCodes: [503, 409],
    grpcStatusCodes: [],
    inert: ["envoy-ratelimited"],
    unknown: ["bogus"],
  });
});

const outcomes: [string, AttemptOutcome][] = [
  ["500", { kind: "response", status: 500 }],
  ["502", { kind: "response", status: 502 }],
  ["503", { kind: "response", status: 503 }],
  ["409", { kind: "response", status: 409 }],
  ["404", { kind: "response", status: 404 }],
  ["200 grpc 14", { kind: "response", status: 200, grpcStatus: 14 }],
  ["connect", { kind: "connect-failure" }],
  ["reset", { kind: "reset", beforeRequest: false }],
  ["reset-before", { kind: "reset", beforeRequest: true }],
  ["refused", { kind: "refused-stream" }],
  ["timeout", { kind: "per-try-timeout" }],
];

const table: [string, string[]][] = [
  ["5xx", ["500", "502", "503", "connect", "reset", "reset-before", "refused", "timeout"]],
  ["gateway-error", ["502", "503", "connect", "reset", "reset-before", "refused", "timeout"]],
  ["reset", ["connect", "reset", "reset-before", "refused", "timeout"]],
  ["reset-before-request", ["connect", "reset-before", "refused"]],
  ["connect-failure", ["connect"]],
  ["retriable-4xx", ["409"]],
  ["refused-stream", ["refused"]],
  ["retriable-status-codes,404", ["404"]],
  ["retriable-status-codes", []],
  ["unavailable", ["200 grpc 14"]],
];

for (const [retryOn, want] of table) {
  test(`isRetriable under ${JSON.stringify(retryOn)}`, () => {
    const c = parseRetryOn(retryOn);
    assert.deepEqual(
      outcomes.filter(([, o]) => isRetriable(c, o)).map(([n]) => n),
      want,
    );
  });
}

test("toRetryPolicy and retryBackoffMs", () => {
  const p = toRetryPolicy({
    attempts: 3,
    retryOn: "5xx",
    backoffMs: 25,
    perTryTimeoutMs: 2000,
    previousHosts: true,
  });
  assert.deepEqual(
    {
      attempts: p.attempts,
      perTryTimeoutMs: p.perTryTimeoutMs,
      backoffBaseMs: p.backoffBaseMs,
      backoffMaxMs: p.backoffMaxMs,
    },
    { attempts: 3, perTryTimeoutMs: 2000, backoffBaseMs: 25, backoffMaxMs: 250 },
  );
  assert.deepEqual(
    [0, 1, 2, 5].map((n) => retryBackoffMs(p, n, () => 0.999999)),
    [24, 74, 174, 249],
  );
  // Whether retries avoid endpoints tried was decided by translation, from the rule and its destinations.
  assert.equal(p.previousHosts, true);
  const keep = { attempts: 1, retryOn: "5xx", backoffMs: 25, previousHosts: false };
  assert.equal(toRetryPolicy(keep).previousHosts, false);
});

test("expectedTimeoutMs: Envoy's x-envoy-expected-rq-timeout-ms", () => {
  const cases: [number | undefined, number | undefined, number, number | undefined][] = [
    [undefined, undefined, 0, undefined],
    [0, 0, 0, undefined],
    [500, undefined, 0, 500],
    [undefined, 200, 0, 200],
    [5000, 200, 0, 200],
    [5000, 200, 4900, 100],
    [5000, 5000, 0, 5000],
    [5000, 6000, 0, 5000],
    [500, undefined, 499.5, 1],
    [500, undefined, 700, 1],
    [undefined, 200, 10000, 200],
  ];
  assert.deepEqual(
    cases.map(([timeout, perTry, elapsed]) => expectedTimeoutMs(timeout, perTry, elapsed)),
    cases.map((c) => c[3]),
  );
});
