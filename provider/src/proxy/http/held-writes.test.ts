import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import { HeldWrites } from "./held-writes";

/** A connected pair on the loopback; `writes` records what reaches the client's `write`. */
interface Pair {
  readonly client: net.Socket;
  readonly peer: net.Socket;
  readonly writes: (string | Buffer)[];
  /** Everything the peer has read so far. */
  received(): Buffer;
}

async function connectedPair(server: net.Server): Promise<Pair> {
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const [peer] = (await once(server, "connection")) as [net.Socket];
  await once(client, "connect");
  const chunks: Buffer[] = [];
  peer.on("data", (d: Buffer) => chunks.push(d));
  const writes: (string | Buffer)[] = [];
  const write = client.write.bind(client) as (chunk: string | Buffer, encoding: BufferEncoding) => boolean;
  client.write = ((chunk: string | Buffer, encoding: BufferEncoding) => {
    writes.push(chunk);
    return write(chunk, encoding);
  }) as typeof client.write;
  return { client, peer, writes, received: () => Buffer.concat(chunks) };
}

/** Waits until the peer has read `length` bytes. */
async function receivedAll(pair: Pair, length: number): Promise<Buffer> {
  for (let i = 0; i < 500 && pair.received().length < length; i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  return pair.received();
}

describe("HeldWrites", () => {
  let server: net.Server;
  let pair: Pair;

  beforeEach(async () => {
    server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    pair = await connectedPair(server);
  });

  afterEach(() => {
    pair.client.destroy();
    pair.peer.destroy();
    server.close();
  });

  it("joins a head and a body into one buffer, written once at the flush", async () => {
    const held = new HeldWrites(pair.client);
    const body = Buffer.from([0x00, 0xff, 0x41, 0x0a]);
    assert.equal(held.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"), true);
    assert.equal(held.write(body), true);
    assert.equal(held.holding, true);
    assert.deepEqual(pair.writes, []);
    held.flush();
    assert.equal(held.holding, false);
    assert.equal(pair.writes.length, 1);
    assert.ok(Buffer.isBuffer(pair.writes[0]));
    const expected = Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"), body]);
    assert.deepEqual(await receivedAll(pair, expected.length), expected);
  });

  it("writes strings as latin1 text: one byte a character, joined into one string", async () => {
    const held = new HeldWrites(pair.client);
    held.write("x-name: caf\u00e9\r\n");
    held.write("x-more: \u00ff\r\n");
    held.flush();
    assert.deepEqual(pair.writes, ["x-name: caf\u00e9\r\nx-more: \u00ff\r\n"]);
    const bytes = await receivedAll(pair, 25);
    assert.deepEqual(bytes, Buffer.from("x-name: caf\u00e9\r\nx-more: \u00ff\r\n", "latin1"));
    assert.equal(bytes.length, 25);
  });

  it("gives a single piece to the socket as it is, and starts each turn empty", async () => {
    const held = new HeldWrites(pair.client);
    const body = Buffer.from("first");
    held.write(body);
    held.flush();
    held.flush();
    held.write("second");
    held.flush();
    assert.deepEqual(pair.writes, [body, "second"]);
    assert.equal((await receivedAll(pair, 11)).toString(), "firstsecond");
  });

  it("past the high-water mark, hands the pieces to the corked socket in order and reports backpressure", async () => {
    const held = new HeldWrites(pair.client);
    pair.peer.pause();
    const big = Buffer.alloc(pair.client.writableHighWaterMark, 0x62);
    assert.equal(held.write("head;"), true);
    // Held bytes count toward the mark: this piece reaches it, so the socket takes the pieces.
    assert.equal(held.write(big), false);
    assert.equal(pair.writes.length, 2);
    assert.equal(pair.client.writableCorked, 1);
    assert.equal(held.write(";tail"), false);
    assert.equal(pair.writes.length, 3);
    held.flush();
    assert.equal(pair.client.writableCorked, 0);
    assert.equal(held.holding, false);
    pair.peer.resume();
    const bytes = await receivedAll(pair, big.length + 10);
    assert.equal(bytes.length, big.length + 10);
    assert.equal(bytes.subarray(0, 5).toString(), "head;");
    assert.equal(bytes.subarray(-5).toString(), ";tail");
    assert.equal(
      bytes.subarray(5, -5).every((b) => b === 0x62),
      true,
    );
  });

  it("drops what a destroyed socket was to be given, without an error", async () => {
    const held = new HeldWrites(pair.client);
    const errors: Error[] = [];
    pair.client.on("error", (err) => errors.push(err));
    held.write("lost");
    pair.client.destroy();
    held.flush();
    assert.equal(held.holding, false);
    assert.deepEqual(pair.writes, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(errors, []);
  });
});
