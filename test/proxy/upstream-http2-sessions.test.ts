import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { Http2Sessions } from "../../provider/src/proxy/upstream/http2-sessions";
import { ConfigDir, startFileProxy } from "./support/samples";

/**
 * An h2c backend that numbers its sessions and holds every stream until {@link release}, so a test
 * sees which streams shared a connection while they were all open at once.
 */
async function startHoldingBackend(settings: http2.Settings = {}) {
  const server = http2.createServer({ settings });
  const ids = new Map<http2.Http2Session, number>();
  const closed: number[] = [];
  const held: { path: string; session: number; answer(): void }[] = [];
  server.on("session", (s) => {
    ids.set(s, ids.size + 1);
    s.on("error", () => {});
    s.on("close", () => closed.push(ids.get(s)!));
  });
  server.on("stream", (stream, headers) => {
    const entry = {
      path: String(headers[":path"]),
      session: ids.get(stream.session!)!,
      answer: () =>
        stream.respond({ ":status": 200, "x-session": String(entry.session) }, { endStream: true }),
    };
    stream.on("error", () => {});
    stream.resume();
    held.push(entry);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    held,
    closed,
    /** Answers every stream held so far. */
    release(): void {
      for (const h of held.splice(0)) h.answer();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of ids.keys()) s.destroy();
        server.close(() => r());
      }),
  };
}

const waitFor = async (check: () => boolean, what: string): Promise<void> => {
  const until = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Streams per backend session, in session order: `[2, 2, 1]` is three connections. */
const perSession = (held: { session: number }[]) => {
  const counts = new Map<number, number>();
  for (const h of held) counts.set(h.session, (counts.get(h.session) ?? 0) + 1);
  return [...counts.keys()].sort((a, b) => a - b).map((k) => counts.get(k));
};

describe("upstream HTTP/2 connections: maxConcurrentStreams and maxRequestsPerConnection", () => {
  const dir = new ConfigDir();
  let backend: Awaited<ReturnType<typeof startHoldingBackend>>;
  // A server that takes two streams at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS).
  let strict: Awaited<ReturnType<typeof startHoldingBackend>>;
  let proxy: GatewayProxy;
  let port: number;

  const get = (path: string) =>
    new Promise<{ status: number; session: string }>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path, headers: { host: "shop.example" }, agent: false }, (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, session: String(res.headers["x-session"]) }),
          );
        })
        .on("error", reject);
    });

  before(async () => {
    backend = await startHoldingBackend();
    strict = await startHoldingBackend({ maxConcurrentStreams: 2 });
    const entry = (name: string, port = backend.port) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.internal]
  ports: [{number: 80, name: web, protocol: HTTP2, targetPort: ${port}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
`;
    dir.write(
      "gateway.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /limited/}}]
    route: [{destination: {host: limited.internal}}]
  - match: [{uri: {prefix: /capped/}}]
    route: [{destination: {host: capped.internal}}]
  - match: [{uri: {prefix: /open/}}]
    route: [{destination: {host: open.internal}}]
  - match: [{uri: {prefix: /strict/}}]
    route: [{destination: {host: strict.internal}}]
---
${entry("strict", strict.port)}---
${entry("limited")}---
${entry("capped")}---
${entry("open")}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited, namespace: istio-system}
spec:
  host: limited.internal
  trafficPolicy: {connectionPool: {http: {maxConcurrentStreams: 2}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: capped, namespace: istio-system}
spec:
  host: capped.internal
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 2}}}
`,
    );
    proxy = await startFileProxy([dir.dir], [8080], []);
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    await backend.close();
    await strict.close();
    dir.dispose();
  });

  it("opens another connection for streams past maxConcurrentStreams, as Envoy does", async () => {
    const answers = Promise.all([1, 2, 3, 4, 5].map((i) => get(`/limited/${i}`)));
    await waitFor(() => backend.held.length === 5, "five streams at the backend");
    const sessions = perSession(backend.held);
    backend.release();
    assert.deepEqual(sessions, [2, 2, 1]);
    assert.deepEqual(
      (await answers).map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    // The connections stay for the next streams: two more at once share the first connection.
    const first = backend.held.length;
    const again = Promise.all([6, 7].map((i) => get(`/limited/${i}`)));
    await waitFor(() => backend.held.length === first + 2, "two more streams");
    const reused = new Set(backend.held.map((h) => h.session));
    backend.release();
    await again;
    assert.equal(reused.size, 1);
  });

  it("carries every stream on one connection without a limit", async () => {
    const answers = Promise.all([1, 2, 3, 4, 5].map((i) => get(`/open/${i}`)));
    await waitFor(() => backend.held.length === 5, "five streams at the backend");
    const sessions = perSession(backend.held);
    backend.release();
    await answers;
    assert.deepEqual(sessions, [5]);
  });

  it("opens another connection past the server's SETTINGS_MAX_CONCURRENT_STREAMS, as Envoy does", async () => {
    // The first stream learns the server's settings; then five at once need three connections.
    const first = get("/strict/0");
    await waitFor(() => strict.held.length === 1, "the first stream");
    strict.release();
    await first;
    const answers = Promise.all([1, 2, 3, 4, 5].map((i) => get(`/strict/${i}`)));
    await waitFor(() => strict.held.length === 5, "five streams at the backend");
    const sessions = perSession(strict.held);
    strict.release();
    assert.deepEqual(
      (await answers).map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    assert.deepEqual(sessions, [2, 2, 1]);
  });

  it("closes a connection after maxRequestsPerConnection streams, and opens a new one", async () => {
    const sessions: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const answer = get(`/capped/${i}`);
      await waitFor(() => backend.held.length === 1, `stream ${i}`);
      backend.release();
      const a = await answer;
      assert.equal(a.status, 200);
      sessions.push(a.session);
    }
    const [a, b, c] = [...new Set(sessions)];
    assert.deepEqual(sessions, [a, a, b, b, c]);
    await waitFor(() => backend.closed.includes(Number(a)) && backend.closed.includes(Number(b)), "GOAWAY");
    assert.ok(!backend.closed.includes(Number(c)), "the connection in use stays open");
  });
});

