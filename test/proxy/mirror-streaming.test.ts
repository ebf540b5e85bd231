// Mirrors of a request with a body, streamed alongside it as Envoy streams a shadow: the mirror
// backend reads the body as the client sends it, and a mirror that is slow or failing changes
// nothing for the main request.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { listenOnLoopback, startEchoBackend } from "./support/backends";
import { startConfigProxy } from "./support/config-proxy";
import {
  cluster,
  forward,
  httpListener,
  match,
  proxyConfig,
  route,
  vhost,
} from "./support/proxy-config-builders";

/** What the shadow backend saw of one request. */
interface Shadowed {
  /** Resolves when the first body chunk arrived. */
  readonly firstChunk: Promise<string>;
  /** Resolves with the body's length and hash once it ended. */
  readonly ended: Promise<{ length: number; sha256: string }>;
  /** The request's headers. */
  readonly headers: http.IncomingHttpHeaders;
}

/** A backend that reports each request's first body chunk as it arrives, and its whole body. */
async function startShadowBackend(): Promise<{
  port: number;
  requests: Map<string, Shadowed>;
  close(): Promise<void>;
}> {
  const requests = new Map<string, Shadowed>();
  const server = http.createServer((req, res) => {
    const hash = crypto.createHash("sha256");
    let length = 0;
    const firstChunk = new Promise<string>((resolve) =>
      req.once("data", (c: Buffer) => resolve(c.toString("latin1"))),
    );
    const ended = new Promise<{ length: number; sha256: string }>((resolve) =>
      req.on("end", () => resolve({ length, sha256: hash.digest("hex") })),
    );
    req.on("data", (c: Buffer) => {
      length += c.length;
      hash.update(c);
    });
    req.on("end", () => res.end("shadow"));
    requests.set(req.url ?? "", { firstChunk, ended, headers: req.headers });
  });
  return { ...(await listenOnLoopback(server)), requests };
}

/** A backend that accepts requests and never reads their bodies nor answers: the slowest mirror. */
async function startStalledBackend(): Promise<{ port: number; close(): Promise<void> }> {
  return listenOnLoopback(http.createServer((req) => req.pause()));
}

/** A POST whose body is written by the caller; resolves with the response once it is read. */
function startPost(
  port: number,
  path: string,
  length: number | undefined,
): { req: http.ClientRequest; response: Promise<{ status: number; body: string }> } {
  const req = http.request({
    host: "127.0.0.1",
    port,
    path,
    method: "POST",
    headers:
      length === undefined ? { host: "shop.example" } : { host: "shop.example", "content-length": length },
    agent: false,
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  return { req, response };
}

/** Resolves with `p`, or with `fallback` after `ms`. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

describe("mirrors of a request body, streamed alongside it", () => {
  let main: Backend;
  let shadow: Awaited<ReturnType<typeof startShadowBackend>>;
  let stalled: Awaited<ReturnType<typeof startStalledBackend>>;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    main = await startEchoBackend("main");
    shadow = await startShadowBackend();
    stalled = await startStalledBackend();
    proxy = await startConfigProxy(
      proxyConfig(
        "mirror-streaming",
        [
          httpListener(8080, [
            vhost(
              "shop",
              ["*"],
              [
                route(
                  "streamed",
                  forward("outbound|80||main", {
                    mirrors: [{ cluster: "outbound|80||shadow", percentage: 100 }],
                  }),
                  { match: match({ uri: { kind: "prefix", value: "/streamed/" } }) },
                ),
                route(
                  "hindered",
                  forward("outbound|80||main", {
                    mirrors: [
                      { cluster: "outbound|80||stalled", percentage: 100 },
                      { cluster: "outbound|80||refused", percentage: 100 },
                    ],
                  }),
                  { match: match({ uri: { kind: "prefix", value: "/hindered/" } }) },
                ),
              ],
            ),
          ]),
        ],
        [
          cluster("outbound|80||main", [{ address: "127.0.0.1", port: main.port }]),
          cluster("outbound|80||shadow", [{ address: "127.0.0.1", port: shadow.port }]),
          cluster("outbound|80||stalled", [{ address: "127.0.0.1", port: stalled.port }]),
          cluster("outbound|80||refused", [{ address: "127.0.0.1", port: 1 }]),
        ],
      ),
      [],
    );
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    await main.close();
    await shadow.close();
    await stalled.close();
  });

  it("marks a shadow internal and appends the gateway's address to its x-forwarded-for, as Envoy's async client", async () => {
    const { req, response } = startPost(port, "/streamed/headers", 2);
    req.setHeader("x-forwarded-for", "203.0.113.9");
    req.end("hi");
    const main = JSON.parse((await response).body) as Echo;
    const until = Date.now() + 2000;
    while (!shadow.requests.has("/streamed/headers") && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const shadowed = shadow.requests.get("/streamed/headers")?.headers;
    assert.deepEqual(
      [
        [main.headers["x-envoy-internal"], main.headers["x-forwarded-for"]],
        [shadowed?.["x-envoy-internal"], shadowed?.["x-forwarded-for"], shadowed?.["host"]],
      ],
      [
        [undefined, "203.0.113.9,127.0.0.1"],
        ["true", "203.0.113.9,127.0.0.1,127.0.0.1", "shop.example-shadow"],
      ],
    );
  });

  for (const framing of ["content-length", "chunked"] as const) {
    it(`sends the first chunk of a slowly-sent body (${framing}) to the mirror before the client has sent the rest`, async () => {
      const path = `/streamed/${framing}`;
      const first = Buffer.from("first chunk of a slow upload;");
      const rest = crypto.randomBytes(64 * 1024);
      const body = Buffer.concat([first, rest]);
      const { req, response } = startPost(port, path, framing === "chunked" ? undefined : body.length);
      req.write(first);
      // The client holds the rest back until the mirror has the first chunk (or 3 s have passed).
      const deadline = Date.now() + 3000;
      while (shadow.requests.get(path) === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const seen = shadow.requests.get(path);
      const firstSeen =
        seen === undefined ? "(no mirror request)" : await within(seen.firstChunk, 3000, "(nothing)");
      req.end(rest);
      assert.equal(firstSeen, first.toString("latin1"));
      const r = await response;
      assert.deepEqual([r.status, (JSON.parse(r.body) as Echo).bodyLength], [200, body.length]);
      assert.deepEqual(await seen!.ended, { length: body.length, sha256: sha256(body) });
    });
  }

  it("answers the main request whole while one mirror never reads its body and another cannot connect", async () => {
    const path = "/hindered/upload";
    const body = crypto.randomBytes(768 * 1024);
    const { req, response } = startPost(port, path, body.length);
    for (let offset = 0; offset < body.length; offset += 64 * 1024) {
      req.write(body.subarray(offset, offset + 64 * 1024));
      await new Promise((r) => setTimeout(r, 2));
    }
    req.end();
    const r = await within(response, 5000, { status: 0, body: "(no answer within 5 s)" });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(
      [(JSON.parse(r.body) as Echo).url, (JSON.parse(r.body) as Echo).bodyLength],
      [path, body.length],
    );
  });
});
