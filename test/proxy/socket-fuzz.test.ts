/**
 * No bytes on a socket crash the proxy: generated input (random bytes, and valid HTTP/1.1
 * requests, HTTP/2 prefaces and TLS ClientHellos cut, flipped and spliced) goes to every kind of
 * listener, each exchange bounded in time; afterwards every listener still answers a well-formed
 * client. The proxy runs in this process, so anything it throws fails the suite.
 *
 * fast-check prints the seed of a failing run; `FUZZ_SEED=<seed>` replays it, `FUZZ_RUNS=<n>`
 * changes the number of inputs per listener (default 150).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startEchoBackend, startTcpEcho, startTlsEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 150);
const SEED = process.env["FUZZ_SEED"] === undefined ? undefined : Number(process.env["FUZZ_SEED"]);

/** How long one exchange may last before the client gives up on it. */
const EXCHANGE_MS = 150;

/** Writes `chunks` to a new connection, half-closes, and waits for the close (at most EXCHANGE_MS). */
async function exchange(port: number, chunks: readonly Uint8Array[]): Promise<void> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.resume();
  const closed = once(socket, "close");
  await Promise.race([once(socket, "connect"), closed]);
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  if (!socket.destroyed) socket.end();
  const timer = setTimeout(() => socket.destroy(), EXCHANGE_MS);
  await closed;
  clearTimeout(timer);
}

/** The first bytes a real TLS client sends for `servername` (its ClientHello). */
async function recordClientHello(servername: string): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once("connection", (s) => {
      s.once("data", (d: Buffer) => {
        resolve(d);
        s.destroy();
      });
    }),
  );
  const client = tls.connect({ host: "127.0.0.1", port, servername, ALPNProtocols: ["h2", "http/1.1"] });
  client.on("error", () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

/** Input made from a valid message: cut short, bytes overwritten, bytes inserted, or split in two. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array[]> {
  const at = fc.nat({ max: valid.length });
  const edit = fc.oneof(
    at.map((n) => [valid.slice(0, n)]),
    fc.array(fc.tuple(at, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const copy = Uint8Array.from(valid);
      for (const [i, b] of flips) if (i < copy.length) copy[i] = b;
      return [copy];
    }),
    fc
      .tuple(at, fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([i, extra]) => [Buffer.concat([valid.slice(0, i), extra, valid.slice(i)])]),
    at.map((n) => [valid.slice(0, n), valid.slice(n)]),
  );
  return edit;
}

/** Anything: random bytes, or one of the valid messages mutated. */
function inputs(...valid: Uint8Array[]): fc.Arbitrary<Uint8Array[]> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((b) => [b]),
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 256 }), { minLength: 1, maxLength: 4 }),
    ...valid.map(mutated),
  );
}

const REQUEST = Buffer.from(
  "POST /echo?q=1 HTTP/1.1\r\nHost: fuzz.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n" +
    "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
    "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: fuzz.example\r\n\r\n",
  "latin1",
);
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
// A SETTINGS frame, then a HEADERS frame (stream 1, END_HEADERS) whose HPACK block is arbitrary.
const H2_FRAMES = Buffer.concat([
  H2_PREFACE,
  Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]),
  Buffer.from([0, 0, 8, 1, 4, 0, 0, 0, 1, 0x82, 0x86, 0x84, 0x41, 0x83, 0xaa, 0x69, 0xd2]),
]);

