import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionIdleTimer } from "./connection-idle-timer";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A timer of `timeoutMs` and the times (ms after its start) at which it fired. */
function timed(timeoutMs: number): { timer: ConnectionIdleTimer; fired: number[] } {
  const start = performance.now();
  const fired: number[] = [];
  const timer = new ConnectionIdleTimer(timeoutMs, () => fired.push(performance.now() - start));
  return { timer, fired };
}

test("a connection that never has a request is idle from its start", async () => {
  const { fired } = timed(60);
  await sleep(200);
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 55, `fired at ${fired[0]} ms`);
});

test("an open request keeps the connection however long, and the timeout counts from its end", async () => {
  const { timer, fired } = timed(60);
  timer.requestStarted();
  await sleep(150);
  assert.deepEqual(fired, [], "not idle while a request is open");
  timer.requestEnded();
  await sleep(200);
  assert.equal(fired.length, 1, "fired once");
  // From the timer's start: the request's 150 ms, then 60 without one (timers may fire a little
  // early).
  assert.ok(fired[0]! >= 205, `fired at ${fired[0]} ms`);
});

test("a request that came and went during the timeout restarts it from its end", async () => {
  const { timer, fired } = timed(300);
  await sleep(200);
  timer.requestStarted();
  timer.requestEnded();
  await sleep(150);
  assert.deepEqual(fired, [], "past the timeout from the start, but not from the request");
  await sleep(300);
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 495, `fired at ${fired[0]} ms`);
});

test("with several requests open, only the end of the last makes the connection idle", async () => {
  const { timer, fired } = timed(50);
  timer.requestStarted();
  timer.requestStarted();
  timer.requestEnded();
  await sleep(120);
  assert.deepEqual(fired, [], "one request still open");
  timer.requestEnded();
  await sleep(120);
  assert.equal(fired.length, 1);
});

test("a stopped timer never fires, nor does one of 0 ms", async () => {
  const stopped = timed(30);
  stopped.timer.stop();
  const never = timed(0);
  never.timer.requestStarted();
  never.timer.requestEnded();
  await sleep(100);
  assert.deepEqual([stopped.fired, never.fired], [[], []]);
});
