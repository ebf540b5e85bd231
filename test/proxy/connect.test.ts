/**
 * CONNECT at the gateway, as Istio configures Envoy there: its connection manager upgrades to
 * `websocket` only (no CONNECT upgrade, no `connect_matcher` on any route) and leaves HTTP/2's
 * `allow_connect` off. A CONNECT is routed like any request, and Envoy's router skips every route
 * for a request without a path: 404 with no body, flagged NR (`route_not_found`), the target's
 * authority as the request's. Over HTTP/1.1 the target must be `host:port` (else 400,
 * `http1.invalid_url`), and the connection closes after the answer. Over HTTP/2 the stream gets the
 * same 404; an extended CONNECT (`:protocol`, RFC 8441) is refused by the codec, the setting that
 * allows it not being sent. Raw sockets, curl as a client tunnelling through a proxy (`-p -x`), and
 * node:http2.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import type { CatchAllProxy } from "./support/catch-all-proxy";
import { startCatchAllProxy } from "./support/catch-all-proxy";
import type { RawClient } from "./support/raw-http1-client";
import { field } from "./support/raw-http1-client";

/** The access-log fields a CONNECT's line is compared on. */
const LOGGED = [
  "method",
  "path",
  "authority",
  "protocol",
  "response_code",
  "response_flags",
  "response_code_details",
  "route_name",
  "upstream_cluster",
] as const;

function logged(line: Record<string, unknown>): unknown[] {
  return LOGGED.map((k) => line[k]);
}

describe("CONNECT at the gateway", () => {
  const upstreamSaw: string[] = [];
  const access: Record<string, unknown>[] = [];
  let gateway: CatchAllProxy;
  let port: number;

  before(async () => {
    // A catch-all route on a catch-all host: whatever a CONNECT finds, it is not a route.
    gateway = await startCatchAllProxy(
      "connect",
      (req, res) => {
        upstreamSaw.push(`${req.method} ${req.url}`);
        res.end("upstream");
      },
      access,
    );
    port = gateway.port;
  });

  after(() => gateway.close());

  const connect = (): Promise<RawClient> => gateway.connect();

  function connectLine(authority: string): Promise<Record<string, unknown>> {
    return loggedLineWhere(
      access,
      (l) => l["method"] === "CONNECT" && l["authority"] === authority,
      `CONNECT ${authority}`,
    );
  }

  it("answers an HTTP/1.1 CONNECT 404 with no route, its target as authority, and closes", async () => {
    const c = await connect();
    // The Host header is not the authority: the target is, as Envoy's codec makes it.
    await c.write("CONNECT tunnel.test:443 HTTP/1.1\r\nHost: other.test\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual(
      [r.status, r.reason, field(r.headers, "x-igw-error-code"), field(r.headers, "content-length")],
      [404, "Not Found", "IGW_ERR_NO_ROUTE", "0"],
    );
    assert.deepEqual([field(r.headers, "connection"), r.body.length], ["close", 0]);
    await c.waitClosed(3000);
    assert.deepEqual(logged(await connectLine("tunnel.test:443")), [
      "CONNECT",
      null,
      "tunnel.test:443",
      "HTTP/1.1",
      404,
      "NR",
      "route_not_found",
      null,
      null,
    ]);
    assert.deepEqual(upstreamSaw, []);
  });

  it("answers a CONNECT without a Host header the same way: its target names the host", async () => {
    const c = await connect();
    await c.write("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n");
    const r = await c.readResponse();
    assert.deepEqual([r.status, field(r.headers, "x-igw-error-code")], [404, "IGW_ERR_NO_ROUTE"]);
    assert.equal((await connectLine("[::1]:8443"))["response_code"], 404);
  });

  it("tells curl tunnelling through it (-p -x) that the CONNECT failed with 404", async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        "curl",
        ["-sS", "--max-time", "10", "-p", "-x", `http://127.0.0.1:${port}`, "https://secure.test/"],
        (err, _stdout, stderr) => resolve({ code: err === null ? 0 : (err.code as number), stderr }),
      );
    });
    assert.deepEqual([code, stderr.trim()], [56, "curl: (56) CONNECT tunnel failed, response 404"]);
    assert.deepEqual(logged(await connectLine("secure.test:443")).slice(4), [
      404,
      "NR",
      "route_not_found",
      null,
      null,
    ]);
  });

  it("refuses a CONNECT whose target is not host:port with 400, as Envoy's codec does", async () => {
    for (const target of ["/tunnel", "tunnel.test", "tunnel.test:65536", "user@tunnel.test:443"]) {
      const c = await connect();
      await c.write(`CONNECT ${target} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
      const r = await c.readResponse();
      assert.deepEqual(
        [r.status, field(r.headers, "x-igw-error-code"), field(r.headers, "connection"), r.body.toString()],
        [400, "IGW_ERR_BAD_REQUEST", "close", "Bad Request"],
        target,
      );
      await c.waitClosed(3000);
      const line = await loggedLine(access, target);
      assert.deepEqual(
        [line["response_code"], line["response_flags"], line["response_code_details"]],
        [400, "DPE", "http1.invalid_url"],
        target,
      );
    }
    assert.deepEqual(upstreamSaw, []);
  });

  it("answers an HTTP/2 CONNECT 404 with no route, logged and counted, where node:http2 says 405", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request(
        { ":method": "CONNECT", ":authority": "h2-tunnel.test:443" },
        { endStream: false },
      );
      const [headers] = (await Promise.race([
        new Promise((resolve) => stream.once("response", (h) => resolve([h]))),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no response")), 5000)),
      ])) as [http2.IncomingHttpHeaders];
      assert.deepEqual(
        [headers[":status"], headers["x-igw-error-code"], headers["content-length"]],
        [404, "IGW_ERR_NO_ROUTE", "0"],
      );
      stream.close();
    } finally {
      session.close();
    }
    assert.deepEqual(logged(await connectLine("h2-tunnel.test:443")), [
      "CONNECT",
      null,
      "h2-tunnel.test:443",
      "HTTP/2",
      404,
      "NR",
      "route_not_found",
      null,
      null,
    ]);
  });

  it("refuses an HTTP/2 extended CONNECT (:protocol) at the codec: the stream is reset", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      await new Promise((resolve) => session.once("remoteSettings", resolve));
      assert.equal(session.remoteSettings.enableConnectProtocol, false);
      const stream = session.request(
        {
          ":method": "CONNECT",
          ":protocol": "websocket",
          ":path": "/ws",
          ":scheme": "http",
          ":authority": "a.test",
        },
        { endStream: false },
      );
      stream.on("error", () => {});
      await new Promise((resolve) => stream.once("close", resolve));
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
    } finally {
      session.close();
    }
    assert.deepEqual(upstreamSaw, []);
  });
});
