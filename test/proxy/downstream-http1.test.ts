/**
 * Downstream HTTP/1.1 conformance: what a client sees on the wire from the proxy's HTTP/1.1
 * listener (pipelining, body framing both ways, 100-continue, HEAD, connection management,
 * timeouts, limits, trailers, TLS without ALPN), asserted byte for byte on raw loopback sockets,
 * with what the upstream saw and the access-log line where they tell more. Where Istio's gateway
 * (Envoy) answers differently from a plain Node.js server, the test holds Envoy's answer.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import type tls from "node:tls";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { listenOnLoopback } from "./support/backends";
import { loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import { startConfigProxy } from "./support/config-proxy";
import { TestPki } from "./support/certs";
import {
  cluster,
  downstreamTls,
  forward,
  httpListener,
  httpsChain,
  match,
  proxyConfig,
  route,
  tlsListener,
  vhost,
} from "./support/proxy-config-builders";
import type { RawResponse } from "./support/raw-http1-client";
import { RawClient, field } from "./support/raw-http1-client";

/** What the upstream answers for an ordinary request: what it received, exactly. */
interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  /** Header fields in the order received, names as sent. */
  rawHeaders: string[];
  bodyLength: number;
  sha256: string;
}

const DIRECT_BODY = "direct answer\n";
const IMF_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function sha256(data: Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The upstream: `/chunked` answers without a length, `/trailers` chunked with a trailer,
 * `/status/<n>` with that status and no body, `/stream` a chunk every 100 ms for 3 s,
 * `/slow-read` reads its body in small sips; anything else answers {@link Seen} as JSON.
 */
async function startUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const hash = crypto.createHash("sha256");
    let bodyLength = 0;
    const slow = url.startsWith("/slow-read");
    // Aborted requests (the client went away) end here; their close is what the tests watch.
    req.on("error", () => {});
    res.on("error", () => {});
    req.on("data", (c: Buffer) => {
      bodyLength += c.length;
      hash.update(c);
      if (slow) {
        // A slow reader: the proxy has to hold the client back rather than buffer the body.
        req.pause();
        setTimeout(() => req.resume(), 2);
      }
    });
    req.on("end", () => {
      if (url === "/chunked") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("alpha-");
        setTimeout(() => {
          res.write("beta-");
          res.end("gamma");
        }, 20);
        return;
      }
      if (url === "/trailers") {
        res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
        res.write("part one,");
        res.addTrailers({ "x-checksum": "sha1-abc123" });
        res.end("part two");
        return;
      }
      const status = /^\/status\/(\d{3})$/.exec(url);
      if (status !== null) {
        res.writeHead(Number(status[1]), { etag: '"v1"' });
        res.end();
        return;
      }
      if (url === "/stream") {
        res.writeHead(200, { "content-type": "text/plain" });
        let n = 0;
        const timer = setInterval(() => {
          if (++n === 30) {
            clearInterval(timer);
            res.end("last\n");
          } else res.write(`chunk ${n}\n`);
        }, 100);
        res.write("chunk 0\n");
        res.on("close", () => clearInterval(timer));
        return;
      }
      const seen: Seen = {
        method: req.method ?? "",
        url,
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        bodyLength,
        sha256: hash.digest("hex"),
      };
      const body = JSON.stringify(seen);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 10_000;
  return listenOnLoopback(server);
}

/** The upstream's {@link Seen} in a response. */
function seen(r: RawResponse): Seen {
  assert.equal(r.status, 200, `expected 200, got ${r.raw.toString("latin1")}`);
  return JSON.parse(r.body.toString()) as Seen;
}

/** The values of header `name` in a raw header list, in order. */
function rawValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
  return out;
}

/** Header fields whose values vary per response, or that only manage the connection. */
const VOLATILE = new Set(["date", "x-envoy-upstream-service-time", "connection", "keep-alive"]);

/** A response's end-to-end header fields in order, without those whose values vary. */
function endToEnd(r: RawResponse): [string, string][] {
  return r.headers.filter(([k]) => !VOLATILE.has(k)).map(([k, v]) => [k, v]);
}

