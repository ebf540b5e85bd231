/**
 * Request methods at the gateway, as Envoy's codecs take them. Over HTTP/1.1, Envoy's parser knows
 * a fixed list of methods (GET through UNSUBSCRIBE, PURGE and TRACE among them) and refuses any
 * other at its request line, before there is a request: 400 with Envoy's body `Bad Request`,
 * `http1.codec_error`, no method or path logged, the connection closed. llhttp knows two more
 * (`QUERY`, `M-SEARCH`) and refuses the rest itself. A method Envoy knows is forwarded as it is,
 * whatever it is (TRACE) and whatever body it carries (a GET's). HTTP/2 has no list: a method its
 * codec reads is forwarded.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { loggedLine } from "./support/access-log-sinks";
import type { CatchAllProxy } from "./support/catch-all-proxy";
import { startCatchAllProxy } from "./support/catch-all-proxy";
import type { RawClient } from "./support/raw-http1-client";
import { field } from "./support/raw-http1-client";

describe("request methods", () => {
  const access: Record<string, unknown>[] = [];
  let gateway: CatchAllProxy;
  let port: number;

  before(async () => {
    // The upstream answers with the method, target and body it got.
    gateway = await startCatchAllProxy(
      "methods",
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`));
      },
      access,
    );
    port = gateway.port;
  });

  after(() => gateway.close());

  const connect = (): Promise<RawClient> => gateway.connect();

  it("refuses over HTTP/1.1 the methods Envoy's codec does not know, as a request line it cannot read", async () => {
    // QUERY and M-SEARCH llhttp reads; the others it refuses itself. None is HEAD: each answer
    // has Envoy's body.
    for (const method of ["QUERY", "M-SEARCH", "FOO", "get"]) {
      const before = access.length;
      const c = await connect();
      await c.write(
        `${method} /m HTTP/1.1\r\nHost: a.test\r\ncontent-length: 1\r\n\r\nxGET /never HTTP/1.1\r\nHost: a.test\r\n\r\n`,
      );
      const r = await c.readResponse();
      assert.deepEqual(
        [
          r.status,
          field(r.headers, "x-igw-error-code"),
          field(r.headers, "content-type"),
          field(r.headers, "connection"),
          r.body.toString(),
        ],
        [400, "IGW_ERR_BAD_REQUEST", "text/plain", "close", "Bad Request"],
        method,
      );
      await c.waitClosed(3000);
      assert.equal(c.pending.length, 0, method);
      const until = Date.now() + 3000;
      while (access.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const line = access[before]!;
      assert.deepEqual(
        [
          line["method"],
          line["path"],
          line["response_code"],
          line["response_flags"],
          line["response_code_details"],
          line["upstream_cluster"],
        ],
        [null, null, 400, "DPE", "http1.codec_error", null],
        method,
      );
      assert.equal(access.length, before + 1, method);
    }
  });

  it("forwards the methods Envoy's codec knows as they are: PURGE, TRACE, and a GET with a body", async () => {
    const c = await connect();
    await c.write(
      "PURGE /purge HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "TRACE /trace HTTP/1.1\r\nHost: a.test\r\n\r\n" +
        "GET /get-body HTTP/1.1\r\nHost: a.test\r\ncontent-length: 4\r\n\r\nbody",
    );
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) answers.push((await c.readResponse()).body.toString());
    assert.deepEqual(answers, ["PURGE /purge ", "TRACE /trace ", "GET /get-body body"]);
    const line = await loggedLine(access, "/trace");
    assert.deepEqual(
      [line["method"], line["response_code"], line["response_code_details"]],
      ["TRACE", 200, "via_upstream"],
    );
  });

  it("forwards over HTTP/2 a method Envoy's HTTP/1.1 codec would refuse: HTTP/2 has no list", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":method": "QUERY", ":path": "/h2-query", ":authority": "a.test" });
      stream.end("q");
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => (body += d));
      const [headers] = (await new Promise((resolve) => stream.once("response", (h) => resolve([h])))) as [
        http2.IncomingHttpHeaders,
      ];
      await new Promise((resolve) => stream.once("end", resolve));
      assert.deepEqual([headers[":status"], body], [200, "QUERY /h2-query q"]);
    } finally {
      session.close();
    }
  });
});
