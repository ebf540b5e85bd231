/**
 * An upstream that gives up on a request before answering, as Envoy's router reports it: a
 * connection closed under the request is 503 `UC` ("connection termination"), not 502; a stream
 * the HTTP/2 upstream resets is 503 `UR` ("remote reset"); a stream it refuses is retried by
 * Istio's default policy (`refused-stream`), and when every try is refused, the body says
 * "remote refused stream reset" after "retried and the latest".
 */
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import { listenOnLoopback } from "./support/backends";
import { request } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

const PREFIX = "upstream connect error or disconnect/reset before headers. ";

describe("upstream resets, as Envoy's router answers them", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  /** Streams the HTTP/2 backend saw, by path. */
  const streams = new Map<string, number>();
  let h1Close: () => Promise<void>;
  let h2: http2.Http2Server;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    // HTTP/1.1: reads the request, then closes the connection without a word.
    const h1 = await listenOnLoopback(http.createServer((req) => req.socket.destroy()));
    h1Close = h1.close;
    // HTTP/2 (h2c): `/refuse-once/` refuses a path's first stream, `/refuse/` every stream, and
    // `/reset/` resets every stream with INTERNAL_ERROR; anything else is answered.
    h2 = http2.createServer();
    h2.on("session", (s) => s.on("error", () => {}));
    h2.on("stream", (stream, headers) => {
      const path = String(headers[":path"]);
      const seen = (streams.get(path) ?? 0) + 1;
      streams.set(path, seen);
      stream.on("error", () => {});
      if (path.startsWith("/refuse/") || (path.startsWith("/refuse-once/") && seen === 1)) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      } else if (path.startsWith("/reset/")) {
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      } else {
        stream.respond({ ":status": 200 });
        stream.end(`stream ${seen}\n`);
      }
    });
    h2.listen(0, "127.0.0.1");
    await new Promise((r) => h2.once("listening", r));
    const h2Port = (h2.address() as { port: number }).port;
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /closing/}}]
    route: [{destination: {host: closing.internal}}]
  - route: [{destination: {host: h2.internal}}]
`,
        staticServiceEntry("closing", [{ port: h1.port }]),
        staticServiceEntry("h2", [{ port: h2Port }], "HTTP2"),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    await h1Close();
    await new Promise((r) => h2.close(r));
    dir.dispose();
  });

  /** Status, body and logged flags of a GET of `path`. */
  async function outcome(path: string): Promise<[number, string, unknown]> {
    const r = await request(`http://127.0.0.1:${port}${path}`, { host: "shop.example" });
    return [r.status, r.body, (await loggedLine(access, path))["response_flags"]];
  }

  it("answers 503 UC for a connection the upstream closes before answering", async () => {
    assert.deepEqual(await outcome("/closing/a"), [
      503,
      `${PREFIX}reset reason: connection termination`,
      "UC",
    ]);
  });

  it("answers 503 UR for a stream the upstream resets (not retried by Istio's default policy)", async () => {
    assert.deepEqual(await outcome("/reset/a"), [503, `${PREFIX}reset reason: remote reset`, "UR"]);
    assert.equal(streams.get("/reset/a"), 1);
  });

  it("retries a refused stream, as Istio's default policy does (refused-stream)", async () => {
    assert.deepEqual(await outcome("/refuse-once/a"), [200, "stream 2\n", "-"]);
  });

  it("says so when every try was refused: 503 URX,UR after three streams", async () => {
    assert.deepEqual(await outcome("/refuse/a"), [
      503,
      `${PREFIX}retried and the latest reset reason: remote refused stream reset`,
      "URX,UR",
    ]);
    assert.equal(streams.get("/refuse/a"), 3);
  });
});
