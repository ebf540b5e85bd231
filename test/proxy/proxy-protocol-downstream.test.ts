/**
 * A gateway behind a load balancer that speaks the PROXY protocol, as Istio's network-topologies
 * page sets it up (content/en/docs/ops/configuration/traffic-management/network-topologies,
 * `snip_proxy_protocol_2`: the gateway pod's `proxy.istio.io/config` annotation
 * `{"gatewayTopology" : { "proxyProtocol": {} }}`, which is the proxy's `--proxy-protocol`). Its
 * routes are Istio's own tasks' YAML, as they are: ingress-control's httpbin Gateway and
 * VirtualService on port 80, secure-ingress's TLS Gateway for httpbin.example.com on 443, and the
 * tcp-traffic-shifting task's tcp-echo on 31400. The only adaptations: service names go to
 * loopback backends (`--resolve`, or a ServiceEntry for tcp-echo's pods), and the certificate is
 * made with TestPki.
 *
 * Clients are raw sockets writing v1 and v2 headers that claim other addresses than their own, and
 * curl's `--haproxy-protocol`. What is asserted is Envoy's `proxy_protocol` listener filter with
 * Istio's empty configuration: the header's source is the client everywhere (x-forwarded-for,
 * x-envoy-external-address, the access log), a LOCAL or UNKNOWN header keeps the socket's
 * addresses, and a connection without a valid header is closed unanswered and unlogged.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLineWhere } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend, startTcpEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents, tlsSecret } from "./support/istio-yaml";
import { HTTPBIN_GATEWAY, HTTPBIN_VIRTUAL_SERVICE, MYGATEWAY_SIMPLE } from "./support/ingress-task-yaml";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import { tcpEchoPods } from "./support/traffic-task-yaml";

const V2_SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** A v2 header: `command` PROXY (1) or LOCAL (0), `family` byte, then `body` (addresses and TLVs). */
function v2(command: number, family: number, body: Buffer): Buffer {
  const fixed = Buffer.from([0x20 | command, family, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

/** The address block of a v2 TCP over IPv4 header. */
function v4Block(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src.split(".").map(Number)).copy(b, 0);
  Buffer.from(dst.split(".").map(Number)).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

/** The address block of a v2 TCP over IPv6 header, from the groups of each address written out. */
function v6Block(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  src.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  dst.forEach((g, i) => b.writeUInt16BE(g, 16 + 2 * i));
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

const REQUEST = "GET /status/200 HTTP/1.1\r\nHost: httpbin.example.com\r\nConnection: close\r\n\r\n";

/** What a raw connection got: the bytes, whether the proxy closed it, and its own local port. */
interface RawOutcome {
  readonly received: string;
  readonly closedByProxy: boolean;
  readonly localPort: number;
}

/**
 * Connects to `port`, writes `chunks` (with `gapMs` between them), and reads until the proxy closes
 * the connection or `waitMs` pass (then the client closes it).
 */
async function rawExchange(
  port: number,
  chunks: readonly Buffer[],
  waitMs = 2000,
  gapMs = 0,
): Promise<RawOutcome> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await once(socket, "connect");
  const localPort = socket.localPort ?? 0;
  const data: Buffer[] = [];
  socket.on("data", (d: Buffer) => data.push(d));
  const closed = once(socket, "close").then(() => true);
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)));
  const closedByProxy = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  socket.destroy();
  return { received: Buffer.concat(data).toString("latin1"), closedByProxy, localPort };
}

function statusOf(received: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
}

