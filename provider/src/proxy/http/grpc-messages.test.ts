import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CounterSeries } from "../observability/metric-family";
import { GrpcMessageCounter } from "./grpc-messages";

/** gRPC's framing of `messages`: each behind a flags byte and its length, 4 bytes big-endian. */
function framed(messages: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    messages.flatMap((m) => {
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(m.length, 1);
      return [prefix, Buffer.from(m)];
    }),
  );
}

/** `bytes` cut at `cuts` (positions, any order, repeats allowed). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

test("counts each message of a stream once, however the stream is cut into chunks", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (messages, cuts) => {
        const counter = new CounterSeries({});
        const messagesSeen = new GrpcMessageCounter(counter);
        for (const chunk of cut(framed(messages), cuts)) messagesSeen.observe(chunk);
        assert.equal(counter.value, messages.length);
      },
    ),
  );
});

test("counts a message when its prefix starts, as Envoy's FrameInspector does", () => {
  const counter = new CounterSeries({});
  const messagesSeen = new GrpcMessageCounter(counter);
  const stream = framed([Buffer.from("hello"), Buffer.alloc(0), Buffer.from("world")]);
  // The first byte of the first prefix; then everything up to the first byte of the third.
  messagesSeen.observe(stream.subarray(0, 1));
  assert.equal(counter.value, 1);
  messagesSeen.observe(stream.subarray(1, 16));
  assert.equal(counter.value, 3);
  messagesSeen.observe(stream.subarray(16));
  assert.equal(counter.value, 3);
});

test("skips a message's bytes by its length, whatever they hold", () => {
  const counter = new CounterSeries({});
  // A 300-byte message full of bytes that would read as prefixes (its length spans two bytes).
  new GrpcMessageCounter(counter).observe(framed([Buffer.alloc(300, 0), Buffer.alloc(1, 1)]));
  assert.equal(counter.value, 2);
});
