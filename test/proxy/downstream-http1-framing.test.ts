/**
 * Generated pipelines of HTTP/1.1 requests on one keep-alive downstream connection: methods,
 * paths, repeated headers, bodies framed by length or chunked (with chunk extensions and
 * trailers), the whole stream cut into random TCP writes with pauses between some, the client
 * never waiting for a response before sending the next request. The upstream answers each with
 * a generated response (length or chunked, with trailers, 204 now and then, after a pause that
 * reorders the answers upstream). Whatever the cuts, the client must get exactly one response per
 * request, in order, each body as the upstream sent it, and the upstream exactly the requests and
 * bodies the client sent; the connection must serve one more request afterwards.
 *
 * A second property makes one request of such a pipeline hostile (two content-lengths,
 * transfer-encoding with content-length, a bare CR or LF in a header value, a header line over
 * the proxy's 60 KiB limit, a chunk size that is not hexadecimal, or the stream cut short and
 * closed): every request before it is answered as before, the hostile one gets 400 (431 for the
 * long header) or, cut short, nothing, and the connection closes without anything after it ever
 * reaching the upstream. A new connection is then served.
 *
 * fast-check prints the seed of a failing run; `FUZZ_SEED=<seed>` replays it, `FUZZ_RUNS=<n>`
 * changes the number of generated pipelines per property (default 40), and `FUZZ_SHRINK=1`
 * shrinks a failing pipeline (off by default: a hung connection costs WAIT_MS per step).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { startConfigProxy } from "./support/config-proxy";
import type { ParsedResponse } from "./support/http1-response-parser";
import { fieldValue, Http1ResponseParser } from "./support/http1-response-parser";
import { cluster, forward, httpListener, proxyConfig, route, vhost } from "./support/proxy-config-builders";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 40);
const SEED = process.env["FUZZ_SEED"] === undefined ? undefined : Number(process.env["FUZZ_SEED"]);
// A failing run waits out WAIT_MS once per shrinking step: shrinking is asked for, not the default.
const SHRINK = process.env["FUZZ_SHRINK"] === "1";

/** The longest any awaited event may take before the run fails instead of hanging. */
const WAIT_MS = 5_000;

/** The proxy's default limit on request header bytes (ConnectionLimits.maxHeaderBytes). */
const MAX_HEADER_BYTES = 60 * 1024;

type Method = "GET" | "POST" | "PUT" | "DELETE" | "HEAD";

/** One generated request. */
interface GenRequest {
  method: Method;
  /** The path after `/p/<index>/`, query included. */
  path: string;
  /** Extra headers, names in any case, some repeated. */
  headers: [string, string][];
  /** The body (POST and PUT only). */
  body: Uint8Array;
  /** How a body is framed. */
  framing: "length" | "chunked";
  /** Sizes of the chunks of a chunked body (cycled). */
  chunkSizes: number[];
  /** Chunk extensions, one per chunk (cycled; "" for none). */
  extensions: string[];
  /** Chunk sizes in upper-case hexadecimal, with leading zeros. */
  upperHex: boolean;
  zeros: number;
  /** Trailer section of a chunked body. */
  trailers: [string, string][];
}

/** One generated upstream response. */
interface GenResponse {
  status: 200 | 201 | 204 | 404;
  body: Uint8Array;
  framing: "length" | "chunked";
  /** Sizes of the writes the body is cut into (cycled). */
  pieces: number[];
  /** Trailers of a chunked response. */
  trailers: [string, string][];
  /** The upstream waits this long after reading the request before answering. */
  delayMs: number;
}

/** Where the byte stream is cut into writes. */
type Cut = { kind: "anywhere"; at: number } | { kind: "near"; mark: number; offset: number };

/** How the stream goes out: cuts, pauses before writes (cycled), a stretch sent byte by byte. */
interface WirePlan {
  cuts: Cut[];
  delays: number[];
  dribble: number | null;
}

// "max": lengths spread over the whole range, not only the small ones fast-check favours.
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max, size: "max" });
/** Body sizes 0..max, most of them small. */
const body = (max: number) =>
  fc.oneof(
    { arbitrary: bytes(16), weight: 4 },
    { arbitrary: bytes(1024), weight: 3 },
    { arbitrary: bytes(max), weight: 2 },
  );