/** Runs curl; resolves with stdout and stderr. */
function runCurl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", "10", ...args], { encoding: "latin1" }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`curl ${args.join(" ")}: ${stderr || err.message}`));
      resolve({ stdout, stderr });
    });
  });
}

describe("downstream HTTP/1.1", () => {
  const pki = new TestPki();
  const serverCert = pki.issue("h1.test", ["DNS:h1.test"]);
  let upstream: { port: number; close(): Promise<void> };
  let proxy: GatewayProxy;
  let timed: GatewayProxy;
  let port: number;
  let tlsPort: number;
  let timedPort: number;
  const access: Record<string, unknown>[] = [];
  const timedAccess: Record<string, unknown>[] = [];
  const open: RawClient[] = [];

  async function connect(to = port): Promise<RawClient> {
    const c = await RawClient.connect(to);
    open.push(c);
    return c;
  }

  before(async () => {
    upstream = await startUpstream();
    const routes = [
      vhost(
        "any",
        ["*"],
        [
          route(
            "direct",
            { kind: "directResponse", status: 200, body: { inlineString: DIRECT_BODY } },
            { match: match({ uri: { kind: "exact", value: "/direct" } }) },
          ),
          route(
            "direct-555",
            { kind: "directResponse", status: 555, body: { inlineString: "" } },
            { match: match({ uri: { kind: "exact", value: "/555" } }) },
          ),
          route("up", forward("outbound|80||up")),
        ],
      ),
    ];
    const clusters = [cluster("outbound|80||up", [{ address: "127.0.0.1", port: upstream.port }])];
    proxy = await startConfigProxy(
      proxyConfig(
        "h1",
        [
          httpListener(8080, routes),
          tlsListener(443, [
            httpsChain("https.h1", ["h1.test"], downstreamTls(serverCert.cert, serverCert.key), routes),
          ]),
        ],
        clusters,
      ),
      access,
    );
    port = proxy.boundPorts().get(8080)!;
    tlsPort = proxy.boundPorts().get(443)!;
    timed = await startConfigProxy(
      proxyConfig("h1-timed", [httpListener(8080, routes)], clusters),
      timedAccess,
      {
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 500, idleTimeoutMs: 300 },
      },
    );
    timedPort = timed.boundPorts().get(8080)!;
  });

  after(async () => {
    for (const c of open) c.destroy();
    await proxy.close();
    await timed.close();
    await upstream.close();
    pki.dispose();
  });

  it("answers three pipelined GETs from one write in order and keeps the connection", async () => {
    const c = await connect();
    await c.write(
      "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\nGET /two HTTP/1.1\r\nHost: a.test\r\n\r\nGET /three HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push(seen(await c.readResponse()).url);
    assert.deepEqual(urls, ["/one", "/two", "/three"]);
    await c.write("GET /four HTTP/1.1\r\nHost: a.test\r\n\r\n");
    const fourth = await c.readResponse();
    const s = seen(fourth);
    assert.match(s.rawHeaders[7]!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(s.rawHeaders.with(7, "<id>"), [
      "host",
      "a.test",
      "x-forwarded-for",
      "127.0.0.1",
      "x-forwarded-proto",
      "http",
      "x-request-id",
      "<id>",
      "x-envoy-external-address",
      "127.0.0.1",
      "x-envoy-attempt-count",
      "1",
    ]);
    assert.deepEqual(
      [s.method, s.url, s.httpVersion, endToEnd(fourth)],
      [
        "GET",
        "/four",
        "1.1",
        [
          ["content-type", "application/json"],
          ["content-length", String(fourth.body.length)],
          ["server", "istio-envoy"],
        ],
      ],
    );
    assert.equal(c.closed, false);
    assert.equal(c.pending.length, 0);
  });

  it("takes a target in absolute form as Envoy does: the URL's authority for Host, its path upstream", async () => {
    const c = await connect();
    await c.write(
      "GET http://abs.test:8080/abs/path?q=1 HTTP/1.1\r\nHost: wrong.test\r\n\r\n" +
        "GET HTTP://Bare.test HTTP/1.1\r\nHost: wrong.test\r\n\r\n",
    );
    const first = seen(await c.readResponse());
    assert.equal(first.url, "/abs/path?q=1");
    assert.deepEqual(rawValues(first.rawHeaders, "host"), ["abs.test:8080"]);
    const second = seen(await c.readResponse());
    assert.equal(second.url, "/");
    assert.deepEqual(rawValues(second.rawHeaders, "host"), ["Bare.test"]);
    const line = await loggedLine(access, "/abs/path?q=1");
    assert.equal(line["authority"], "abs.test:8080");
    assert.equal(line["response_code"], 200);
  });

  it("serves a client that uses it as its HTTP proxy (curl -x)", async () => {
    const { stdout } = await runCurl(["-x", `http://127.0.0.1:${port}`, "http://via-proxy.test/through?x=1"]);
    const through = JSON.parse(stdout) as Seen;
    assert.equal(through.url, "/through?x=1");
    assert.deepEqual(rawValues(through.rawHeaders, "host"), ["via-proxy.test"]);
    // curl's Proxy-Connection is hop-by-hop.
    assert.deepEqual(rawValues(through.rawHeaders, "proxy-connection"), []);
  });

  it("refuses a target that is neither a path nor an http or https URL with a host", async () => {
    for (const target of ["ftp://abs.test/x", "http:///no-host", "abs.test/x", "http://user@/x"]) {
      const c = await connect();
      await c.write(`GET ${target} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
      const r = await c.readResponse();
      assert.equal(r.status, 400, target);
    }
  });

  it("refuses such targets in the codec as Envoy does: Bad Request, the connection closed, and why", async () => {
    // A `*` is a target for OPTIONS only; llhttp reads the others, which Envoy's codec refuses
    // as an invalid URL, or for their scheme.
    const cases = [
      ["GET *", "http1.invalid_url"],
      ["DELETE *", "http1.invalid_url"],
      ["GET http:///no-host", "http1.invalid_url"],
      ["GET http://user@/x", "http1.invalid_url"],
      ["GET ftp://abs.test/x", "http1.invalid_scheme"],
    ];
    for (const [line, details] of cases) {
      const c = await connect();
      await c.write(`${line} HTTP/1.1\r\nHost: a.test\r\n\r\nGET /never HTTP/1.1\r\nHost: a.test\r\n\r\n`);
      const r = await c.readResponse();
      assert.deepEqual(
        [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection"), r.body.toString()],
        [400, "IGW_ERR_BAD_REQUEST", "close", "Bad Request"],
        line,
      );
      await c.waitClosed(3000);
      assert.equal(c.pending.length, 0, line);
      const [method, target] = line!.split(" ");
      const logged = await loggedLineWhere(
        access,
        (l) => l["method"] === method && l["path"] === target,
        line!,
      );
      assert.deepEqual(
        [logged["response_code"], logged["response_flags"], logged["response_code_details"]],
        [400, "DPE", details],
        line,
      );
    }
  });

  it("refuses an https:// target on plain text with 403, as Envoy's codec does, and takes it over TLS", async () => {
    const c = await connect();
    await c.write("GET https://abs.test/secure HTTP/1.1\r\nHost: a.test\r\n\r\n");
    const r = await c.readResponse();
    assert.equal(r.status, 403);
    assert.equal(field(r.headers, "x-igw-error-code"), "IGW_ERR_HTTPS_IN_PLAINTEXT");
    assert.equal(field(r.headers, "connection"), "close");
    const line = await loggedLine(access, "/secure");
    assert.deepEqual(
      [
        line["response_code"],
        line["response_flags"],
        line["response_code_details"],
        line["upstream_cluster"],
      ],
      [403, "DPE", "http1.https_url_on_plaintext_connection", null],
    );
    const t = await RawClient.connectTls({
      host: "127.0.0.1",
      port: tlsPort,
      servername: "h1.test",
      ca: pki.ca.cert,
    });
    open.push(t);
    await t.write("GET https://h1.test/over-tls HTTP/1.1\r\nHost: other.test\r\n\r\n");
    const served = seen(await t.readResponse());
    assert.equal(served.url, "/over-tls");
    assert.deepEqual(rawValues(served.rawHeaders, "host"), ["h1.test"]);
  });

  it("refuses a Connection header Envoy's codec refuses with 400: ten tokens, or x-forwarded-for nominated", async () => {
    for (const connection of ["a1, a2, a3, a4, a5, a6, a7, a8, a9, close", "close, X-Forwarded-For"]) {
      const c = await connect();
      await c.write(
        `GET /nominated HTTP/1.1\r\nHost: a.test\r\nConnection: ${connection}\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n`,
      );
      const r = await c.readResponse();
      assert.deepEqual(
        [r.status, field(r.headers, "x-igw-error-code")],
        [400, "IGW_ERR_BAD_REQUEST"],
        connection,
      );
    }
    const c = await connect();
    await c.write(
      "GET /nominated-ok HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, x-drop\r\nX-Drop: 1\r\n\r\n",
    );
    const served = seen(await c.readResponse());
    assert.deepEqual([served.url, rawValues(served.rawHeaders, "x-drop")], ["/nominated-ok", []]);
  });

  it("answers OPTIONS * with 404 and no body, as Envoy routes paths only, and keeps the connection", async () => {
    const c = await connect();
    await c.write(
      "OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\nGET /after-options HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const r = await c.readResponse();
    assert.equal(r.status, 404);
    assert.equal(field(r.headers, "x-igw-error-code"), "IGW_ERR_NOT_A_PATH");
    assert.equal(r.body.length, 0);
    assert.equal(seen(await c.readResponse()).url, "/after-options");
    const line = await loggedLineWhere(
      access,
      (l) => l["method"] === "OPTIONS" && l["path"] === "*",
      "OPTIONS *",
    );
    assert.deepEqual(
      [line["method"], line["response_code"], line["response_flags"], line["response_code_details"]],
      ["OPTIONS", 404, "-", "absolute_path"],
    );
  });

  it("answers any OPTIONS target that begins with * as OPTIONS *, as Envoy's codec looks at its first character", async () => {
    const c = await connect();
    await c.write("OPTIONS *tail HTTP/1.1\r\nHost: a.test\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), r.body.length],
      [404, "IGW_ERR_NOT_A_PATH", 0],
    );
    const line = await loggedLine(access, "*tail");
    assert.deepEqual([line["response_code"], line["response_code_details"]], [404, "absolute_path"]);
  });

  it("answers a pipelined Content-Length POST and a GET in order, the body whole", async () => {
    const c = await connect();
    const body = "0123456789abcdefghij";
    await c.write(
      `POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /after-post HTTP/1.1\r\nHost: a.test\r\n\r\n`,
    );
    const post = seen(await c.readResponse());
    assert.deepEqual(
      [post.method, post.url, post.bodyLength, post.sha256, rawValues(post.rawHeaders, "content-length")],
      ["POST", "/post", 20, sha256(Buffer.from(body)), ["20"]],
    );
    const get = seen(await c.readResponse());
    assert.deepEqual([get.method, get.url, get.bodyLength], ["GET", "/after-post", 0]);
  });

  it("reads a chunked POST with trailers split at awkward boundaries, then a pipelined GET", async () => {
    const c = await connect();
    const whole =
      "POST /chunked-post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "a\r\n0123456789\r\n" +
      "10;ext=1\r\nABCDEFGHIJKLMNOP\r\n" +
      "0\r\nX-Trailer: t\r\n\r\n" +
      "GET /after-chunked HTTP/1.1\r\nHost: a.test\r\n\r\n";
    // Cuts inside the head, between CR and LF after chunk data, inside a chunk-size line,
    // between CR and LF of that line, inside chunk data, inside the last chunk, inside the
    // trailer section and inside its closing CRLF.
    const cuts = [
      whole.indexOf("chunked\r\n") + 3,
      whole.indexOf("0123456789\r\n") + 11,
      whole.indexOf("10;ext") + 1,
      whole.indexOf("10;ext=1\r\n") + 9,
      whole.indexOf("ABCD") + 2,
      whole.indexOf("0\r\nX-Trailer") + 2,
      whole.indexOf("X-Trailer") + 4,
      whole.indexOf("t\r\n\r\nGET") + 4,
    ];
    assert.deepEqual(
      cuts,
      [...cuts].sort((a, b) => a - b),
    );
    let at = 0;
    for (const cut of cuts) {
      await c.write(whole.slice(at, cut));
      await sleep(15);
      at = cut;
    }
    await c.write(whole.slice(at));
    const post = seen(await c.readResponse());
    assert.deepEqual(
      [post.method, post.url, post.bodyLength, post.sha256],
      ["POST", "/chunked-post", 26, sha256(Buffer.from("0123456789ABCDEFGHIJKLMNOP"))],
    );
    const get = seen(await c.readResponse());
    assert.deepEqual([get.method, get.url, get.bodyLength], ["GET", "/after-chunked", 0]);
  });

  it("passes the upstream's 100 on for Expect: 100-continue, and forwards the expectation", async () => {
    const c = await connect();
    await c.write(
      "POST /expect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    // node:http, upstream, answers the expectation with a 100 of its own: that is the one seen here.
    const interim = "HTTP/1.1 100 Continue\r\n\r\n";
    assert.equal((await c.readBytes(interim.length)).toString("latin1"), interim);
    assert.equal(await c.quietFor(100), true);
    await c.write("hello");
    const s = seen(await c.readResponse());
    assert.deepEqual(
      [s.method, s.bodyLength, s.sha256, rawValues(s.rawHeaders, "expect")],
      ["POST", 5, sha256(Buffer.from("hello")), ["100-continue"]],
    );
  });

  it("answers HEAD on a direct response with its length and no body", async () => {
    const c = await connect();
    await c.write(
      "HEAD /direct HTTP/1.1\r\nHost: a.test\r\n\r\nGET /direct HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const head = await c.readResponse({ head: true });
    const get = await c.readResponse();
    assert.deepEqual(
      [head.status, field(head.headers, "content-length"), head.body.length],
      [200, String(DIRECT_BODY.length), 0],
    );
    // The GET's status line starts right after the HEAD's empty line: no body bytes between.
    assert.equal(head.raw.toString("latin1").endsWith("\r\n\r\n"), true);
    assert.deepEqual(
      [get.status, field(get.headers, "content-length"), get.body.toString()],
      [200, String(DIRECT_BODY.length), DIRECT_BODY],
    );
    assert.deepEqual(endToEnd(head), [
      ["content-length", String(DIRECT_BODY.length)],
      ["content-type", "text/plain"],
      ["server", "istio-envoy"],
    ]);
    assert.deepEqual(endToEnd(get), endToEnd(head));
    assert.equal(c.pending.length, 0);
  });

  it("writes the reason phrase of the status, and Unknown for a status without one, as Envoy does", async () => {
    const c = await connect();
    await c.write("GET /direct HTTP/1.1\r\nHost: a.test\r\n\r\nGET /555 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    const ok = await c.readResponse();
    const unknown = await c.readResponse();
    assert.deepEqual([ok.status, ok.reason, unknown.status, unknown.reason], [200, "OK", 555, "Unknown"]);
  });

  it("serves an h2c upgrade request as HTTP/1.1, as Envoy does, and routes the next request on its own", async () => {
    const c = await connect();
    await c.write(
      "POST /h2c HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n" +
        "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello" +
        "GET /direct HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const first = await c.readResponse();
    assert.match(first.raw.toString("latin1"), /^HTTP\/1\.1 200 OK\r\n/);
    const s = seen(first);
    assert.deepEqual(
      [
        s.method,
        s.url,
        s.bodyLength,
        ["connection", "upgrade", "http2-settings"].map((h) => rawValues(s.rawHeaders, h)),
      ],
      ["POST", "/h2c", 5, [[], [], []]],
    );
    const second = await c.readResponse();
    assert.deepEqual([second.status, second.body.toString()], [200, DIRECT_BODY]);
  });

  it("forwards headers named like JavaScript object properties as plain headers", async () => {
    const c = await connect();
    await c.write(
      "GET /names HTTP/1.1\r\nHost: a.test\r\n__proto__: p\r\nConstructor: c1\r\nconstructor: c2\r\ntoString: t\r\n\r\n",
    );
    const s = seen(await c.readResponse());
    assert.deepEqual(
      ["__proto__", "constructor", "tostring"].map((h) => rawValues(s.rawHeaders, h)),
      [["p"], ["c1,c2"], ["t"]],
    );
  });

  it("refuses an upgrade to anything but WebSocket with 403, as Istio's gateways do", async () => {
    const c = await connect();
    await c.write("GET /irc HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: IRC/6.9\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection"), r.body.length],
      [403, "IGW_ERR_UPGRADE_FAILED", "close", 0],
    );
    const line = await loggedLine(access, "/irc");
    assert.deepEqual([line["response_code"], line["error_code"]], [403, "IGW_ERR_UPGRADE_FAILED"]);
  });

  it("closes after answering a Connection: close request", async () => {
    const c = await connect();
    await c.write("GET /close HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual([seen(r).url, field(r.headers, "connection")], ["/close", "close"]);
    await c.waitClosed(3000);
    assert.deepEqual([c.ended, c.pending.length], [true, 0]);
  });

  it("answers HTTP/1.0 with 426 Upgrade Required and closes, as Envoy does without accept_http_10", async () => {
    const c = await connect();
    await c.write("GET /http10 HTTP/1.0\r\nHost: a.test\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [
        r.version,
        r.status,
        r.reason,
        field(r.headers, "content-length"),
        field(r.headers, "content-type"),
        field(r.headers, "connection"),
        r.body.toString(),
      ],
      // Envoy's codec errors are local replies whose body is the status's text.
      ["HTTP/1.1", 426, "Upgrade Required", "16", "text/plain", "close", "Upgrade Required"],
    );
    await c.waitClosed(3000);
    assert.equal((await loggedLine(access, "/http10"))["response_code"], 426);
  });

  it("refuses more than 100 request headers with 431, and serves exactly 100", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v${i}\r\n`).join("");
    const over = await connect();
    await over.write(`GET /headers-101 HTTP/1.1\r\nHost: a.test\r\n${many(100)}\r\n`);
    const refused = await over.readResponse();
    assert.deepEqual(
      [refused.status, field(refused.headers, "x-igw-error-code"), refused.body.toString()],
      [431, "IGW_ERR_HEADERS_TOO_LARGE", "Request Header Fields Too Large"],
    );
    await over.waitClosed(3000);
    const exact = await connect();
    await exact.write(`GET /headers-100 HTTP/1.1\r\nHost: a.test\r\n${many(99)}\r\n`);
    const s = seen(await exact.readResponse());
    assert.deepEqual([rawValues(s.rawHeaders, "x-h0"), rawValues(s.rawHeaders, "x-h98")], [["v0"], ["v98"]]);
  });

  it("answers 408 when the request head does not arrive within headersTimeoutMs", async () => {
    const c = await connect(timedPort);
    const started = Date.now();
    await c.write("GET /slow-head HTTP/1.1\r\nHost: a.te");
    const r = await c.readResponse({ timeoutMs: 5000 });
    // Envoy's request_headers_timeout reply has no body, unlike its codec errors.
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection"), r.body.length],
      [408, "IGW_ERR_REQUEST_TIMEOUT", "close", 0],
    );
    await c.waitClosed(3000);
    assert.ok(Date.now() - started >= 250, `answered after ${Date.now() - started} ms`);
  });

  it("answers 408 when the request body does not arrive within requestTimeoutMs", async () => {
    const c = await connect(timedPort);
    const started = Date.now();
    await c.write("POST /slow-body HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc");
    const r = await c.readResponse({ timeoutMs: 5000 });
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection")],
      [408, "IGW_ERR_REQUEST_TIMEOUT", "close"],
    );
    await c.waitClosed(3000);
    assert.ok(Date.now() - started >= 450, `answered after ${Date.now() - started} ms`);
  });

  it("closes a keep-alive connection idle for idleTimeoutMs without writing", async () => {
    const c = await connect(timedPort);
    await c.write("GET /before-idle HTTP/1.1\r\nHost: a.test\r\n\r\n");
    assert.equal(seen(await c.readResponse()).url, "/before-idle");
    const idleSince = Date.now();
    await c.waitClosed(4000);
    assert.equal(c.pending.length, 0);
    assert.ok(Date.now() - idleSince >= 250, `closed after ${Date.now() - idleSince} ms`);
  });

  it("logs DC when the client goes away in the middle of a response", async () => {
    const c = await connect();
    await c.write("GET /stream HTTP/1.1\r\nHost: a.test\r\n\r\n");
    await c.readBytes(1);
    await sleep(150);
    c.destroy();
    const line = await loggedLine(access, "/stream");
    assert.deepEqual([line["response_code"], line["response_flags"]], [200, "DC"]);
  });

  it("logs DC and raises no error when the client goes away in the middle of its request body", async () => {
    const uncaught: string[] = [];
    const monitor = (err: Error) => uncaught.push(err.message);
    process.on("uncaughtExceptionMonitor", monitor);
    try {
      const c = await connect();
      await c.write("POST /abandoned-body HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc");
      await sleep(100);
      c.destroy();
      const line = await loggedLine(access, "/abandoned-body");
      await sleep(50);
      assert.deepEqual([line["response_flags"], uncaught], ["DC", []]);
    } finally {
      process.off("uncaughtExceptionMonitor", monitor);
    }
  });

  it("streams an 8 MiB request body to a slow reader whole", async () => {
    const body = crypto.randomBytes(8 * 1024 * 1024);
    const c = await connect();
    void c.write(`POST /slow-read HTTP/1.1\r\nHost: a.test\r\nContent-Length: ${body.length}\r\n\r\n`);
    void c.write(body);
    const s = seen(await c.readResponse({ timeoutMs: 20_000 }));
    assert.deepEqual([s.bodyLength, s.sha256], [body.length, sha256(body)]);
  });

  it("refuses bad framing on the second request of a connection with 400 and closes", async () => {
    const c = await connect();
    await c.write("GET /good HTTP/1.1\r\nHost: a.test\r\n\r\n");
    assert.equal(seen(await c.readResponse()).url, "/good");
    await c.write(
      "POST /bad HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
    );
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection")],
      [400, "IGW_ERR_BAD_REQUEST", "close"],
    );
    await c.waitClosed(3000);
  });

  for (const [name, value] of [
    ["a bare CR", "a\rb"],
    ["a NUL", "a\u0000b"],
  ] as const) {
    it(`refuses a header value with ${name} with 400`, async () => {
      const c = await connect();
      await c.write(`GET /bad-value HTTP/1.1\r\nHost: a.test\r\nX-Bad: ${value}\r\n\r\n`);
      const r = await c.readResponse();
      assert.deepEqual([r.status, field(r.headers, "x-igw-error-code")], [400, "IGW_ERR_BAD_REQUEST"]);
      await c.waitClosed(3000);
    });
  }

  it("refuses a request that names its host twice with 400, as RFC 9112 requires, and closes", async () => {
    const c = await connect();
    await c.write("GET /two-hosts HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection"), r.body.toString()],
      [400, "IGW_ERR_BAD_REQUEST", "close", "Bad Request"],
    );
    await c.waitClosed(3000);
  });

  it("answers a head that does not parse with an empty body, right whatever its method", async () => {
    // llhttp gives a head's method only once the head is whole, so this refusal cannot know
    // whether it answers a HEAD request: an empty body fits either.
    const c = await connect();
    await c.write("GET /bad-value HTTP/1.1\r\nHost: a.test\r\nX-Bad: a\rb\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual([r.status, field(r.headers, "content-length"), r.body.length], [400, "0", 0]);
  });

  it("tells a HEAD request refused by the codec the reply's length, without its body", async () => {
    const c = await connect();
    await c.write("HEAD /two-hosts HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
    const r = await c.readResponse({ head: true });
    assert.deepEqual([r.status, field(r.headers, "content-length"), r.body.length], [400, "11", 0]);
    await c.waitClosed(3000);
    assert.equal(c.pending.length, 0);
  });

  it("sends an upstream body without a length chunked, and 204/304 without body or framing", async () => {
    const c = await connect();
    await c.write(
      "GET /chunked HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /status/204 HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /status/304 HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /after-304 HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const chunked = await c.readResponse();
    assert.deepEqual(
      [chunked.status, chunked.chunked, field(chunked.headers, "content-length"), chunked.body.toString()],
      [200, true, undefined, "alpha-beta-gamma"],
    );
    assert.equal(field(chunked.headers, "transfer-encoding"), "chunked");
    for (const status of [204, 304]) {
      const r = await c.readResponse();
      assert.deepEqual(
        [
          r.status,
          field(r.headers, "transfer-encoding"),
          field(r.headers, "content-length"),
          field(r.headers, "etag"),
        ],
        [status, undefined, undefined, '"v1"'],
      );
    }
    assert.equal(seen(await c.readResponse()).url, "/after-304");
    assert.equal(c.pending.length, 0);
  });

  it("drops upstream trailers from the chunked body, as Istio's HTTP/1.1 codec (enable_trailers off)", async () => {
    const c = await connect();
    await c.write("GET /trailers HTTP/1.1\r\nHost: a.test\r\nTE: trailers\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, r.chunked, r.body.toString(), r.trailers],
      [200, true, "part one,part two", []],
    );
    const raw = r.raw.toString("latin1");
    assert.equal(raw.slice(raw.lastIndexOf("0\r\n")), "0\r\n\r\n");
  });

  it("serves HTTP/1.1 over TLS with keep-alive to curl", async () => {
    const url = (p: string) => `https://h1.test:${tlsPort}${p}`;
    const { stdout } = await runCurl([
      "--http1.1",
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `h1.test:${tlsPort}:127.0.0.1`,
      "-w",
      "%{http_code} %{http_version} %{num_connects}\n",
      "-o",
      "/dev/null",
      url("/tls-one"),
      "-o",
      "/dev/null",
      url("/tls-two"),
    ]);
    assert.equal(stdout, "200 1.1 1\n200 1.1 0\n");
  });

  it("serves two pipelined requests over TLS without ALPN", async () => {
    const c = await RawClient.connectTls({
      host: "127.0.0.1",
      port: tlsPort,
      servername: "h1.test",
      ca: pki.ca.cert,
    });
    open.push(c);
    assert.equal((c.socket as tls.TLSSocket).alpnProtocol, false);
    await c.write("GET /tls-a HTTP/1.1\r\nHost: h1.test\r\n\r\nGET /tls-b HTTP/1.1\r\nHost: h1.test\r\n\r\n");
    const a = seen(await c.readResponse());
    const b = seen(await c.readResponse());
    assert.deepEqual(
      [a.url, b.url, rawValues(a.rawHeaders, "x-forwarded-proto")],
      ["/tls-a", "/tls-b", ["https"]],
    );
  });

  it("joins duplicate request headers as the upstream sees them", async () => {
    const c = await connect();
    await c.write(
      "GET /dup HTTP/1.1\r\nHost: a.test\r\nX-A: a\r\nX-A: b\r\nCookie: c1=1\r\nCookie: c2=2\r\n\r\n",
    );
    const s = seen(await c.readResponse());
    assert.deepEqual(
      [rawValues(s.rawHeaders, "x-a"), rawValues(s.rawHeaders, "cookie")],
      [["a,b"], ["c1=1; c2=2"]],
    );
  });

  it("puts date and server: istio-envoy on every response", async () => {
    const c = await connect();
    await c.write(
      "GET /plain HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /direct HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /chunked HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /status/204 HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    const rows: [number, boolean, string | undefined][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await c.readResponse();
      rows.push([r.status, IMF_DATE.test(field(r.headers, "date") ?? ""), field(r.headers, "server")]);
    }
    assert.deepEqual(rows, [
      [200, true, "istio-envoy"],
      [200, true, "istio-envoy"],
      [200, true, "istio-envoy"],
      [204, true, "istio-envoy"],
    ]);
  });
});