describe("PROXY protocol in front of the gateway: plain-text HTTP and TCP listeners", () => {
  const dir = new ConfigDir();
  const seen: Echo[] = [];
  const log: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let tcpEchoV1: Backend;
  let tcpEchoV2: Backend;
  let proxy: GatewayProxy;
  let httpPort: number;
  let tcpPort: number;

  /** The echo's record of the request a client with `marker` in its path made. */
  const echoed = (path: string): Echo | undefined => seen.find((e) => e.url === path);

  before(async () => {
    httpbin = await startEchoBackend("httpbin", seen);
    tcpEchoV1 = await startTcpEcho("one ");
    tcpEchoV2 = await startTcpEcho("two ");
    dir.write("httpbin.yaml", HTTPBIN_GATEWAY);
    dir.write("tcp-echo-all-v1.yaml", sample("tcp-echo-all-v1.yaml"));
    dir.write("tcp-echo-pods.yaml", tcpEchoPods(tcpEchoV1.port, tcpEchoV2.port));
    proxy = await startFileProxy(
      [dir.dir],
      [80, 31400],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      jsonLinesSink(log),
      // Envoy's listener filter timeout is 15 s; a shorter one keeps the test of it short.
      { watchPaths: [], proxyProtocol: true, limits: { handshakeTimeoutMs: 400 } },
    );
    httpPort = proxy.boundPorts().get(80)!;
    tcpPort = proxy.boundPorts().get(31400)!;
  });

  after(async () => {
    await proxy.close();
    await Promise.all([httpbin.close(), tcpEchoV1.close(), tcpEchoV2.close()]);
    dir.dispose();
  });

  it("takes the client of a v1 header for x-forwarded-for, x-envoy-external-address and the access log", async () => {
    const path = "/status/200?v1";
    const header = Buffer.from("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n");
    const out = await rawExchange(httpPort, [header, Buffer.from(REQUEST.replace("/status/200", path))]);
    assert.equal(statusOf(out.received), 200);
    const echo = echoed(path)!;
    assert.deepEqual(
      [echo.headers["x-forwarded-for"], echo.headers["x-envoy-external-address"]],
      ["203.0.113.7", "203.0.113.7"],
    );
    const line = await loggedLineWhere(log, (l) => l["path"] === path, path);
    assert.deepEqual(
      [line["downstream_remote_address"], line["downstream_local_address"]],
      ["203.0.113.7:40000", "198.51.100.1:80"],
    );
  });

  it("takes an IPv6 client from a v2 header, skipping its TLVs, even when the header comes a byte at a time", async () => {
    const path = "/status/200?v2";
    // 2001:db8::7 port 40001 to 2001:db8::1 port 80, then a NOOP TLV (type 4) of three bytes.
    const block = v6Block([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7], [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 40001, 80);
    const header = v2(1, 0x21, Buffer.concat([block, Buffer.from([4, 0, 3, 1, 2, 3])]));
    const bytes = [...header].map((b) => Buffer.from([b]));
    const out = await rawExchange(
      httpPort,
      [...bytes, Buffer.from(REQUEST.replace("/status/200", path))],
      3000,
      1,
    );
    assert.equal(statusOf(out.received), 200);
    assert.equal(echoed(path)!.headers["x-forwarded-for"], "2001:db8::7");
    const line = await loggedLineWhere(log, (l) => l["path"] === path, path);
    assert.deepEqual(
      [line["downstream_remote_address"], line["downstream_local_address"]],
      ["[2001:db8::7]:40001", "[2001:db8::1]:80"],
    );
  });

  it("appends the header's client to an x-forwarded-for the client sent, as Envoy appends the remote address", async () => {
    const path = "/status/200?xff";
    const header = Buffer.from("PROXY TCP4 203.0.113.8 198.51.100.1 40002 80\r\n");
    const request = REQUEST.replace("/status/200", path).replace(
      "\r\n\r\n",
      "\r\nX-Forwarded-For: 56.5.6.7\r\n\r\n",
    );
    const out = await rawExchange(httpPort, [header, Buffer.from(request)]);
    assert.equal(statusOf(out.received), 200);
    const echo = echoed(path)!;
    assert.deepEqual(
      [echo.headers["x-forwarded-for"], echo.headers["x-envoy-external-address"]],
      ["56.5.6.7,203.0.113.8", "203.0.113.8"],
    );
  });

  it("keeps the connection's own addresses for a v2 LOCAL header and a v1 UNKNOWN one", async () => {
    const local = v2(0, 0x00, Buffer.from([4, 0, 1, 9]));
    const unknown = Buffer.from("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n");
    for (const [name, header] of [
      ["local", local],
      ["unknown", unknown],
    ] as const) {
      const path = `/status/200?${name}`;
      const out = await rawExchange(httpPort, [header, Buffer.from(REQUEST.replace("/status/200", path))]);
      assert.equal(statusOf(out.received), 200, name);
      assert.equal(echoed(path)!.headers["x-forwarded-for"], "127.0.0.1", name);
      const line = await loggedLineWhere(log, (l) => l["path"] === path, path);
      assert.deepEqual(
        [line["downstream_remote_address"], line["downstream_local_address"]],
        [`127.0.0.1:${out.localPort}`, `127.0.0.1:${httpPort}`],
        name,
      );
    }
  });

  it("serves curl --haproxy-protocol, whose v1 header names curl's own connection", async () => {
    const r = await curl([
      "--haproxy-protocol",
      "-HHost:httpbin.example.com",
      "-w",
      "\n%{local_port}",
      `http://127.0.0.1:${httpPort}/status/200?curl`,
    ]);
    const curlPort = r.body.split("\n").at(-1)!;
    assert.deepEqual([r.status, r.body], [200, `httpbin 200\n\n${curlPort}`]);
    const line = await loggedLineWhere(log, (l) => l["path"] === "/status/200?curl", "curl");
    assert.equal(line["downstream_remote_address"], `127.0.0.1:${curlPort}`);
  });

  it("closes, unanswered and unlogged, connections whose header is missing or one Envoy refuses", async () => {
    const cases: [string, Buffer][] = [
      ["no header", Buffer.from(REQUEST)],
      ["v1 family TCP5", Buffer.from("PROXY TCP5 203.0.113.7 198.51.100.1 40000 80\r\n")],
      ["v1 bad address", Buffer.from("PROXY TCP4 203.0.113.256 198.51.100.1 40000 80\r\n")],
      ["v1 IPv6 address as TCP4", Buffer.from("PROXY TCP4 2001:db8::7 198.51.100.1 40000 80\r\n")],
      ["v1 port over 65535", Buffer.from("PROXY TCP4 203.0.113.7 198.51.100.1 65536 80\r\n")],
      ["v1 doubled space", Buffer.from("PROXY TCP4  203.0.113.7 198.51.100.1 40000 80\r\n")],
      ["v1 multicast source", Buffer.from("PROXY TCP4 224.0.0.1 198.51.100.1 40000 80\r\n")],
      ["v1 any address", Buffer.from("PROXY TCP4 0.0.0.0 198.51.100.1 40000 80\r\n")],
      ["v1 line over 108 bytes", Buffer.from(`PROXY UNKNOWN ${"x".repeat(100)}\r\n`)],
      [
        "v2 version 1",
        Buffer.concat([V2_SIGNATURE, Buffer.from([0x11, 0x11, 0, 12]), v4Block("1.2.3.4", "5.6.7.8", 1, 2)]),
      ],
      ["v2 AF_UNIX", v2(1, 0x31, Buffer.alloc(216))],
      ["v2 AF_UNSPEC with PROXY", v2(1, 0x01, Buffer.alloc(0))],
      ["v2 address block too short", v2(1, 0x11, Buffer.alloc(8))],
      ["v2 command 2", v2(2, 0x11, v4Block("203.0.113.7", "198.51.100.1", 40000, 80))],
      [
        "v2 truncated TLV",
        v2(
          1,
          0x11,
          Buffer.concat([v4Block("203.0.113.7", "198.51.100.1", 40000, 80), Buffer.from([4, 0, 5, 1])]),
        ),
      ],
      ["v2 broadcast destination", v2(1, 0x11, v4Block("203.0.113.7", "255.255.255.255", 40000, 80))],
    ];
    const hitsBefore = seen.length;
    const linesBefore = log.length;
    for (const [name, bytes] of cases) {
      const out = await rawExchange(httpPort, [bytes, Buffer.from(REQUEST)]);
      assert.deepEqual([out.closedByProxy, out.received], [true, ""], name);
    }
    // The access log writes in batches: give a line that should not exist the time to show.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([seen.length, log.length], [hitsBefore, linesBefore]);
  });

  it("closes a connection whose header does not complete within the listener filter timeout", async () => {
    const start = Date.now();
    const out = await rawExchange(httpPort, [Buffer.from("PROXY TCP4 203.0.113.7 ")], 5000);
    const took = Date.now() - start;
    assert.deepEqual([out.closedByProxy, out.received], [true, ""]);
    assert.ok(took >= 350 && took < 3000, `closed after ${took} ms`);
  });

  it("gives a TCP route's connection the header's client, in its access-log line", async () => {
    const socket = net.connect(tcpPort, "127.0.0.1");
    await once(socket, "connect");
    socket.write("PROXY TCP4 203.0.113.9 198.51.100.1 41000 31400\r\nhello\n");
    const [answer] = (await once(socket, "data")) as [Buffer];
    socket.destroy();
    assert.equal(answer.toString(), "one hello\n");
    const line = await loggedLineWhere(
      log,
      (l) => l["downstream_remote_address"] === "203.0.113.9:41000",
      "tcp",
    );
    assert.deepEqual(
      [line["downstream_local_address"], line["upstream_cluster"]],
      ["198.51.100.1:31400", "outbound|9000|v1|tcp-echo.default.svc.cluster.local"],
    );
  });

  it("never crashes on what comes before, in or after a header, and still serves a valid one afterwards", async () => {
    const valid = [
      Buffer.concat([Buffer.from("PROXY TCP4 203.0.113.7 198.51.100.1 40000 80\r\n"), Buffer.from(REQUEST)]),
      Buffer.concat([v2(1, 0x11, v4Block("203.0.113.7", "198.51.100.1", 40000, 80)), Buffer.from(REQUEST)]),
      Buffer.concat([v2(0, 0x00, Buffer.alloc(0)), Buffer.from(REQUEST)]),
    ];
    const at = (v: Buffer) => fc.nat({ max: v.length });
    const input = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => [Buffer.from(b)]),
      fc.constantFrom(...valid).chain((v) =>
        fc.oneof(
          at(v).map((n) => [v.subarray(0, n)]),
          fc
            .array(fc.tuple(at(v), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
            .map((flips) => {
              const copy = Buffer.from(v);
              for (const [i, b] of flips) if (i < copy.length) copy[i] = b;
              return [copy];
            }),
          at(v).map((n) => [v.subarray(0, n), v.subarray(n)]),
        ),
      ),
    );
    const runs = Number(process.env["FUZZ_RUNS"] ?? 40);
    const seed = process.env["FUZZ_SEED"] === undefined ? undefined : Number(process.env["FUZZ_SEED"]);
    await fc.assert(
      fc.asyncProperty(input, async (chunks) => {
        await rawExchange(httpPort, chunks, 150);
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
    );
    const out = await rawExchange(httpPort, [valid[0]!]);
    assert.equal(statusOf(out.received), 200);
  });
});

describe("PROXY protocol in front of the gateway: TLS after the header (secure-ingress)", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const cert = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const seen: Echo[] = [];
  const log: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  /** A TCP connection to the gateway that has written `header`, for TLS to go over. */
  const withHeader = (header: Buffer): net.Socket => {
    const socket = net.connect(port, "127.0.0.1");
    socket.write(header);
    return socket;
  };

  before(async () => {
    httpbin = await startEchoBackend("httpbin", seen);
    dir.write("httpbin-credential.yaml", tlsSecret("httpbin-credential", cert.cert, cert.key));
    dir.write("mygateway.yaml", documents(MYGATEWAY_SIMPLE, HTTPBIN_VIRTUAL_SERVICE));
    proxy = await startFileProxy(
      [dir.dir],
      [443],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      jsonLinesSink(log),
      { watchPaths: [], proxyProtocol: true },
    );
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    pki.dispose();
    dir.dispose();
  });

  it("reads a v1 header, then the ClientHello, and serves HTTPS with the header's client", async () => {
    const header = Buffer.from("PROXY TCP4 203.0.113.10 198.51.100.1 42000 443\r\n");
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.get(
        {
          host: "httpbin.example.com",
          path: "/status/200?tls-v1",
          // Without an agent, node:https takes the connection `createConnection` makes.
          createConnection: () =>
            tls.connect({ socket: withHeader(header), servername: "httpbin.example.com", ca: pki.ca.cert }),
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
    });
    assert.equal(status, 200);
    const echo = seen.find((e) => e.url === "/status/200?tls-v1")!;
    assert.deepEqual(
      [echo.headers["x-forwarded-for"], echo.headers["x-forwarded-proto"]],
      ["203.0.113.10", "https"],
    );
    const line = await loggedLineWhere(log, (l) => l["path"] === "/status/200?tls-v1", "tls-v1");
    assert.deepEqual(
      [line["downstream_remote_address"], line["requested_server_name"]],
      ["203.0.113.10:42000", "httpbin.example.com"],
    );
  });

  it("serves HTTP/2 over TLS after a v2 header, with the header's client", async () => {
    const header = v2(1, 0x11, v4Block("203.0.113.11", "198.51.100.1", 42001, 443));
    const session = http2.connect(`https://httpbin.example.com:${port}`, {
      createConnection: () =>
        tls.connect({
          socket: withHeader(header),
          servername: "httpbin.example.com",
          ca: pki.ca.cert,
          ALPNProtocols: ["h2"],
        }),
    });
    session.on("error", () => {});
    const stream = session.request({ ":path": "/status/200?tls-v2" });
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    stream.resume();
    await once(stream, "end");
    session.close();
    assert.equal(headers[":status"], 200);
    assert.equal(
      seen.find((e) => e.url === "/status/200?tls-v2")!.headers["x-forwarded-for"],
      "203.0.113.11",
    );
  });

  it("closes a TLS client that sends no header: its ClientHello is not one", async () => {
    const socket = tls.connect({
      port,
      host: "127.0.0.1",
      servername: "httpbin.example.com",
      ca: pki.ca.cert,
    });
    const [err] = (await once(socket, "error")) as [NodeJS.ErrnoException];
    socket.destroy();
    assert.equal(err.code, "ECONNRESET");
  });
});
