// What a connection leaves behind once it has closed: nothing.
//
// - A client's HTTP/1.1 connection that ends (`Connection: close`, draining, an idle timeout) waits
//   up to a second for the client to close too; when the client closes first, that wait must not
//   keep the socket, and with it the connection and its last request, for the rest of the second.
//   Under connection churn (every request on a new TLS connection) that kept hundreds of closed
//   connections alive at a time.
// - An upstream HTTP/2 session that closes must not be kept by the pool's timers (its idle timeout,
//   its maximum age) until they would have fired: a minute by default, an hour or more for an age.
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import { describe, it } from "node:test";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { Http1Server } from "../../provider/src/proxy/http1/http1-server";
import { Http2Sessions } from "../../provider/src/proxy/upstream/http2-sessions";

// A full collection on demand: the flag makes `gc` a global of contexts created after it.
v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An HTTP/1.1 server that answers `ok` to every request; `sockets` gets each accepted socket, weakly. */
async function startServer(sockets: WeakRef<net.Socket>[]): Promise<{ port: number; close(): void }> {
  const http1 = new Http1Server({
    maxHeaderBytes: 16 * 1024,
    maxHeadersCount: 100,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    serverName: "istio-envoy",
    onRequest: (_req, res) => {
      res.writeHead(200, { "content-length": "2" });
      res.end("ok");
    },
    onUpgrade: (_req, socket) => socket.destroy(),
    draining: () => false,
    onRefusal: () => {},
  });
  const server = net.createServer((socket) => {
    sockets.push(new WeakRef(socket));
    http1.serve(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      http1.close();
      server.close();
    },
  };
}

/** Sends one `Connection: close` request, reads the answer to the server's end, then closes. */
async function requestAndClose(port: number): Promise<string> {
  const client = net.connect(port, "127.0.0.1");
  await once(client, "connect");
  let answer = "";
  client.setEncoding("latin1").on("data", (d: string) => (answer += d));
  client.write("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
  await once(client, "end");
  client.end();
  await once(client, "close");
  return answer;
}

describe("a closed HTTP/1.1 connection", () => {
  it("is released as soon as the client closes after a Connection: close answer, not a second later", async () => {
    const sockets: WeakRef<net.Socket>[] = [];
    const server = await startServer(sockets);
    try {
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) answers.push(await requestAndClose(server.port));
      for (const answer of answers) {
        assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(answer, /\r\nconnection: close\r\n/i);
        assert.ok(answer.endsWith("\r\n\r\nok"), answer);
      }
      // The server's side has seen each client close (a turn or two after the client's own close);
      // the delayed close would hold them for a second from the answer.
      await sleep(50);
      gc();
      assert.equal(sockets.length, 5);
      assert.deepEqual(
        sockets.map((s) => s.deref() === undefined),
        [true, true, true, true, true],
        "every server-side socket collected",
      );
    } finally {
      server.close();
    }
  });
});

describe("a closed upstream HTTP/2 session", () => {
  it("is held by none of the pool's timers, neither its idle timeout nor its maximum age", async () => {
    const server = http2.createServer();
    let closedAtServer = 0;
    server.on("session", (session) => session.on("close", () => closedAtServer++));
    server.on("stream", (stream) => stream.respond({ ":status": 200 }, { endStream: true }));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    // One stream per session, so that each closes (GOAWAY) once its stream ends, long before a
    // minute of idleness or an hour of age.
    const port = (server.address() as net.AddressInfo).port;
    const pool = new Http2Sessions({
      origin: `http://127.0.0.1:${port}`,
      ip: "127.0.0.1",
      port,
      tls: undefined,
      idleTimeoutMs: 60_000,
      maxRequestsPerConnection: 1,
      maxConcurrentStreams: 0,
      maxConnectionDurationMs: 3_600_000,
      tcpKeepalive: undefined,
      http2Keepalive: undefined,
    });
    const sessions: WeakRef<http2.Http2Session>[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const stream = pool.request({ ":method": "GET", ":path": `/${i}` }, { endStream: true });
        sessions.push(new WeakRef(stream.session!));
        const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
        statuses.push(Number(headers[":status"]));
        stream.resume();
        await once(stream, "close");
      }
      assert.deepEqual(statuses, [200, 200, 200]);
      const until = Date.now() + 5000;
      while (closedAtServer < 3 && Date.now() < until) await sleep(10);
      assert.equal(closedAtServer, 3, "each session closed after its one stream");
      // The pool's side closes about when the server's does: look again for a while (without the
      // fix the sessions stay for the minute of the idle timeout).
      const collected = () => sessions.map((s) => s.deref() === undefined);
      for (const until = Date.now() + 3000; collected().includes(false) && Date.now() < until;) {
        await sleep(50);
        gc();
      }
      assert.deepEqual(collected(), [true, true, true], "every closed session collected");
    } finally {
      pool.close();
      server.close();
    }
  });
});
