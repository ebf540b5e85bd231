/**
 * Generated exchanges through the HTTP/1.1 upstream pool: request bodies framed by length or
 * chunked, responses framed by length, chunked (with trailers) or by the connection's close, every
 * message cut into random TCP writes, and a handler that holds back now and then. Whatever the
 * cuts, both ends must see exactly the bytes the other sent, and a connection must be reused
 * exactly when its response allowed it.
 *
 * A second property sends mangled responses (bytes flipped, cut, spliced, garbage appended): each
 * exchange must end exactly once, as a response or a failure, and the pool must go on serving.
 *
 * fast-check prints the seed of a failing run; `FUZZ_SEED=<seed>` replays it, `FUZZ_RUNS=<n>`
 * changes the number of generated sequences (default 40), and `FUZZ_SHRINK=1` shrinks a failure
 * (each step can wait out a 5 s timeout, so it is off by default).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Http1Pool, type Http1Handler } from "../../provider/src/proxy/upstream/http1-pool";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 40);
const SEED = process.env["FUZZ_SEED"] === undefined ? undefined : Number(process.env["FUZZ_SEED"]);
/** Shrinking replays a failure many times, each waiting out its timeout: only when asked. */
const SHRINK = process.env["FUZZ_SHRINK"] === "1";

/** One generated exchange. */
interface Exchange {
  /** The request body, if any, in the pieces the client's stream yields. */
  requestBody: Uint8Array[] | null;
  /** Send the body with its content-length (else chunked). */
  requestLength: boolean;
  /** The response body. */
  responseBody: Uint8Array;
  /** How the response is framed. */
  framing: "length" | "chunked" | "close";
  /** Sizes of the chunks of a chunked response (cycled). */
  chunkSizes: number[];
  /** Trailers of a chunked response. */
  trailers: [string, string][];
  /** Sizes of the TCP writes the response is cut into (cycled), and whether to yield between them. */
  cuts: number[];
  yieldBetweenCuts: boolean;
  /** The handler holds back after every n-th body chunk (0: never). */
  holdEvery: number;
}

// "max": lengths spread over the whole range, not only the small ones fast-check favours.
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max, size: "max" });

const exchangeArb: fc.Arbitrary<Exchange> = fc.record({
  requestBody: fc.option(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 20_000, size: "max" }), { minLength: 1, maxLength: 6 }),
    {
      nil: null,
    },
  ),
  requestLength: fc.boolean(),
  responseBody: fc.oneof(bytes(64), bytes(200_000)),
  framing: fc.constantFrom("length" as const, "chunked" as const, "close" as const),
  chunkSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 70_000 })), {
    minLength: 1,
    maxLength: 4,
  }),
  trailers: fc.array(
    fc.tuple(fc.constantFrom("grpc-status", "x-checksum", "x-t"), fc.stringMatching(/^[a-z0-9]{0,12}$/)),
    { maxLength: 2 },
  ),
  cuts: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 50_000 })), {
    minLength: 1,
    maxLength: 5,
  }),
  yieldBetweenCuts: fc.boolean(),
  holdEvery: fc.constantFrom(0, 0, 1, 3),
});

/** What the server read of one request. */
interface Received {
  head: string;
  body: Buffer;
}

/**
 * A server that reads each request (its body by content-length or chunked) and answers the
 * exchange `next()` gives, cut as it says.
 */
class ScriptedServer {
  readonly server: net.Server;
  readonly received: Received[] = [];
  connections = 0;
  next: () => Exchange = () => {
    throw new Error("no exchange scripted");
  };

