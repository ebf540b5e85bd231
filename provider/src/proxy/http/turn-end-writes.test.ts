import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import type { TurnEndWriter } from "./turn-end-writes";
import { holdUntilTurnEnd } from "./turn-end-writes";

/** A writer that records its flushes in `log` under `name`, and may throw on the first. */
function writer(log: string[], name: string, throwOnce = false): TurnEndWriter {
  let thrown = false;
  return {
    flushTurn() {
      log.push(name);
      if (throwOnce && !thrown) {
        thrown = true;
        throw new Error(`${name} failed`);
      }
    },
  };
}

/** Resolves after the next turn's check phase (an immediate scheduled after those held now). */
const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("holdUntilTurnEnd", () => {
  it("flushes after the turn's callbacks and microtasks, once each, in the order held", async () => {
    const log: string[] = [];
    holdUntilTurnEnd(writer(log, "a"));
    holdUntilTurnEnd(writer(log, "b"));
    process.nextTick(() => log.push("tick"));
    await Promise.resolve();
    log.push("microtask");
    holdUntilTurnEnd(writer(log, "c"));
    await nextImmediate();
    assert.deepEqual(log.slice(0, 2).sort(), ["microtask", "tick"]);
    assert.deepEqual(log.slice(2), ["a", "b", "c"]);
    await nextImmediate();
    assert.equal(log.length, 5);
  });

  it("flushes the writers to upstreams first, then those to clients, each in the order held", async () => {
    const log: string[] = [];
    holdUntilTurnEnd(writer(log, "response 1"));
    holdUntilTurnEnd(writer(log, "request 1"), "upstream");
    holdUntilTurnEnd(writer(log, "response 2"), "downstream");
    holdUntilTurnEnd(writer(log, "request 2"), "upstream");
    await nextImmediate();
    assert.deepEqual(log, ["request 1", "request 2", "response 1", "response 2"]);
  });

  it("holds a writer asked for during a flush until the next turn", async () => {
    const log: string[] = [];
    const later = writer(log, "later");
    holdUntilTurnEnd({
      flushTurn() {
        log.push("first");
        holdUntilTurnEnd(later);
      },
    });
    await nextImmediate();
    assert.deepEqual(log, ["first"]);
    await nextImmediate();
    assert.deepEqual(log, ["first", "later"]);
  });

  it("leaves no writer corked when one throws: the rest flush on the next turn", async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    const listeners = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", onError);
    try {
      holdUntilTurnEnd(writer(log, "a"));
      holdUntilTurnEnd(writer(log, "b", true));
      holdUntilTurnEnd(writer(log, "c"));
      await nextImmediate();
      await nextImmediate();
      // A writer to an upstream that throws leaves the rest of its list and every writer to a
      // client, in their order.
      holdUntilTurnEnd(writer(log, "response"));
      holdUntilTurnEnd(writer(log, "request 1", true), "upstream");
      holdUntilTurnEnd(writer(log, "request 2"), "upstream");
      await nextImmediate();
      assert.deepEqual(log.slice(3), ["request 1"]);
      await nextImmediate();
    } finally {
      process.off("uncaughtException", onError);
      for (const l of listeners) process.on("uncaughtException", l);
    }
    assert.deepEqual(log, ["a", "b", "c", "request 1", "request 2", "response"]);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["b failed", "request 1 failed"],
    );
  });

  it("keeps a corked socket's writes until the end of the turn, then sends them together", async () => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    const [peer] = (await once(server, "connection")) as [net.Socket];
    await once(client, "connect");
    const reads: string[] = [];
    peer.on("data", (d: Buffer) => reads.push(d.toString()));
    const pending: number[] = [];
    client.cork();
    holdUntilTurnEnd({
      flushTurn: () => {
        pending.push(client.writableLength);
        client.uncork();
        pending.push(client.writableLength);
      },
    });
    client.write("one,");
    await Promise.resolve();
    client.write("two,");
    process.nextTick(() => {
      client.write("three");
      pending.push(client.writableLength);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
    server.close();
    // Held through the callbacks' ticks, all 13 bytes leave at the flush (a write the kernel takes
    // at once leaves nothing pending), and the peer reads them as one.
    assert.deepEqual(pending, [13, 13, 0]);
    assert.deepEqual(reads, ["one,two,three"]);
  });
});
