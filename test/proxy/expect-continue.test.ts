/**
 * `Expect: 100-continue` as Istio's gateway handles it: Istio sets Envoy's `proxy_100_continue`,
 * so the expectation goes upstream and the upstream decides. Its `100 Continue` reaches the client
 * before the client sends its body; an upstream that refuses (417, 401) is answered without a 100
 * and without the body; a request the proxy answers itself (no route, a direct response) gets no
 * 100; an upstream that never says 100 still gets the body a client sends after waiting. A 100
 * passed on ends retries, a mirror's 100 is dropped, and HTTP/2 clients and upstreams see the same.
 * Real sockets throughout: curl, raw HTTP/1.1 clients and node:http2.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import { listenOnLoopback } from "./support/backends";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import type { RawResponse } from "./support/raw-http1-client";
import { RawClient, field } from "./support/raw-http1-client";
import { ConfigDir, startFileProxy } from "./support/samples";

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
const BODY = "hello world";

/** What an upstream saw of a request. */
interface Seen {
  /** The upstream that answered. */
  readonly by: string;
  readonly path: string;
  /** The request's `expect`, if it had one. */
  readonly expect: string | null;
  readonly body: string;
}

/** A request as one of the upstreams saw it: when the head came, and its body so far. */
interface Arrival {
  expect: string | undefined;
  body: string;
  /** The body has ended. */
  ended: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The HTTP/1.1 upstream `name`, by the end of the path: `/continue` says 100 and echoes the body
 * ({@link Seen}); `/refuse-417` and `/refuse-401` answer that status at once, no 100, the body
 * unread; `/silent` says no 100 but reads the body and echoes it; `/continue-then-503` says 100,
 * reads the body, answers 503; `/503-then-continue` answers 503 at once the first time, and as
 * `/continue` after. Every request it gets is kept in `arrivals` by path, in order.
 */
async function startHttp1Upstream(
  name: string,
  arrivals: Map<string, Arrival[]>,
): Promise<{ port: number; close(): Promise<void> }> {
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = req.url ?? "/";
    const arrival: Arrival = { expect: req.headers.expect, body: "", ended: false };
    const list = arrivals.get(path) ?? [];
    list.push(arrival);
    arrivals.set(path, list);
    req.on("error", () => {});
    res.on("error", () => {});
    const refusal = /\/refuse-(\d{3})$/.exec(path);
    if (refusal !== null || (path.endsWith("/503-then-continue") && list.length === 1)) {
      const status = refusal === null ? 503 : Number(refusal[1]);
      const text = `refused by ${name}\n`;
      res.writeHead(status, { "content-type": "text/plain", "content-length": text.length });
      res.end(text);
      return;
    }
    if (!path.endsWith("/silent")) res.writeContinue();
    req.setEncoding("latin1");
    req.on("data", (c: string) => (arrival.body += c));
    req.on("end", () => {
      arrival.ended = true;
      if (path.endsWith("/continue-then-503")) {
        res.writeHead(503, { "content-length": 0 });
        res.end();
        return;
      }
      const seen: Seen = { by: name, path, expect: req.headers.expect ?? null, body: arrival.body };
      const text = JSON.stringify(seen);
      res.writeHead(200, { "content-type": "application/json", "content-length": text.length });
      res.end(text);
    });
  };
  const server = http.createServer(handle);
  // With this listener node:http leaves the expectation to the handler (it says 100 or not).
  server.on("checkContinue", handle);
  server.keepAliveTimeout = 10_000;
  return listenOnLoopback(server);
}

/**
 * The HTTP/2 (h2c) upstream: `/h2/continue` says 100 and echoes the body, `/h2/refuse-417`
 * answers 417 at once.
 */
async function startHttp2Upstream(
  arrivals: Map<string, Arrival[]>,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on("session", (s) => s.on("error", () => {}));
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    const expect = headers["expect"] as string | undefined;
    const arrival: Arrival = { expect, body: "", ended: false };
    arrivals.set(path, [...(arrivals.get(path) ?? []), arrival]);
    stream.on("error", () => {});
    if (path.endsWith("/refuse-417")) {
      stream.respond({ ":status": 417, "content-type": "text/plain" });
      stream.end("refused by h2\n");
      return;
    }
    stream.additionalHeaders({ ":status": 100 });
    stream.setEncoding("latin1");
    stream.on("data", (c: string) => (arrival.body += c));
    stream.on("end", () => {
      arrival.ended = true;
      const seen: Seen = { by: "h2", path, expect: expect ?? null, body: arrival.body };
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(JSON.stringify(seen));
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** curl's raw answer (`-i`: every response head, 1xx included) and its total time, in seconds. */
function curlRaw(args: string[]): Promise<{ raw: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-sS", "-i", "--max-time", "10", "-w", "\n%{time_total}", ...args],
      { encoding: "latin1" },
      (err, stdout, stderr) => {
        if (err !== null) return reject(new Error(`curl ${args.join(" ")}: ${stderr || err.message}`));
        const cut = stdout.lastIndexOf("\n");
        resolve({ raw: stdout.slice(0, cut), seconds: Number(stdout.slice(cut + 1)) });
      },
    );
  });
}