  constructor() {
    this.server = net.createServer((socket) => {
      this.connections++;
      socket.on("error", () => {});
      let buffered = Buffer.alloc(0);
      let busy = false;
      const pump = async () => {
        if (busy) return;
        busy = true;
        for (;;) {
          const request = takeRequest(buffered);
          if (request === undefined) break;
          buffered = buffered.subarray(request.consumed);
          this.received.push({ head: request.head, body: request.body });
          await answer(socket, this.next());
          if (socket.destroyed || socket.writableEnded) break;
        }
        busy = false;
      };
      socket.on("data", (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        // A request the server cannot read ends the connection: the client sees a reset.
        pump().catch(() => socket.destroy());
      });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return (this.server.address() as net.AddressInfo).port;
  }
}

/** A complete request at the start of `data`, or undefined while it is still arriving. */
function takeRequest(data: Buffer): { head: string; body: Buffer; consumed: number } | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = data.subarray(0, end + 4).toString("latin1");
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(head);
  let offset = end + 4;
  if (!/\r\ntransfer-encoding: chunked\r\n/i.test(head)) {
    const n = length === null ? 0 : Number(length[1]);
    if (data.length < offset + n) return undefined;
    return { head, body: data.subarray(offset, offset + n), consumed: offset + n };
  }
  const pieces: Buffer[] = [];
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (size === 0) {
      if (data.length < lineEnd + 4) return undefined;
      return { head, body: Buffer.concat(pieces), consumed: lineEnd + 4 };
    }
    if (!(size > 0)) throw new Error(`bad chunk size line at ${offset}`);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    if (data.toString("latin1", lineEnd + 2 + size, lineEnd + 4 + size) !== "\r\n") {
      throw new Error(`chunk of ${size} bytes not followed by CRLF`);
    }
    pieces.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** The response of `x` on the wire. */
function responseBytes(x: Exchange): Buffer {
  const body = Buffer.from(x.responseBody);
  switch (x.framing) {
    case "length":
      return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    case "close":
      return Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), body]);
    case "chunked": {
      const parts = [Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")];
      for (let at = 0, i = 0; at < body.length; i++) {
        const piece = body.subarray(at, at + x.chunkSizes[i % x.chunkSizes.length]!);
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
        at += piece.length;
      }
      const trailers = x.trailers.map(([k, v]) => `${k}: ${v}\r\n`).join("");
      parts.push(Buffer.from(`0\r\n${trailers}\r\n`));
      return Buffer.concat(parts);
    }
  }
}

/** Writes the response of `x` in its cuts; a close-delimited one ends the connection. */
async function answer(socket: net.Socket, x: Exchange): Promise<void> {
  const wire = responseBytes(x);
  // At most about 200 pieces: a 130 KiB body in 3-byte writes, each read held back for 1 ms,
  // would take longer than the exchange's 5 s without testing anything more.
  const least = Math.ceil(wire.length / 200);
  for (let at = 0, i = 0; at < wire.length; i++) {
    const n = Math.max(x.cuts[i % x.cuts.length]!, least);
    socket.write(wire.subarray(at, at + n));
    at += n;
    if (x.yieldBetweenCuts) await new Promise((r) => setImmediate(r));
  }
  if (x.framing === "close") socket.end();
}

/** Sends `x` through `pool` and collects the response, holding back as `x` says. */
function send(pool: Http1Pool, x: Exchange): Promise<{ body: Buffer; trailers: string[] | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("exchange not done within 5 s")), 5000);
    const chunks: Buffer[] = [];
    let resume: () => void = () => {};
    let seen = 0;
    const handler: Http1Handler = {
      onConnect() {},
      onHeaders(status, _raw, r) {
        assert.equal(status, 200);
        resume = r;
        return true;
      },
      onData(chunk) {
        chunks.push(Buffer.from(chunk));
        seen++;
        if (x.holdEvery === 0 || seen % x.holdEvery !== 0) return true;
        setTimeout(() => resume(), 1);
        return false;
      },
      onComplete(trailers) {
        clearTimeout(timer);
        resolve({ body: Buffer.concat(chunks), trailers });
      },
      onError(err) {
        clearTimeout(timer);
        reject(err);
      },
    };
    const body = x.requestBody;
    const total = body === null ? 0 : body.reduce((n, b) => n + b.length, 0);
    pool.dispatch(
      {
        method: body === null ? "GET" : "POST",
        path: "/generated",
        headers: {
          host: "upstream.test",
          ...(body !== null && x.requestLength ? { "content-length": String(total) } : {}),
        },
        body: body === null ? null : Readable.from(body.map((b) => Buffer.from(b))),
      },
      handler,
    );
  });
}