describe("no input on a socket crashes the proxy", () => {
  const dir = new ConfigDir();
  const pki = new TestPki();
  let web: Backend;
  let tcpEcho: Backend;
  let tlsEcho: Backend;
  let proxy: GatewayProxy;
  let hello: Buffer;
  const ports = new Map<string, number>();
  const logs: string[] = [];

  before(async () => {
    web = await startEchoBackend("web");
    tcpEcho = await startTcpEcho("tcp:");
    const passthrough = pki.issue("pass.example", ["DNS:pass.example"]);
    tlsEcho = await startTlsEcho("tls:", passthrough.cert, passthrough.key);
    const server = pki.issue("fuzz.example", ["DNS:fuzz.example"]);
    hello = await recordClientHello("fuzz.example");
    dir.write("tls.crt", server.cert);
    dir.write("tls.key", server.key);
    dir.write(
      "gateway.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8081, name: http2, protocol: HTTP2}
    hosts: ["*"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: ["fuzz.example"]
    tls: {mode: SIMPLE, serverCertificate: ${dir.dir}/tls.crt, privateKey: ${dir.dir}/tls.key}
  - port: {number: 8444, name: tls-passthrough, protocol: TLS}
    hosts: ["pass.example"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 8445, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web.internal, port: {number: 80}}}]
    retries: {attempts: 2, retryOn: 5xx}
    mirror: {host: web.internal, port: {number: 80}}
  tcp:
  - route: [{destination: {host: tcp.internal, port: {number: 9000}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass, namespace: istio-system}
spec:
  hosts: ["pass.example"]
  gateways: [gw]
  tls:
  - match: [{sniHosts: ["pass.example"]}]
    route: [{destination: {host: pass.internal, port: {number: 443}}}]
`,
    );
    proxy = await startFileProxy(
      [dir.dir],
      [8080, 8081, 8443, 8444, 8445],
      [
        { host: "web.internal", ip: "127.0.0.1", port: web.port },
        { host: "tcp.internal", ip: "127.0.0.1", port: tcpEcho.port },
        { host: "pass.internal", ip: "127.0.0.1", port: tlsEcho.port },
      ],
      logs,
    );
    const bound = proxy.boundPorts();
    for (const [name, port] of [
      ["http", 8080],
      ["h2c", 8081],
      ["https", 8443],
      ["passthrough", 8444],
      ["tcp", 8445],
    ] as const) {
      ports.set(name, bound.get(port)!);
    }
  });

  after(async () => {
    await proxy.close();
    await Promise.all([web.close(), tcpEcho.close(), tlsEcho.close()]);
    dir.dispose();
    pki.dispose();
  });

  /** Every listener still serves a well-formed client, with the exact answer. */
  async function allStillServe(): Promise<void> {
    const http = await curl([
      "-s",
      "-H",
      "Host: fuzz.example",
      `http://127.0.0.1:${ports.get("http")}/after`,
    ]);
    assert.equal(http.status, 200);
    assert.equal(JSON.parse(http.body).url, "/after");
    const https = await curl([
      "-s",
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `fuzz.example:${ports.get("https")}:127.0.0.1`,
      `https://fuzz.example:${ports.get("https")}/after-tls`,
    ]);
    assert.equal(https.status, 200);
    assert.equal(JSON.parse(https.body).url, "/after-tls");
    const session = http2.connect(`http://127.0.0.1:${ports.get("h2c")}`);
    try {
      const stream = session.request({ ":path": "/after-h2", ":authority": "fuzz.example" });
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => (body += c));
      await once(stream, "end");
      assert.equal(headers[":status"], 200);
      assert.equal(JSON.parse(body).url, "/after-h2");
    } finally {
      session.close();
    }
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(ports.get("tcp")!, "127.0.0.1", () => s.end("ping"));
      let out = "";
      s.on("data", (d: Buffer) => (out += d.toString()));
      s.on("end", () => resolve(out));
      s.on("error", reject);
    });
    assert.equal(echoed, "tcp:ping", logs.join("\n"));
    const passed = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({
        host: "127.0.0.1",
        port: ports.get("passthrough")!,
        servername: "pass.example",
        ca: pki.ca.cert,
      });
      let out = "";
      s.on("secureConnect", () => s.end("ping"));
      s.on("data", (d: Buffer) => (out += d.toString()));
      s.on("end", () => resolve(out));
      s.on("error", reject);
    });
    assert.equal(passed, "tls:ping");
  }

  const cases: [listener: string, valid: () => Uint8Array[]][] = [
    ["http", () => [REQUEST]],
    ["h2c", () => [H2_FRAMES, REQUEST]],
    ["https", () => [hello]],
    ["passthrough", () => [hello]],
    ["tcp", () => [REQUEST]],
  ];
  for (const [listener, valid] of cases) {
    it(`survives ${RUNS} generated inputs on the ${listener} listener`, async () => {
      await fc.assert(
        fc.asyncProperty(inputs(...valid()), (chunks) => exchange(ports.get(listener)!, chunks)),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      await allStillServe();
    });
  }
});
