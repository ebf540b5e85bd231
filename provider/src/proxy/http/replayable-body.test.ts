import assert from "node:assert/strict";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { ReplayableBody } from "./replayable-body";

/** Everything `r` yields until it ends (or its error message). */
async function collect(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of r) chunks.push(c as Buffer);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
  return Buffer.concat(chunks).toString();
}

/** Lets the streams move. */
const tick = () => new Promise((r) => setImmediate(r));

test("the first attempt streams the live body; a replay yields the kept chunks, then follows the rest", async () => {
  const source = new PassThrough();
  const observer = { bytesReceived: 0 };
  const body = new ReplayableBody(source, observer, 100);
  const first = body.open()!;
  const firstRead = collect(first);
  source.write("aaa");
  source.write("bbb");
  await tick();
  assert.equal(body.replayable, true);
  const replay = body.open()!;
  assert.equal(first.destroyed, true);
  const replayRead = collect(replay);
  source.write("ccc");
  source.end("ddd");
  assert.equal(await replayRead, "aaabbbcccddd");
  assert.equal(await firstRead, "error: Premature close");
  assert.equal(observer.bytesReceived, 12);
  // After the end, a replay gives the whole body again.
  assert.equal(await collect(body.open()!), "aaabbbcccddd");
  assert.equal(observer.bytesReceived, 12);
});

test("past the limit nothing more is kept: the reading attempt goes on, no replay can start, taps are abandoned", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 10);
  const tapped = collect(body.tap()!);
  const read = collect(body.open()!);
  source.write("123456");
  await tick();
  assert.equal(body.replayable, true);
  source.write("7890");
  await tick();
  assert.equal(body.replayable, true, "exactly the limit is still kept");
  source.end("x");
  assert.equal(await read, "1234567890x");
  assert.equal(body.replayable, false);
  assert.equal(body.open(), undefined);
  assert.equal(body.tap(), undefined);
  assert.equal(await tapped, "error: request body outgrew the mirror buffer");
});

test("a tap gets the chunks read so far, then each chunk as it is read, then the end", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const early = body.tap()!;
  const seen: string[] = [];
  early.on("data", (c: Buffer) => seen.push(c.toString()));
  const read = collect(body.open()!);
  source.write("ab");
  await tick();
  assert.deepEqual(seen, ["ab"], "the first chunk reaches the tap before the body ends");
  const late = collect(body.tap()!);
  source.end("cd");
  assert.equal(await read, "abcd");
  await tick();
  assert.deepEqual(seen, ["ab", "cd"]);
  assert.equal(early.readableEnded, true);
  assert.equal(await late, "abcd");
  assert.equal(await collect(body.tap()!), "abcd", "a tap made after the end gets the whole body");
});

test("a tap nobody reads never holds the source back", async () => {
  const source = new PassThrough({ highWaterMark: 4 });
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 1 << 20);
  const tap = body.tap()!;
  const big = Buffer.alloc(64 * 1024, 1);
  const read = collect(body.open()!);
  for (let i = 0; i < 8; i++) {
    source.write(big);
    await tick();
  }
  source.end();
  assert.equal((await read).length, 8 * big.length);
  assert.equal(tap.readableLength, 8 * big.length);
  assert.equal((await collect(tap)).length, 8 * big.length);
});

test("a limit of 0 streams the body once and keeps nothing", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 0);
  assert.equal(body.replayable, true);
  const read = collect(body.open()!);
  assert.equal(body.replayable, false);
  assert.equal(body.open(), undefined);
  source.end("once");
  assert.equal(await read, "once");
});

test("release stops keeping, while taps go on to the end", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const tapped = collect(body.tap()!);
  const read = collect(body.open()!);
  source.write("a");
  await tick();
  body.release();
  assert.equal(body.replayable, false);
  assert.equal(body.tap(), undefined);
  source.end("b");
  assert.equal(await read, "ab");
  assert.equal(await tapped, "ab");
});

test("a request that closes before its body was read abandons its taps", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const tapped = collect(body.tap()!);
  source.destroy();
  assert.equal(await tapped, "error: request closed before its body was read");
});

test("a failing source fails the reading attempt and its taps, and ends keeping", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const read = collect(body.open()!);
  source.write("a");
  await tick();
  const tapped = collect(body.tap()!);
  source.destroy(new Error("client went away"));
  assert.equal(await read, "error: client went away");
  assert.equal(await tapped, "error: client went away");
  assert.equal(body.replayable, false);
  assert.equal(body.open(), undefined);
});

test("the source waits while the attempt's stream is full (backpressure)", async () => {
  const source = new PassThrough({ highWaterMark: 4 });
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 1 << 20);
  const reader = body.open()!;
  let accepted = 0;
  const big = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; i < 16 && source.write(big); i++) accepted++;
  await tick();
  // Nobody reads the attempt's stream: it buffers up to its high-water mark, then the source
  // is paused and refuses more writes.
  assert.equal(source.isPaused(), true);
  assert.ok(accepted < 16, `accepted ${accepted}`);
  reader.resume();
  await once(source, "drain");
  assert.equal(source.isPaused(), false);
  reader.destroy();
});

test("whenEnded tells once the downstream sent the whole body: later, at once after it, never after a failure", async () => {
  const told: string[] = [];
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 0);
  body.whenEnded(() => told.push("before open"));
  const read = collect(body.open()!);
  source.write("abc");
  await tick();
  assert.equal(told.length, 0);
  source.end("def");
  assert.equal(await read, "abcdef");
  body.whenEnded(() => told.push("after the end"));
  assert.deepEqual(told, ["before open", "after the end"]);

  const failing = new PassThrough();
  const failed = new ReplayableBody(failing, { bytesReceived: 0 }, 0);
  failed.whenEnded(() => told.push("failed"));
  const failedRead = collect(failed.open()!);
  failing.destroy(new Error("client left"));
  assert.equal(await failedRead, "error: client left");
  failed.whenEnded(() => told.push("failed, asked later"));
  assert.deepEqual(told, ["before open", "after the end"]);
});