describe("Http1Pool: generated framings and TCP cuts", () => {
  let server: ScriptedServer;
  let port: number;
  before(async () => {
    server = new ScriptedServer();
    port = await server.listen();
  });
  after(() => server.server.close());

  it("delivers every byte both ways and reuses exactly the connections whose response allowed it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(exchangeArb, { minLength: 1, maxLength: 4 }), async (sequence) => {
        const pool = new Http1Pool("127.0.0.1", port, {
          connectTimeoutMs: 2000,
          idleTimeoutMs: 60_000,
          maxRequestsPerConnection: 0,
          tls: undefined,
        });
        server.received.length = 0;
        const before = server.connections;
        try {
          for (const [i, x] of sequence.entries()) {
            server.next = () => x;
            const got = await send(pool, x);
            assert.ok(Buffer.from(x.responseBody).equals(got.body), `response body of exchange ${i}`);
            const trailers = x.framing === "chunked" && x.trailers.length > 0 ? x.trailers.flat() : null;
            assert.deepEqual(got.trailers, trailers);
            const sent = x.requestBody === null ? Buffer.alloc(0) : Buffer.concat(x.requestBody);
            assert.ok(sent.equals(server.received[i]!.body), `request body of exchange ${i}`);
            const framing = x.requestBody === null ? "none" : x.requestLength ? "length" : "chunked";
            assert.equal(
              /\r\ntransfer-encoding: chunked\r\n/.test(server.received[i]!.head),
              framing === "chunked",
            );
          }
          // A new connection for the first exchange and after every close-delimited response.
          const closes = sequence.slice(0, -1).filter((x) => x.framing === "close").length;
          assert.equal(server.connections - before, 1 + closes);
        } finally {
          pool.destroy();
        }
      }),
      { numRuns: RUNS, endOnFailure: !SHRINK, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});

/** A response mangled: `ops` flip, drop and insert bytes of a valid one, then the server closes. */
const mangledArb = fc.record({
  base: exchangeArb,
  ops: fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

/** One change to a response's bytes. */
type Mangling =
  | { kind: "flip"; at: number; value: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array };

function mangle(wire: Buffer, ops: readonly Mangling[]): Buffer {
  let out = Buffer.from(wire);
  for (const op of ops) {
    if (out.length === 0) break;
    const at = op.at % out.length;
    if (op.kind === "flip") out[at] = op.value;
    else if (op.kind === "cut") out = out.subarray(0, at);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from(op.bytes), out.subarray(at)]);
  }
  return out;
}

describe("Http1Pool: mangled responses", () => {
  let server: net.Server;
  let port: number;
  let wire: Buffer = Buffer.alloc(0);
  before(async () => {
    server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(wire));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  it("ends every exchange exactly once, as a response or a failure, and keeps serving", async () => {
    const pool = new Http1Pool("127.0.0.1", port, {
      connectTimeoutMs: 2000,
      idleTimeoutMs: 60_000,
      maxRequestsPerConnection: 0,
      tls: undefined,
    });
    try {
      await fc.assert(
        fc.asyncProperty(mangledArb, async ({ base, ops }) => {
          wire = mangle(responseBytes({ ...base, responseBody: base.responseBody.subarray(0, 2000) }), ops);
          const endings: string[] = [];
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("exchange not ended within 2 s")), 2000);
            const end = (how: string) => {
              endings.push(how);
              // Any second ending would arrive within the same turns: wait a little before judging.
              setTimeout(() => {
                clearTimeout(timer);
                resolve();
              }, 5);
            };
            pool.dispatch(
              { method: "GET", path: "/", headers: { host: "upstream.test" }, body: null },
              {
                onConnect() {},
                onHeaders: () => true,
                onData: () => true,
                onComplete: () => end("complete"),
                onError: (err) => end(`error ${(err as { code?: string }).code}`),
              },
            );
          });
          assert.equal(endings.length, 1, endings.join(", "));
          assert.match(endings[0]!, /^(complete|error IGW_ERR_UPSTREAM_(PROTOCOL|RESET))$/);
        }),
        { numRuns: RUNS * 5, endOnFailure: !SHRINK, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      // The pool still serves a well-formed response.
      wire = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      const status = await new Promise<number>((resolve, reject) =>
        pool.dispatch(
          { method: "GET", path: "/", headers: { host: "upstream.test" }, body: null },
          {
            onConnect() {},
            onHeaders: (s) => (resolve(s), true),
            onData: () => true,
            onComplete() {},
            onError: reject,
          },
        ),
      );
      assert.equal(status, 200);
    } finally {
      pool.destroy();
    }
  });
});
