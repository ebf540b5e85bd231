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

test("past the limit nothing more is kept: the reading attempt goes on, no replay can start, no mirror is sent", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 10);
  const completions: string[] = [];
  body.whenComplete((chunks) => completions.push(Buffer.concat(chunks).toString()));
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
  assert.deepEqual(completions, []);
});

test("whenComplete gives the whole kept body once it ended, also to late callers", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const completions: string[] = [];
  body.whenComplete((chunks) => completions.push(`early ${Buffer.concat(chunks).toString()}`));
  const read = collect(body.open()!);
  source.write("ab");
  await tick();
  assert.equal(completions.length, 0);
  source.end("cd");
  assert.equal(await read, "abcd");
  body.whenComplete((chunks) => completions.push(`late ${Buffer.concat(chunks).toString()}`));
  assert.deepEqual(completions, ["early abcd", "late abcd"]);
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

test("release stops keeping unless a mirror waits for the body", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  void collect(body.open()!);
  source.write("a");
  await tick();
  body.release();
  assert.equal(body.replayable, false);

  const mirrored = new PassThrough();
  const kept = new ReplayableBody(mirrored, { bytesReceived: 0 }, 100);
  const completions: string[] = [];
  kept.whenComplete((chunks) => completions.push(Buffer.concat(chunks).toString()));
  const read = collect(kept.open()!);
  kept.release();
  assert.equal(kept.replayable, true);
  mirrored.end("body");
  assert.equal(await read, "body");
  assert.deepEqual(completions, ["body"]);
});

test("a failing source fails the reading attempt and ends keeping", async () => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, { bytesReceived: 0 }, 100);
  const read = collect(body.open()!);
  source.write("a");
  await tick();
  source.destroy(new Error("client went away"));
  assert.equal(await read, "error: client went away");
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
