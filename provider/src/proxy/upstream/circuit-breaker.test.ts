import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterSeries } from "../observability/metric-family";
import type { BreakerWaiter } from "./circuit-breaker";
import { CircuitBreaker } from "./circuit-breaker";

const U = 4294967295;

function breaker(limits: Partial<CircuitBreaker["limits"]>) {
  const stats = {
    pendingOverflow: new CounterSeries({}),
    retryOverflow: new CounterSeries({}),
    connectionOverflow: new CounterSeries({}),
  };
  const b = new CircuitBreaker(
    { maxConnections: U, maxPendingRequests: U, maxRequests: U, maxRetries: U, ...limits },
    stats,
  );
  return { b, stats };
}

/** A waiter that records when it was admitted. */
function waiter(name: string, log: string[]): BreakerWaiter {
  return { admitted: () => log.push(name) };
}

describe("CircuitBreaker", () => {
  it("maxConnections 1 + maxPendingRequests 1 over HTTP/1.1: one sent, one waits, the rest overflow", () => {
    const { b, stats } = breaker({ maxConnections: 1, maxPendingRequests: 1 });
    const log: string[] = [];
    const got = ["a", "b", "c", "d"].map((n) => b.admit(waiter(n, log), true));
    assert.deepEqual(got, ["go", "queued", "overflow", "overflow"]);
    assert.deepEqual([b.active, b.pending, stats.pendingOverflow.value], [1, 1, 2]);
    b.release();
    assert.deepEqual([log, b.active, b.pending], [["b"], 1, 0]);
    b.release();
    assert.deepEqual([b.active, b.pending], [0, 0]);
  });

  it("maxRequests bounds HTTP/1.1 and HTTP/2 alike, and nothing waits for it", () => {
    const { b } = breaker({ maxRequests: 2 });
    const log: string[] = [];
    assert.deepEqual(
      [
        b.admit(waiter("a", log), false),
        b.admit(waiter("b", log), true),
        b.admit(waiter("c", log), false),
        b.admit(waiter("d", log), true),
      ],
      ["go", "go", "overflow", "overflow"],
    );
  });

  it("HTTP/2 requests are not bound by maxConnections", () => {
    const { b } = breaker({ maxConnections: 1, maxPendingRequests: 1 });
    const log: string[] = [];
    assert.deepEqual(
      [0, 1, 2].map((i) => b.admit(waiter(String(i), log), false)),
      ["go", "go", "go"],
    );
  });

  it("a cancelled waiter gives its place back and is never admitted", () => {
    const { b } = breaker({ maxConnections: 1, maxPendingRequests: 2 });
    const log: string[] = [];
    const a = waiter("a", log);
    const w1 = waiter("w1", log);
    const w2 = waiter("w2", log);
    assert.deepEqual([b.admit(a, true), b.admit(w1, true), b.admit(w2, true)], ["go", "queued", "queued"]);
    b.cancel(w1);
    assert.equal(b.pending, 1);
    b.release();
    assert.deepEqual(log, ["w2"]);
  });

  it("TCP-proxied connections count against maxConnections apart from requests", () => {
    const { b, stats } = breaker({ maxConnections: 1 });
    assert.deepEqual([b.tryConnection(), b.tryConnection()], [true, false]);
    assert.deepEqual([b.connections, stats.connectionOverflow.value], [1, 1]);
    assert.equal(b.admit(waiter("a", []), true), "go");
    b.connectionClosed();
    assert.equal(b.tryConnection(), true);
  });

  it("maxRetries: retries waiting for their backoff at once", () => {
    const { b, stats } = breaker({ maxRetries: 2 });
    assert.deepEqual([b.tryRetry(), b.tryRetry(), b.tryRetry()], [true, true, false]);
    assert.equal(stats.retryOverflow.value, 1);
    b.retryDone();
    assert.deepEqual([b.tryRetry(), b.retries], [true, 2]);
  });
});