const headerName = fc.oneof(
  fc.constantFrom("x-rep", "X-Rep", "x-dup"),
  fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/).map((s) => `x-g-${s}`),
);
/** Visible ASCII, spaces inside only (the parser trims them at the ends). */
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/);

const requestArb: fc.Arbitrary<GenRequest> = fc.record({
  method: fc.constantFrom<Method>("GET", "POST", "PUT", "DELETE", "HEAD"),
  path: fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,16}$/).filter((s) => s !== "." && s !== ".."),
      fc.option(fc.stringMatching(/^[A-Za-z0-9=&_.~-]{1,20}$/), { nil: null }),
    )
    .map(([segment, query]) => (query === null ? segment : `${segment}?${query}`)),
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
  body: body(64 * 1024),
  framing: fc.constantFrom("length" as const, "chunked" as const),
  chunkSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 70_000 })), {
    minLength: 1,
    maxLength: 4,
  }),
  extensions: fc.array(fc.constantFrom("", "", ";a", ";ext=1", ";n=v;m", ";q=x"), {
    minLength: 1,
    maxLength: 3,
  }),
  upperHex: fc.boolean(),
  zeros: fc.constantFrom(0, 0, 0, 1, 3),
  trailers: fc.array(
    fc.tuple(
      fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `x-t-${s}`),
      headerValue,
    ),
    {
      maxLength: 2,
    },
  ),
});

const responseArb: fc.Arbitrary<GenResponse> = fc.record({
  status: fc.constantFrom<GenResponse["status"]>(200, 200, 200, 201, 204, 404),
  body: body(32 * 1024),
  framing: fc.constantFrom("length" as const, "chunked" as const),
  pieces: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 40_000 })), {
    minLength: 1,
    maxLength: 4,
  }),
  trailers: fc.array(
    fc.tuple(
      fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `x-t-${s}`),
      headerValue,
    ),
    {
      maxLength: 2,
    },
  ),
  delayMs: fc.constantFrom(0, 0, 0, 1, 5, 15),
});

const exchangeArb = fc.record({ request: requestArb, response: responseArb });

const wireArb: fc.Arbitrary<WirePlan> = fc.record({
  cuts: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("anywhere" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("near" as const),
        mark: fc.nat(),
        offset: fc.integer({ min: -24, max: 24 }),
      }),
    ),
    { maxLength: 24 },
  ),
  delays: fc.array(fc.constantFrom(0, 0, 0, 1, 3), { minLength: 1, maxLength: 5 }),
  dribble: fc.option(fc.nat(), { nil: null }),
});

/** A generated pipeline: 1-6 exchanges on one connection, and how its bytes are written. */
const pipelineArb = fc.record({
  exchanges: fc.array(exchangeArb, { minLength: 1, maxLength: 6 }),
  wire: wireArb,
});

const hasBody = (method: Method) => method === "POST" || method === "PUT";

/** A request on the wire: its head's lines (request line first) and what follows the head. */
interface RequestParts {
  lines: string[];
  /** The body as framed, or a chunked body as its pieces (size lines, data, trailers). */
  framed: Buffer[];
}

/** The serialized request `i` of run `run`. */
function requestParts(
  run: number,
  i: number,
  r: GenRequest,
  framing = r.framing,
  withBody = hasBody(r.method),
): RequestParts {
  const lines = [`${r.method} /p/${i}/${r.path} HTTP/1.1`, "Host: fuzz.test", `X-Fuzz-Run: ${run}`];
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  const framed: Buffer[] = [];
  if (!withBody) return { lines, framed };
  const data = Buffer.from(r.body);
  if (framing === "length") {
    lines.push(`Content-Length: ${data.length}`);
    framed.push(data);
    return { lines, framed };
  }
  lines.push("Transfer-Encoding: chunked");
  const size = (n: number) => {
    const hex = "0".repeat(r.zeros) + n.toString(16);
    return r.upperHex ? hex.toUpperCase() : hex;
  };
  let k = 0;
  for (let at = 0; at < data.length; k++) {
    const piece = data.subarray(at, at + r.chunkSizes[k % r.chunkSizes.length]!);
    const ext = r.extensions[k % r.extensions.length]!;
    framed.push(
      Buffer.from(`${size(piece.length)}${ext}\r\n`, "latin1"),
      piece,
      Buffer.from("\r\n", "latin1"),
    );
    at += piece.length;
  }
  framed.push(Buffer.from(`${size(0)}${r.extensions[k % r.extensions.length]!}\r\n`, "latin1"));
  framed.push(Buffer.from(`${r.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`, "latin1"));
  return { lines, framed };
}

