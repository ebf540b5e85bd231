import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OutlierDetectionConfig } from "../../istio/translate/proxy-config";
import { CounterSeries } from "../observability/metric-family";
import type { AttemptOutcome } from "../router/retry-policy";
import { OutlierDetector } from "./outlier-detector";

const DEFAULTS: OutlierDetectionConfig = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 0,
  consecutiveLocalOriginFailure: 0,
  splitExternalLocalOriginErrors: false,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  healthyPanicThreshold: 0,
};

function detector(hosts: string[], config: Partial<OutlierDetectionConfig> = {}) {
  const clock = { now: 0 };
  const enforced = new CounterSeries({});
  const d = new OutlierDetector({ ...DEFAULTS, ...config }, hosts, enforced, () => clock.now);
  const ejected = () => hosts.filter((h) => d.isEjected(h));
  return { d, clock, enforced, ejected };
}

const status = (s: number): AttemptOutcome => ({ kind: "response", status: s });
const CONNECT: AttemptOutcome = { kind: "connect-failure" };
const TIMEOUT: AttemptOutcome = { kind: "per-try-timeout" };

function feed(d: OutlierDetector<string>, host: string, outcomes: AttemptOutcome[]): void {
  for (const o of outcomes) d.observe(host, o);
}

describe("OutlierDetector", () => {
  it("ejects after consecutive5xxErrors 5xx in a row; a success in between starts the count again", () => {
    const { d, ejected, enforced } = detector(["a", "b"], { maxEjectionPercent: 100 });
    feed(d, "a", [status(500), status(503), status(502), status(504), status(200)]);
    assert.deepEqual(ejected(), []);
    feed(d, "a", [status(500), status(501), status(503), status(500)]);
    assert.deepEqual(ejected(), []);
    d.observe("a", status(599));
    assert.deepEqual([ejected(), enforced.value, d.ejectedCount], [["a"], 1, 1]);
  });

  it("without splitting, connect failures count as 5xx; with it, as local-origin failures only", () => {
    const plain = detector(["a", "b"], { consecutive5xx: 3, maxEjectionPercent: 50 });
    feed(plain.d, "a", [CONNECT, TIMEOUT, CONNECT]);
    assert.deepEqual(plain.ejected(), ["a"]);
    const split = detector(["a", "b"], {
      consecutive5xx: 3,
      maxEjectionPercent: 50,
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailure: 2,
    });
    feed(split.d, "a", [status(503), status(503), CONNECT]);
    assert.deepEqual(split.ejected(), []);
    feed(split.d, "b", [CONNECT, CONNECT]);
    assert.deepEqual(split.ejected(), ["b"]);
  });

  it("consecutiveGatewayErrors counts 502, 503 and 504 only", () => {
    const { d, ejected } = detector(["a", "b"], {
      consecutive5xx: 0,
      consecutiveGatewayFailure: 2,
      maxEjectionPercent: 50,
    });
    feed(d, "a", [status(500), status(500), status(501)]);
    assert.deepEqual(ejected(), []);
    feed(d, "a", [status(502), status(504)]);
    assert.deepEqual(ejected(), ["a"]);
  });

  it("consecutive5xxErrors 0 turns the 5xx detector off", () => {
    const { d, ejected } = detector(["a", "b"], { consecutive5xx: 0, maxEjectionPercent: 100 });
    feed(
      d,
      "a",
      Array.from({ length: 20 }, () => status(503)),
    );
    assert.deepEqual(ejected(), []);
  });

  it("returns at the first review after baseEjectionTime × ejections; healthy reviews lower the multiplier", () => {
    const { d, clock, ejected } = detector(["a", "b"], {
      consecutive5xx: 1,
      intervalMs: 100,
      baseEjectionTimeMs: 1000,
      maxEjectionPercent: 100,
    });
    d.observe("a", status(503));
    clock.now = 999;
    d.maybeReview();
    assert.deepEqual(ejected(), ["a"]);
    clock.now = 1000;
    d.maybeReview();
    assert.deepEqual(ejected(), []);
    // A second ejection right away lasts twice as long.
    d.observe("a", status(503));
    clock.now = 2999;
    d.maybeReview();
    assert.deepEqual(ejected(), ["a"]);
    clock.now = 3000;
    d.maybeReview();
    assert.deepEqual(ejected(), []);
    // Two healthy reviews later the multiplier is back to 0: the next ejection lasts 1000 again.
    clock.now = 3200;
    d.maybeReview();
    d.observe("a", status(503));
    clock.now = 4200;
    d.maybeReview();
    assert.deepEqual(ejected(), []);
  });

  it("maxEjectionPercent caps ejections, the next one included: the default 10% ejects nothing among 4", () => {
    const { d, ejected } = detector(["a", "b", "c", "d"], { consecutive5xx: 1, maxEjectionPercent: 10 });
    for (const h of ["a", "b", "c", "d"]) d.observe(h, status(503));
    assert.deepEqual(ejected(), []);
    const ten = detector(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], { consecutive5xx: 1 });
    for (const h of ["0", "1"]) ten.d.observe(h, status(503));
    assert.deepEqual(ten.ejected(), ["0"]);
    const half = detector(["a", "b", "c", "d"], { consecutive5xx: 1, maxEjectionPercent: 50 });
    for (const h of ["a", "b", "c", "d"]) half.d.observe(h, status(503));
    assert.deepEqual(half.ejected(), ["a", "b"]);
    const all = detector(["a", "b"], { consecutive5xx: 1, maxEjectionPercent: 100 });
    for (const h of ["a", "b"]) all.d.observe(h, status(503));
    assert.deepEqual(all.ejected(), ["a", "b"]);
  });

  it("retain keeps the state of endpoints still there, starts new ones healthy and forgets removed ones", () => {
    const { d } = detector(["a", "b", "c"], { consecutive5xx: 2, maxEjectionPercent: 100 });
    feed(d, "a", [status(503), status(503)]);
    feed(d, "b", [status(503)]);
    feed(d, "c", [status(503), status(503)]);
    const before = d.version;
    d.retain(["a", "b", "x", "b"]);
    const ejected = () => ["a", "b", "c", "x"].filter((h) => d.isEjected(h));
    assert.deepEqual([ejected(), d.ejectedCount, d.hostCount, d.version > before], [["a"], 1, 3, true]);
    // b's one failure was kept: one more ejects it.
    d.observe("b", status(503));
    assert.deepEqual(ejected(), ["a", "b"]);
    // c went and came back: healthy, with its count started afresh.
    d.retain(["a", "b", "c"]);
    d.observe("c", status(503));
    assert.deepEqual([ejected(), d.ejectedCount], [["a", "b"], 2]);
  });

  it("retain with the same endpoints changes nothing, not even the version", () => {
    const { d } = detector(["a", "b"], { consecutive5xx: 1, maxEjectionPercent: 100 });
    d.observe("a", status(503));
    const before = d.version;
    d.retain(["b", "a", "a"]);
    assert.deepEqual([d.version, d.ejectedCount, d.isEjected("a")], [before, 1, true]);
  });

  it("a TCP connect: failures count as 503, timeouts as 504, a success breaks the run (not split)", () => {
    const gateway = detector(["a", "b"], {
      consecutive5xx: 0,
      consecutiveGatewayFailure: 2,
      maxEjectionPercent: 100,
    });
    gateway.d.observeConnect("a", "failure");
    gateway.d.observeConnect("a", "success");
    gateway.d.observeConnect("a", "timeout");
    assert.deepEqual(gateway.ejected(), []);
    gateway.d.observeConnect("a", "failure");
    assert.deepEqual(gateway.ejected(), ["a"]);
    // A TCP success is a success for the 5xx count too: three failures never come in a row.
    const fives = detector(["a", "b"], { consecutive5xx: 3, maxEjectionPercent: 100 });
    for (let i = 0; i < 3; i++) {
      fives.d.observeConnect("a", "failure");
      fives.d.observeConnect("a", "timeout");
      fives.d.observeConnect("a", "success");
    }
    assert.deepEqual(fives.ejected(), []);
  });

  it("a TCP connect with splitting: failures and timeouts are local-origin only; a success resets only their count", () => {
    const { d, ejected } = detector(["a", "b", "c"], {
      consecutive5xx: 2,
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailure: 3,
      maxEjectionPercent: 100,
    });
    d.observeConnect("a", "failure");
    d.observeConnect("a", "timeout");
    d.observeConnect("a", "success");
    d.observeConnect("a", "failure");
    d.observeConnect("a", "failure");
    assert.deepEqual(ejected(), []);
    d.observeConnect("a", "timeout");
    assert.deepEqual(ejected(), ["a"]);
    // The 5xx count of an HTTP answer is not reset by a connect's success.
    d.observe("b", status(503));
    d.observeConnect("b", "success");
    d.observe("b", status(503));
    assert.deepEqual(ejected(), ["a", "b"]);
  });
});