describe("upstream HTTP/2 connections: idleTimeout", () => {
  it("is time without streams, as Envoy's: a stream open past it keeps the session, which closes once idle that long", async () => {
    const backend = await startHoldingBackend();
    const pool = new Http2Sessions({
      origin: `http://127.0.0.1:${backend.port}`,
      ip: "127.0.0.1",
      port: backend.port,
      tls: undefined,
      idleTimeoutMs: 300,
      maxRequestsPerConnection: 0,
      maxConcurrentStreams: 0,
      maxConnectionDurationMs: 0,
      tcpKeepalive: undefined,
      http2Keepalive: undefined,
    });
    /** One stream, answered when the test releases it: its status and the backend's session. */
    const exchange = async (path: string, holdMs: number): Promise<string> => {
      const stream = pool.request({ ":method": "GET", ":path": path }, { endStream: true });
      const response = once(stream, "response") as Promise<[http2.IncomingHttpHeaders]>;
      const held = backend.held.length + 1;
      await waitFor(() => backend.held.length === held, `the stream to ${path}`);
      await new Promise((r) => setTimeout(r, holdMs));
      backend.release();
      const [headers] = await response;
      stream.resume();
      await once(stream, "close");
      return `${headers[":status"]} on session ${headers["x-session"]}`;
    };
    try {
      // Held for more than twice the idle timeout without a byte either way: the stream is open,
      // so the session is not idle, and the next stream finds it still taking streams.
      assert.equal(await exchange("/slow", 700), "200 on session 1");
      assert.equal(await exchange("/next", 0), "200 on session 1");
      const idleFrom = Date.now();
      await waitFor(() => backend.closed.includes(1), "the idle session to close");
      const idleMs = Date.now() - idleFrom;
      // Timers fire a little early or late; a session closed on the last stream's end would take
      // a few milliseconds, and one never closed would time out above.
      assert.ok(idleMs >= 250 && idleMs < 3000, `closed after ${idleMs} ms without streams`);
    } finally {
      pool.close();
      await backend.close();
    }
  });
});