/** The bytes of `parts`, and where its head ends (offset of the body). */
function partsBytes(parts: RequestParts): { wire: Buffer; headEnd: number } {
  const head = Buffer.from(parts.lines.join("\r\n") + "\r\n\r\n", "latin1");
  return { wire: Buffer.concat([head, ...parts.framed]), headEnd: head.length };
}

/** The pipelined stream of `messages`, and the offsets worth cutting near (starts, head ends). */
function stream(messages: readonly { wire: Buffer; headEnd: number }[]): { wire: Buffer; marks: number[] } {
  const marks: number[] = [];
  let at = 0;
  for (const m of messages) {
    marks.push(at, at + m.headEnd);
    at += m.wire.length;
  }
  marks.push(at);
  return { wire: Buffer.concat(messages.map((m) => m.wire)), marks };
}

/** The write boundaries of `plan` over `length` bytes, sorted, within (0, length). */
function cutPoints(plan: WirePlan, length: number, marks: readonly number[]): number[] {
  const points = new Set<number>();
  for (const c of plan.cuts) {
    points.add(c.kind === "anywhere" ? c.at % length : marks[c.mark % marks.length]! + c.offset);
  }
  if (plan.dribble !== null) {
    const start = plan.dribble % length;
    for (let k = 1; k <= 40; k++) points.add(start + k);
  }
  return [...points].filter((p) => p > 0 && p < length).sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes `wire` cut and paused as `plan` says; stops early once the socket is gone. */
async function writeCut(
  socket: net.Socket,
  wire: Buffer,
  plan: WirePlan,
  marks: readonly number[],
): Promise<void> {
  let prev = 0;
  let w = 0;
  for (const p of [...cutPoints(plan, wire.length, marks), wire.length]) {
    const delay = plan.delays[w++ % plan.delays.length]!;
    if (delay > 0) await sleep(delay);
    if (socket.destroyed || !socket.writable) return;
    socket.write(wire.subarray(prev, p));
    prev = p;
  }
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** What the upstream read of one request. */
interface Received {
  run: number;
  index: number;
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

/**
 * The upstream: records each request it reads whole, then answers it with the response the test
 * scripted for its run and index (a plain 200 naming the index when none was).
 */
class RecordingUpstream {
  readonly server: http.Server;
  readonly received: Received[] = [];
  readonly scripts = new Map<string, GenResponse>();

  constructor() {
    this.server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("error", () => {});
      res.on("error", () => {});
      req.on("end", () => {
        const run = Number(req.headers["x-fuzz-run"]);
        const index = Number(/^\/p\/(\d+)\//.exec(req.url ?? "")?.[1] ?? -1);
        this.received.push({
          run,
          index,
          method: req.method ?? "",
          url: req.url ?? "",
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks),
        });
        const script = this.scripts.get(`${run}/${index}`);
        answer(req, res, index, script).catch(() => res.destroy());
      });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The requests of `run` read whole, by index. */
  of(run: number): Received[] {
    return this.received.filter((r) => r.run === run).sort((a, b) => a.index - b.index);
  }
}

/** Writes response `x` (or a plain 200) to request `index`, body cut into its pieces. */
async function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  index: number,
  x: GenResponse | undefined,
): Promise<void> {
  if (x === undefined) {
    res.writeHead(200, { "x-index": String(index), "content-length": "2" });
    res.end("ok");
    return;
  }
  if (x.delayMs > 0) await sleep(x.delayMs);
  const headers: http.OutgoingHttpHeaders = { "x-index": String(index) };
  if (x.status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  if (x.framing === "length") headers["content-length"] = String(x.body.length);
  res.writeHead(x.status, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const data = Buffer.from(x.body);
  for (let at = 0, k = 0; at < data.length; k++) {
    const n = x.pieces[k % x.pieces.length]!;
    if (!res.write(data.subarray(at, at + n))) await once(res, "drain");
    at += n;
    if (k % 2 === 1) await new Promise((r) => setImmediate(r));
  }
  if (x.framing === "chunked" && x.trailers.length > 0) res.addTrailers(x.trailers);
  res.end();
}

/** The body the client must get for `x` answering a `method` request. */
function expectedBody(method: Method, x: GenResponse): Buffer {
  return method === "HEAD" || x.status === 204 ? Buffer.alloc(0) : Buffer.from(x.body);
}

/** A client connection to the proxy, its responses parsed as they arrive. */
class Client {
  readonly socket: net.Socket;
  readonly parser = new Http1ResponseParser();
  /** What went wrong parsing, if anything. */
  parseError: Error | undefined;
  closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setNoDelay(true);
    this.socket.on("error", () => {});
    this.socket.on("data", (d: Buffer) => {
      try {
        this.parser.push(d);
      } catch (err) {
        this.parseError ??= err as Error;
      }
      this.notify();
    });
    this.socket.on("end", () => {
      try {
        this.parser.end();
      } catch (err) {
        this.parseError ??= err as Error;
      }
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.notify();
    });
  }

  /** Resolves once `done()` holds, the connection closed or the parser failed; rejects after WAIT_MS. */
  until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done() && !this.closed && this.parseError === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${what}: not within ${WAIT_MS} ms (${this.parser.responses.length} responses)`));
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for `count` responses in all. */
  responses(count: number): Promise<void> {
    return this.until(() => this.parser.responses.length >= count, `${count} responses`);
  }

  /** Waits for the proxy to close the connection. */
  async closedByPeer(): Promise<void> {
    await this.until(() => false, "connection close");
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Asserts `got` is the response of exchange `i`: in its place, its status, its exact body. */
function assertResponse(got: ParsedResponse | undefined, i: number, method: Method, x: GenResponse): void {
  assert.ok(got !== undefined, `response ${i} missing`);
  assert.equal(fieldValue(got.headers, "x-index"), String(i), `response ${i} out of order`);
  assert.equal(got.status, x.status, `status of response ${i}`);
  const want = expectedBody(method, x);
  assert.equal(got.body.length, want.length, `body length of response ${i}`);
  assert.equal(sha256(got.body), sha256(want), `body of response ${i}`);
}

/** Asserts the upstream read request `i` of `run` exactly as generated. */
function assertReceived(got: Received | undefined, run: number, i: number, r: GenRequest): void {
  assert.ok(got !== undefined, `request ${i} never reached the upstream whole`);
  assert.equal(got.method, r.method, `method of request ${i}`);
  assert.equal(got.url, `/p/${i}/${r.path}`, `url of request ${i}`);
  const seen = new Map<string, string[]>();
  for (let k = 0; k + 1 < got.rawHeaders.length; k += 2) {
    const name = got.rawHeaders[k]!.toLowerCase();
    seen.set(name, [...(seen.get(name) ?? []), got.rawHeaders[k + 1]!]);
  }
  assert.deepEqual(seen.get("x-fuzz-run"), [String(run)], `run header of request ${i}`);
  const sent = new Map<string, string[]>();
  for (const [k, v] of r.headers) sent.set(k.toLowerCase(), [...(sent.get(k.toLowerCase()) ?? []), v]);
  // A repeated field arrives joined into one line with commas (RFC 9110 §5.3), as Envoy joins it.
  for (const [name, values] of sent) {
    assert.equal((seen.get(name) ?? []).join(","), values.join(","), `header ${name} of request ${i}`);
  }
  const want = hasBody(r.method) ? Buffer.from(r.body) : Buffer.alloc(0);
  assert.equal(got.body.length, want.length, `body length of request ${i}`);
  assert.equal(sha256(got.body), sha256(want), `body of request ${i}`);
}

/** One GET on a new connection: the proxy still serves. */
async function getOnNewConnection(port: number, run: number): Promise<void> {
  const client = new Client(port);
  try {
    client.parser.expect("GET");
    client.socket.write(`GET /p/1000/after HTTP/1.1\r\nHost: fuzz.test\r\nX-Fuzz-Run: ${run}\r\n\r\n`);
    await client.responses(1);
    assert.equal(client.parseError, undefined);
    assert.equal(client.parser.responses[0]?.status, 200, "a new connection is served");
    assert.equal(client.parser.responses[0]?.body.toString(), "ok");
  } finally {
    client.socket.destroy();
  }
}

/** How one request of a pipeline is made hostile. */
type Mutation =
  | { kind: "duplicate-length"; extra: number }
  | { kind: "chunked-and-length"; length: number }
  | { kind: "bare-lf" | "bare-cr"; header: number; at: number }
  | { kind: "long-header"; extra: number }
  | { kind: "bad-chunk-size"; chunk: number; token: string }
  | { kind: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("duplicate-length" as const), extra: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant("chunked-and-length" as const), length: fc.nat({ max: 100 }) }),
  fc.record({
    kind: fc.constantFrom("bare-lf" as const, "bare-cr" as const),
    header: fc.nat(),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant("long-header" as const), extra: fc.integer({ min: 1, max: 4096 }) }),
  fc.record({
    kind: fc.constant("bad-chunk-size" as const),
    chunk: fc.nat(),
    token: fc.constantFrom("zz", "g", "-1", "0x1", "+1", "1_0", "fffffffffffffffff1"),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

/** The bytes of request `i` made hostile by `m`. */
function mutatedBytes(run: number, i: number, r: GenRequest, m: Mutation): { wire: Buffer; headEnd: number } {
  switch (m.kind) {
    case "duplicate-length": {
      const parts = requestParts(run, i, r, "length", true);
      const at = 3 + (m.extra % (parts.lines.length - 2));
      parts.lines.splice(at, 0, `Content-Length: ${r.body.length + m.extra}`);
      return partsBytes(parts);
    }
    case "chunked-and-length": {
      const parts = requestParts(run, i, r, "chunked", true);
      parts.lines.splice(1 + (m.length % parts.lines.length), 0, `Content-Length: ${m.length}`);
      return partsBytes(parts);
    }
    case "bare-lf":
    case "bare-cr": {
      const parts = requestParts(run, i, r);
      const extra = r.headers.length === 0 ? ["x-g-bad", "value"] : r.headers[m.header % r.headers.length]!;
      const value = extra[1];
      const at = 1 + (m.at % value.length);
      const broken = `${extra[0]}: ${value.slice(0, at)}${m.kind === "bare-lf" ? "\n" : "\r"}${value.slice(at)}`;
      if (r.headers.length === 0) parts.lines.push(broken);
      else parts.lines[3 + (m.header % r.headers.length)] = broken;
      return partsBytes(parts);
    }
    case "long-header": {
      const parts = requestParts(run, i, r);
      parts.lines.push(`x-g-long: ${"a".repeat(MAX_HEADER_BYTES + m.extra)}`);
      return partsBytes(parts);
    }
    case "bad-chunk-size": {
      const parts = requestParts(run, i, r, "chunked", true);
      // Size lines are every third piece, then the last-chunk line.
      const sizeLines = parts.framed
        .map((_, k) => k)
        .filter((k) => k % 3 === 0 && k < parts.framed.length - 1);
      const k = sizeLines[m.chunk % sizeLines.length]!;
      parts.framed[k] = Buffer.from(`${m.token}\r\n`, "latin1");
      return partsBytes(parts);
    }
    case "truncate": {
      const whole = partsBytes(requestParts(run, i, r));
      return { wire: whole.wire.subarray(0, 1 + (m.at % (whole.wire.length - 1))), headEnd: whole.headEnd };
    }
  }
}

describe("downstream HTTP/1.1: generated pipelines on one keep-alive connection", () => {
  let upstream: RecordingUpstream;
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];
  let run = 0;

  before(async () => {
    upstream = new RecordingUpstream();
    const upstreamPort = await upstream.listen();
    proxy = await startConfigProxy(
      proxyConfig(
        "framing",
        [httpListener(8080, [vhost("any", ["*"], [route("all", forward("outbound|80||up"))])])],
        [cluster("outbound|80||up", [{ address: "127.0.0.1", port: upstreamPort }])],
      ),
      access,
    );
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    upstream.server.closeAllConnections();
    upstream.server.close();
  });

  it("answers every request once, in order, with the exact bodies both ways, and keeps the connection", async () => {
    await fc.assert(
      fc.asyncProperty(pipelineArb, async ({ exchanges, wire: plan }) => {
        const r = ++run;
        access.length = 0;
        upstream.received.length = 0;
        const messages = exchanges.map((x, i) => {
          upstream.scripts.set(`${r}/${i}`, x.response);
          return partsBytes(requestParts(r, i, x.request));
        });
        const { wire, marks } = stream(messages);
        const client = new Client(port);
        try {
          for (const x of exchanges) client.parser.expect(x.request.method);
          await writeCut(client.socket, wire, plan, marks);
          await client.responses(exchanges.length);
          assert.equal(client.parseError, undefined);
          assert.equal(client.closed, false, "the connection stays open");
          assert.equal(client.parser.responses.length, exchanges.length);
          for (const [i, x] of exchanges.entries()) {
            assertResponse(client.parser.responses[i], i, x.request.method, x.response);
          }
          // The connection still carries a request, answered after all the others.
          const n = exchanges.length;
          client.parser.expect("GET");
          client.socket.write(`GET /p/${n}/last HTTP/1.1\r\nHost: fuzz.test\r\nX-Fuzz-Run: ${r}\r\n\r\n`);
          await client.responses(n + 1);
          assert.equal(client.parseError, undefined);
          assert.equal(client.parser.responses.length, n + 1);
          assert.equal(fieldValue(client.parser.responses[n]!.headers, "x-index"), String(n));
          assert.equal(client.parser.responses[n]!.body.toString(), "ok");
          assert.equal(client.parser.unread, 0, "nothing after the last response");
          const seen = upstream.of(r);
          assert.deepEqual(
            seen.map((s) => s.index),
            [...exchanges.keys(), n],
            "the upstream read each request once",
          );
          for (const [i, x] of exchanges.entries()) assertReceived(seen[i], r, i, x.request);
        } finally {
          client.socket.destroy();
          for (let i = 0; i < exchanges.length; i++) upstream.scripts.delete(`${r}/${i}`);
        }
      }),
      { numRuns: RUNS, endOnFailure: !SHRINK, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });

  it("answers the requests before a hostile one, rejects it, closes, and keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(
        pipelineArb,
        fc.nat(),
        mutationArb,
        async ({ exchanges, wire: plan }, which, mutation) => {
          const r = ++run;
          access.length = 0;
          upstream.received.length = 0;
          const m = which % exchanges.length;
          const messages = exchanges.map((x, i) => {
            upstream.scripts.set(`${r}/${i}`, x.response);
            return i === m
              ? mutatedBytes(r, i, x.request, mutation)
              : partsBytes(requestParts(r, i, x.request));
          });
          // A stream cut short ends with the cut request: nothing follows it.
          const truncated = mutation.kind === "truncate";
          const { wire, marks } = stream(truncated ? messages.slice(0, m + 1) : messages);
          const client = new Client(port);
          try {
            for (const x of exchanges) client.parser.expect(x.request.method);
            await writeCut(client.socket, wire, plan, marks);
            if (truncated) {
              // The answers before the cut, then the client closes its side.
              await client.responses(m);
              client.socket.end();
            }
            await client.closedByPeer();
            assert.equal(client.parseError, undefined);
            assert.equal(client.parser.truncated, false, "no response cut short");
            const got = client.parser.responses;
            for (let i = 0; i < m; i++)
              assertResponse(got[i], i, exchanges[i]!.request.method, exchanges[i]!.response);
            if (truncated) {
              assert.equal(got.length, m, "nothing answers a request cut short");
            } else {
              assert.equal(
                got.length,
                m + 1,
                "one answer for the hostile request, then the connection closes",
              );
              assert.equal(
                got[m]!.status,
                mutation.kind === "long-header" ? 431 : 400,
                `status for ${mutation.kind}`,
              );
            }
            // Nothing from the hostile request on ever reaches the upstream whole.
            await sleep(20);
            assert.deepEqual(
              upstream.of(r).map((s) => s.index),
              [...exchanges.keys()].slice(0, m),
            );
            for (let i = 0; i < m; i++) assertReceived(upstream.of(r)[i], r, i, exchanges[i]!.request);
            await getOnNewConnection(port, r);
          } finally {
            client.socket.destroy();
            for (let i = 0; i < exchanges.length; i++) upstream.scripts.delete(`${r}/${i}`);
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: !SHRINK, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});