/** The status lines in curl's `-i` output, in order. */
function statusLines(raw: string): string[] {
  return raw.split("\r\n").filter((l) => /^HTTP\/[\d.]+ \d{3}/.test(l));
}

/** The text after the last head in curl's `-i` output. */
function lastBody(raw: string): string {
  return raw.slice(raw.lastIndexOf("\r\n\r\n") + 4);
}

/** The head of a POST of `length` body bytes to `path` that waits for a 100. */
function expectHead(path: string, length = BODY.length): string {
  return `POST ${path} HTTP/1.1\r\nHost: shop.example\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;
}

describe("Expect: 100-continue, left to the upstream (Istio's proxy_100_continue)", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  /** What the HTTP/1.1 upstream `up` got, by path. */
  const upSeen = new Map<string, Arrival[]>();
  /** What the mirror got, by path. */
  const mirrorSeen = new Map<string, Arrival[]>();
  /** What the HTTP/2 upstream got, by path. */
  const h2Seen = new Map<string, Arrival[]>();
  const open: RawClient[] = [];
  const closers: (() => Promise<void>)[] = [];
  let proxy: GatewayProxy;
  let port: number;

  async function connect(): Promise<RawClient> {
    const c = await RawClient.connect(port);
    open.push(c);
    return c;
  }

  /** The bodies `seen` got at `path`, in order. */
  function bodies(seen: Map<string, Arrival[]>, path: string): string[] {
    return (seen.get(path) ?? []).map((a) => a.body);
  }

  before(async () => {
    const up = await startHttp1Upstream("up", upSeen);
    const mirror = await startHttp1Upstream("mirror", mirrorSeen);
    const h2 = await startHttp2Upstream(h2Seen);
    closers.push(up.close, mirror.close, h2.close);
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /direct/}}]
    directResponse: {status: 200, body: {string: "direct answer"}}
  - match: [{uri: {prefix: /h2/}}]
    route: [{destination: {host: h2.internal}}]
  - match: [{uri: {prefix: /retry/}}]
    route: [{destination: {host: up.internal}}]
    retries: {attempts: 2, retryOn: 5xx}
  - match: [{uri: {prefix: /mirrored/}}]
    route: [{destination: {host: up.internal}}]
    mirror: {host: mirror.internal}
  - match: [{uri: {prefix: /up/}}]
    route: [{destination: {host: up.internal}}]
`,
        staticServiceEntry("up", [{ port: up.port }]),
        staticServiceEntry("mirror", [{ port: mirror.port }]),
        staticServiceEntry("h2", [{ port: h2.port }], "HTTP2"),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    for (const c of open) c.destroy();
    await proxy.close();
    for (const close of closers) await close();
    dir.dispose();
  });

  /**
   * Sends a POST waiting for a 100 to `path`, served by upstream `by` (which records into `seen`):
   * the 100 comes before any body byte is sent, the upstream then reads the body whole. The client
   * connection and the final response are returned.
   */
  async function continuedThrough(
    path: string,
    by: string,
    seen: Map<string, Arrival[]>,
  ): Promise<{ c: RawClient; r: RawResponse }> {
    const c = await connect();
    await c.write(expectHead(path));
    assert.equal((await c.readBytes(CONTINUE.length)).toString("latin1"), CONTINUE);
    // The upstream has the head, with the expectation, and no body byte yet: the client has sent none.
    assert.deepEqual(seen.get(path), [{ expect: "100-continue", body: "", ended: false }]);
    await c.write(BODY);
    const r = await c.readResponse();
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), {
      by,
      path,
      expect: "100-continue",
      body: BODY,
    } satisfies Seen);
    return { c, r };
  }

  /** curl POSTing BODY to `path` with `Expect: 100-continue`, as curl sends a large upload. */
  const curlExpecting = (path: string) =>
    curlRaw([
      "-H",
      "Expect: 100-continue",
      "-H",
      "Host: shop.example",
      "--data-binary",
      BODY,
      `http://127.0.0.1:${port}${path}`,
    ]);

  it("forwards the expectation; the upstream's 100 reaches the client before it sends the body", async () => {
    const { c, r } = await continuedThrough("/up/continue", "up", upSeen);
    // One 100, then the final response, and the connection goes on.
    assert.equal(c.pending.length, 0);
    assert.equal(field(r.headers, "connection"), undefined);
    await c.write("GET /direct/again HTTP/1.1\r\nHost: shop.example\r\n\r\n");
    const again = await c.readResponse();
    assert.deepEqual([again.status, again.body.toString()], [200, "direct answer"]);
  });

  it("lets curl send its body at the upstream's 100, without waiting out its second", async () => {
    const { raw, seconds } = await curlExpecting("/up/continue");
    assert.deepEqual(statusLines(raw), ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK"]);
    assert.deepEqual(JSON.parse(lastBody(raw)), {
      by: "up",
      path: "/up/continue",
      expect: "100-continue",
      body: BODY,
    } satisfies Seen);
    // curl waits a second for a 100 before it sends the body anyway.
    assert.ok(seconds < 0.9, `curl took ${seconds} s`);
  });

  /**
   * Sends a POST waiting for a 100 to `path` and reads the answer, which must be the first thing the
   * client gets (no 100 before it, its status line `statusLine`) and end the connection: the rest of
   * the request could not be told from a next one, and Envoy closes after the answer.
   */
  async function answeredWithoutContinue(path: string, statusLine: string): Promise<RawResponse> {
    const c = await connect();
    await c.write(expectHead(path));
    const r = await c.readResponse();
    assert.equal(r.raw.toString("latin1").startsWith(`${statusLine}\r\n`), true);
    assert.equal(field(r.headers, "connection"), "close");
    await c.waitClosed();
    assert.equal(c.pending.length, 0);
    return r;
  }

  it("passes an upstream's 417 on with no 100 and no body sent, and closes, as Envoy does", async () => {
    const r = await answeredWithoutContinue("/up/refuse-417", "HTTP/1.1 417 Expectation Failed");
    assert.equal(r.body.toString(), "refused by up\n");
    assert.deepEqual(upSeen.get("/up/refuse-417"), [{ expect: "100-continue", body: "", ended: false }]);
    const line = await loggedLine(access, "/up/refuse-417");
    assert.deepEqual([line["response_code"], line["response_flags"], line["bytes_received"]], [417, "-", 0]);
  });

  it("gives curl an upstream's 401 at once, with no 100, and curl sends no body", async () => {
    const { raw, seconds } = await curlExpecting("/up/refuse-401");
    assert.deepEqual(statusLines(raw), ["HTTP/1.1 401 Unauthorized"]);
    assert.equal(lastBody(raw), "refused by up\n");
    assert.ok(seconds < 0.9, `curl took ${seconds} s`);
    assert.deepEqual(bodies(upSeen, "/up/refuse-401"), [""]);
  });

  it("answers a request with no route 404, with no 100 first, and closes", async () => {
    await answeredWithoutContinue("/nowhere", "HTTP/1.1 404 Not Found");
    assert.equal((await loggedLine(access, "/nowhere"))["response_flags"], "NR");
  });

  it("answers a direct response with no 100 first, and closes", async () => {
    const r = await answeredWithoutContinue("/direct/post", "HTTP/1.1 200 OK");
    assert.equal(r.body.toString(), "direct answer");
  });

  it("sends a body the client sends unprompted to an upstream that never says 100", async () => {
    const c = await connect();
    await c.write(expectHead("/up/silent"));
    // No 100 from the proxy itself: the client hears nothing while it waits.
    assert.equal(await c.quietFor(300), true);
    assert.deepEqual(upSeen.get("/up/silent"), [{ expect: "100-continue", body: "", ended: false }]);
    await c.write(BODY);
    const r = await c.readResponse();
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), {
      by: "up",
      path: "/up/silent",
      expect: "100-continue",
      body: BODY,
    } satisfies Seen);
    assert.equal(c.pending.length, 0);
  });

  it("lets curl send its body after its second of waiting when the upstream never says 100", async () => {
    const { raw, seconds } = await curlExpecting("/up/silent");
    assert.deepEqual(statusLines(raw), ["HTTP/1.1 200 OK"]);
    assert.equal((JSON.parse(lastBody(raw)) as Seen).body, BODY);
    assert.ok(seconds >= 0.9, `curl took ${seconds} s: it should have waited for a 100`);
  });

  it("retries no more once an upstream's 100 was passed on", async () => {
    const c = await connect();
    await c.write(expectHead("/retry/continue-then-503"));
    assert.equal((await c.readBytes(CONTINUE.length)).toString("latin1"), CONTINUE);
    await c.write(BODY);
    const r = await c.readResponse();
    assert.equal(r.status, 503);
    // The policy retries 5xx, but not after the 100: one attempt, one 100.
    assert.deepEqual(bodies(upSeen, "/retry/continue-then-503"), [BODY]);
    assert.equal(c.pending.length, 0);
    assert.equal((await loggedLine(access, "/retry/continue-then-503"))["response_flags"], "-");
  });

  it("passes on the 100 of a retry when the first attempt refused without one", async () => {
    const c = await connect();
    await c.write(expectHead("/retry/503-then-continue"));
    assert.equal((await c.readBytes(CONTINUE.length)).toString("latin1"), CONTINUE);
    await c.write(BODY);
    const r = await c.readResponse();
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body.toString()) as Seen).body, BODY);
    // The first attempt was answered before any body; the second got it, and its 100 went on once.
    assert.deepEqual(bodies(upSeen, "/retry/503-then-continue"), ["", BODY]);
    assert.equal(c.pending.length, 0);
  });

  it("mirrors with the expectation, as Envoy copies it, and drops the mirror's 100", async () => {
    const c = await connect();
    await c.write(expectHead("/mirrored/continue"));
    assert.equal((await c.readBytes(CONTINUE.length)).toString("latin1"), CONTINUE);
    await c.write(BODY);
    const r = await c.readResponse();
    assert.deepEqual([r.status, (JSON.parse(r.body.toString()) as Seen).by], [200, "up"]);
    // Both upstreams said 100; the client got one, the main upstream's.
    assert.equal(c.pending.length, 0);
    for (let i = 0; i < 100 && mirrorSeen.get("/mirrored/continue")?.[0]?.ended !== true; i++) {
      await sleep(20);
    }
    assert.deepEqual(mirrorSeen.get("/mirrored/continue"), [
      { expect: "100-continue", body: BODY, ended: true },
    ]);
  });

  it("passes an HTTP/2 upstream's 100 on to an HTTP/1.1 client", async () => {
    await continuedThrough("/h2/continue", "h2", h2Seen);
  });

  it("passes an HTTP/2 upstream's 417 on with no 100", async () => {
    const c = await connect();
    await c.write(expectHead("/h2/refuse-417"));
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, field(r.headers, "connection"), r.body.toString()],
      [417, "close", "refused by h2\n"],
    );
    assert.equal(r.raw.toString("latin1").startsWith("HTTP/1.1 417 Expectation Failed\r\n"), true);
    await c.waitClosed();
  });

  describe("an HTTP/2 client", () => {
    let session: http2.ClientHttp2Session;

    before(() => {
      session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
    });

    after(() => {
      session.destroy();
    });

    /**
     * POSTs {@link BODY} to `path` with the expectation, sending the body at a 100 or after
     * `waitMs`: whether a 100 came, the status and the body.
     */
    function post(path: string, waitMs: number): Promise<[boolean, number, string]> {
      return new Promise((resolve, reject) => {
        const req = session.request({
          ":method": "POST",
          ":path": path,
          ":authority": "shop.example",
          expect: "100-continue",
        });
        let continued = false;
        const timer = setTimeout(() => req.end(BODY), waitMs);
        req.on("continue", () => {
          continued = true;
          clearTimeout(timer);
          req.end(BODY);
        });
        let status = 0;
        let text = "";
        req.on("response", (h) => (status = Number(h[":status"])));
        req.setEncoding("utf8");
        req.on("data", (d: string) => (text += d));
        req.on("end", () => {
          clearTimeout(timer);
          // An answer that came before the body was sent leaves the request's side open.
          req.close();
          resolve([continued, status, text]);
        });
        req.on("error", reject);
      });
    }

    it("gets the upstream's 100, not one from the proxy", async () => {
      const [continued, status, text] = await post("/up/continue", 5000);
      assert.deepEqual([continued, status], [true, 200]);
      assert.deepEqual(JSON.parse(text), {
        by: "up",
        path: "/up/continue",
        expect: "100-continue",
        body: BODY,
      } satisfies Seen);
    });

    it("gets no 100 from an upstream that never says it, and completes after its wait", async () => {
      const [continued, status, text] = await post("/up/silent", 300);
      assert.deepEqual([continued, status, (JSON.parse(text) as Seen).body], [false, 200, BODY]);
    });

    it("gets an upstream's 417 with no 100", async () => {
      const [continued, status, text] = await post("/up/refuse-417", 5000);
      assert.deepEqual([continued, status, text], [false, 417, "refused by up\n"]);
    });
  });
});
