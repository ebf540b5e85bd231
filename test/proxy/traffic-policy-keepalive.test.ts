// DestinationRule keep-alive settings and hash-cookie attributes through the proxy on real
// sockets, from Istio YAML: `connectionPool.http.http2KeepAlive` (HTTP/2 PINGs, seen frame by frame
// by an upstream that speaks just enough HTTP/2 to stop answering them),
// `connectionPool.tcp.tcpKeepalive` (SO_KEEPALIVE, seen in the kernel's own table of TCP sockets,
// `/proc/net/tcp`) and `consistentHash.httpCookie.attributes` (the generated Set-Cookie).
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { curl, request } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

const CLIENT_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME = { DATA: 0, HEADERS: 1, SETTINGS: 4, PING: 6 } as const;
const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK block: `:status: 200` (static index 8), then literal headers without indexing. */
function responseHeaders(headers: Record<string, string>): Buffer {
  const parts = [Buffer.from([0x88])];
  for (const [name, value] of Object.entries(headers)) {
    parts.push(
      Buffer.from([0x00, name.length]),
      Buffer.from(name),
      Buffer.from([value.length]),
      Buffer.from(value),
    );
  }
  return Buffer.concat(parts);
}

/**
 * One upstream HTTP/2 connection, spoken by hand so that a test can make it stop answering PINGs:
 * the server preface, SETTINGS ACKs, PING ACKs while `answerPings`, and a 200 to every request
 * (unless `holdRequests`) with `x-connection` (its number) and `x-peer-port` (the proxy's port).
 * With `trickle`, the body comes one byte every 100 ms for 1.2 s.
 */
class RawH2Connection {
  /** When each PING arrived (performance.now()). */
  readonly pings: number[] = [];
  /** When the connection was accepted. */
  readonly acceptedAt = performance.now();
  answerPings = true;
  holdRequests = false;
  trickle = false;
  /** Resolves with the time the connection closed. */
  readonly closed: Promise<number>;
  private buffer = Buffer.alloc(0);
  private prefaceSeen = false;

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve(performance.now())));
    socket.on("error", () => {});
    socket.write(frame(FRAME.SETTINGS, 0, 0));
  }

  /** Bytes from the proxy. */
  read(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    if (!this.prefaceSeen) {
      if (this.buffer.length < CLIENT_PREFACE.length) return;
      this.buffer = this.buffer.subarray(CLIENT_PREFACE.length);
      this.prefaceSeen = true;
    }
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) return;
      const [type, flags] = [this.buffer[3]!, this.buffer[4]!];
      const stream = this.buffer.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buffer.subarray(9, 9 + length);
      this.buffer = this.buffer.subarray(9 + length);
      this.onFrame(type, flags, stream, payload);
    }
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    if (type === FRAME.SETTINGS && (flags & FLAG.ACK) === 0)
      this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
    if (type === FRAME.PING && (flags & FLAG.ACK) === 0) {
      this.pings.push(performance.now());
      if (this.answerPings) this.socket.write(frame(FRAME.PING, FLAG.ACK, 0, Buffer.from(payload)));
    }
    const requestEnded = (type === FRAME.HEADERS || type === FRAME.DATA) && (flags & FLAG.END_STREAM) !== 0;
    if (requestEnded && !this.holdRequests) this.answer(stream);
  }

  private answer(stream: number): void {
    const head = responseHeaders({
      "x-connection": String(this.id),
      "x-peer-port": String(this.socket.remotePort),
    });
    this.socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS, stream, head));
    if (!this.trickle) {
      this.socket.write(frame(FRAME.DATA, FLAG.END_STREAM, stream, Buffer.from("ok\n")));
      return;
    }
    let sent = 0;
    const timer = setInterval(() => {
      sent++;
      if (this.socket.destroyed) return clearInterval(timer);
      if (sent < 12) return void this.socket.write(frame(FRAME.DATA, 0, stream, Buffer.from(".")));
      clearInterval(timer);
      this.socket.write(frame(FRAME.DATA, FLAG.END_STREAM, stream, Buffer.from("\n")));
    }, 100);
  }
}

/**
 * An upstream on one port that answers by what the first bytes say: HTTP/2 (prior knowledge) as
 * {@link RawH2Connection}, an HTTP/1.1 upgrade with 101, HTTP/1.1 requests with 200 (`x-peer-port`,
 * `x-cookie`), anything else echoed. It notes the proxy's port of every connection by kind.
 */
interface SniffingBackend {
  readonly port: number;
  readonly h2: RawH2Connection[];
  /** The proxy's port of each connection, by what it carried. */
  readonly peers: Record<"h1" | "h2" | "upgrade" | "tcp", number[]>;
  close(): Promise<void>;
}

async function startSniffingBackend(): Promise<SniffingBackend> {
  const sockets = new Set<net.Socket>();
  const h2: RawH2Connection[] = [];
  const peers: SniffingBackend["peers"] = { h1: [], h2: [], upgrade: [], tcp: [] };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    let pending = "";
    let mode: "unknown" | "h1" | "tunnel" | "h2" | "tcp" = "unknown";
    let connection: RawH2Connection | undefined;
    socket.on("data", (data: Buffer) => {
      if (mode === "unknown") {
        const text = data.toString("latin1");
        if (text.startsWith("PRI ")) {
          mode = "h2";
          connection = new RawH2Connection(h2.length + 1, socket);
          h2.push(connection);
          peers.h2.push(socket.remotePort!);
        } else if (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) {
          mode = "h1";
        } else {
          mode = "tcp";
          peers.tcp.push(socket.remotePort!);
        }
      }
      if (mode === "h2") return connection!.read(data);
      if (mode === "tcp") return void socket.write(data);
      if (mode !== "h1") return;
      pending += data.toString("latin1");
      for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        if (/\r\nupgrade: websocket/i.test(head)) {
          mode = "tunnel";
          peers.upgrade.push(socket.remotePort!);
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
          );
          return;
        }
        peers.h1.push(socket.remotePort!);
        const cookie = /\r\ncookie: ([^\r]*)/i.exec(head)?.[1] ?? "";
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-length: 3\r\nx-peer-port: ${socket.remotePort}\r\nx-cookie: ${cookie}\r\n\r\nok\n`,
        );
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    h2,
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The kernel's timer of the established connection from `127.0.0.1:localPort` to `remotePort`, as
 * `/proc/net/tcp` shows it: `timer` 2 is the keep-alive timer, `ticks` the time left (1/100 s).
 * Waits up to 1 s for the keep-alive timer (a retransmit timer runs while data is unacknowledged).
 */
async function socketTimer(localPort: number, remotePort: number): Promise<{ timer: number; ticks: number }> {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, "0");
  const deadline = performance.now() + 1000;
  for (;;) {
    const row = readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .find(
        (f) =>
          f[1] === `0100007F:${hex(localPort)}` && f[2]?.endsWith(`:${hex(remotePort)}`) && f[3] === "01",
      );
    assert.ok(row !== undefined, `no established connection from port ${localPort} to ${remotePort}`);
    const [timer, ticks] = row[5]!.split(":");
    const found = { timer: parseInt(timer!, 16), ticks: parseInt(ticks!, 16) };
    if (found.timer === 2 || performance.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ServiceEntry `<name>.internal` on `port` with one endpoint, the backend's port. */
function entry(name: string, protocol: string, port: number, backendPort: number): string {
  const portName = protocol.toLowerCase();
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.internal]
  ports: [{number: ${port}, name: ${portName}, protocol: ${protocol}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {${portName}: ${backendPort}}}]
`;
}

/** A DestinationRule for `<name>.internal` with `policy` (YAML flow mapping) as its traffic policy. */
function rule(name: string, policy: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: istio-system}
spec:
  host: ${name}.internal
  trafficPolicy: ${policy}
`;
}

const INTERVAL_MS = 250;
const TIMEOUT_MS = 400;
/** `tcpKeepalive.time`, in seconds: far from Linux's default of 7200. */
const KEEPALIVE_TIME = 1234;

describe("DestinationRule keep-alive settings and cookie attributes", () => {
  const dir = new ConfigDir();
  let sniffing: SniffingBackend;
  let pinged: SniffingBackend;
  let unpinged: SniffingBackend;
  let proxy: GatewayProxy;
  let http: string;
  let tcpPort: number;

  before(async () => {
    sniffing = await startSniffingBackend();
    pinged = await startSniffingBackend();
    unpinged = await startSniffingBackend();
    const keepalive = `{connectionPool: {tcp: {tcpKeepalive: {time: ${KEEPALIVE_TIME}s, interval: 5s, probes: 3}}}}`;
    dir.write(
      "config.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 9000, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /ka-h1}}]
    route: [{destination: {host: ka-h1.internal}}]
  - match: [{uri: {prefix: /ka-h2}}]
    route: [{destination: {host: ka-h2.internal}}]
  - match: [{uri: {prefix: /plain}}]
    route: [{destination: {host: plain.internal}}]
  - match: [{uri: {prefix: /unpinged}}]
    route: [{destination: {host: unpinged.internal}}]
  - match: [{uri: {prefix: /pinged}}]
    route: [{destination: {host: pinged.internal}}]
    retries: {attempts: 0}
  - match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: sticky.internal}}]
  tcp:
  - match: [{port: 9000}]
    route: [{destination: {host: ka-tcp.internal, port: {number: 9000}}}]
---
${entry("ka-h1", "HTTP", 80, sniffing.port)}---
${entry("ka-h2", "HTTP2", 80, sniffing.port)}---
${entry("ka-tcp", "TCP", 9000, sniffing.port)}---
${entry("plain", "HTTP", 80, sniffing.port)}---
${entry("sticky", "HTTP", 80, sniffing.port)}---
${entry("pinged", "HTTP2", 80, pinged.port)}---
${entry("unpinged", "HTTP2", 80, unpinged.port)}---
${rule("ka-h1", keepalive)}---
${rule("ka-h2", keepalive)}---
${rule("ka-tcp", "{connectionPool: {tcp: {tcpKeepalive: {}}}}")}---
${rule("pinged", `{connectionPool: {http: {http2KeepAlive: {interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms}}}}`)}---
${rule("sticky", "{loadBalancer: {consistentHash: {httpCookie: {name: session, path: /, ttl: 60s, attributes: [{name: SameSite, value: Lax}, {name: Partitioned}]}}}}")}`,
    );
    proxy = await startFileProxy([dir.dir], [8080, 9000], []);
    http = `http://127.0.0.1:${proxy.boundPorts().get(8080)!}`;
    tcpPort = proxy.boundPorts().get(9000)!;
  });

  after(async () => {
    await proxy.close();
    await Promise.all([sniffing.close(), pinged.close(), unpinged.close()]);
    dir.dispose();
  });

  it("/config_dump shows each cluster's tcpKeepalive, http2ConnectionKeepalive and ring, and the route's cookie attributes", async () => {
    const dump = JSON.parse((await curl([`http://127.0.0.1:${proxy.statusPort!}/config_dump`])).body) as {
      listeners: {
        filterChains: {
          httpConnectionManager?: {
            routeConfig: { virtualHosts: { routes: { name: string; action: { hashPolicy?: unknown } }[] }[] };
          };
        }[];
      }[];
      clusters: {
        name: string;
        tcpKeepalive?: unknown;
        http2ConnectionKeepalive?: unknown;
        ringHash?: unknown;
      }[];
    };
    const pick = (name: string) => {
      const c = dump.clusters.find((x) => x.name === name)!;
      return {
        tcpKeepalive: c.tcpKeepalive,
        http2ConnectionKeepalive: c.http2ConnectionKeepalive,
        ringHash: c.ringHash,
      };
    };
    const sticky = dump.listeners
      .flatMap((l) => l.filterChains)
      .flatMap((fc) => fc.httpConnectionManager?.routeConfig.virtualHosts ?? [])
      .flatMap((vh) => vh.routes)
      .find((r) => r.action.hashPolicy !== undefined);
    // The cookie is the route's to hash on and to set, as Istio writes it into Envoy's route.
    assert.deepEqual(sticky?.action.hashPolicy, [
      {
        kind: "cookie",
        name: "session",
        path: "/",
        ttlSeconds: 60,
        attributes: [
          { name: "SameSite", value: "Lax" },
          { name: "Partitioned", value: "" },
        ],
      },
    ]);
    assert.deepEqual(pick("outbound|80||ka-h2.internal"), {
      tcpKeepalive: { timeSeconds: KEEPALIVE_TIME, intervalSeconds: 5, probes: 3 },
      http2ConnectionKeepalive: undefined,
      ringHash: undefined,
    });
    assert.deepEqual(pick("outbound|9000||ka-tcp.internal"), {
      tcpKeepalive: { timeSeconds: 0, intervalSeconds: 0, probes: 0 },
      http2ConnectionKeepalive: undefined,
      ringHash: undefined,
    });
    assert.deepEqual(pick("outbound|80||pinged.internal"), {
      tcpKeepalive: undefined,
      http2ConnectionKeepalive: { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
      ringHash: undefined,
    });
    assert.deepEqual(pick("outbound|80||sticky.internal"), {
      tcpKeepalive: undefined,
      http2ConnectionKeepalive: undefined,
      ringHash: { minimumRingSize: 1024 },
    });
  });

  describe("tcpKeepalive: SO_KEEPALIVE with the idle time on every upstream socket of the cluster", () => {
    const wantTicks = KEEPALIVE_TIME * 100;

    it("HTTP/1.1 pool connections; none on a cluster without tcpKeepalive", async () => {
      const ka = await request(`${http}/ka-h1/x`, {});
      const plain = await request(`${http}/plain/x`, {});
      assert.equal(ka.status, 200);
      assert.equal(plain.status, 200);
      const timer = await socketTimer(Number(ka.headers["x-peer-port"]), sniffing.port);
      assert.equal(timer.timer, 2);
      assert.ok(timer.ticks <= wantTicks && timer.ticks > wantTicks - 1000, `ticks ${timer.ticks}`);
      assert.deepEqual(await socketTimer(Number(plain.headers["x-peer-port"]), sniffing.port), {
        timer: 0,
        ticks: 0,
      });
    });

    it("HTTP/2 sessions", async () => {
      const r = await request(`${http}/ka-h2/x`, {});
      assert.equal(r.status, 200);
      assert.equal(r.headers["x-peer-port"], String(sniffing.peers.h2.at(-1)));
      const timer = await socketTimer(Number(r.headers["x-peer-port"]), sniffing.port);
      assert.equal(timer.timer, 2);
      assert.ok(timer.ticks <= wantTicks && timer.ticks > wantTicks - 1000, `ticks ${timer.ticks}`);
    });

    it("WebSocket tunnels", async () => {
      const socket = net.connect(Number(new URL(http).port), "127.0.0.1");
      socket.on("error", () => {});
      socket.write(
        "GET /ka-h1/chat HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      const [head] = (await once(socket, "data")) as [Buffer];
      assert.match(head.toString("latin1"), /^HTTP\/1\.1 101 /);
      const timer = await socketTimer(sniffing.peers.upgrade.at(-1)!, sniffing.port);
      socket.destroy();
      assert.equal(timer.timer, 2);
      assert.ok(timer.ticks <= wantTicks && timer.ticks > wantTicks - 1000, `ticks ${timer.ticks}`);
    });

    it("TCP proxying; an empty tcpKeepalive leaves the idle time to the system (Linux: 7200 s)", async () => {
      const socket = net.connect(tcpPort, "127.0.0.1");
      socket.on("error", () => {});
      socket.write("hello\n");
      const [echo] = (await once(socket, "data")) as [Buffer];
      assert.equal(echo.toString(), "hello\n");
      const timer = await socketTimer(sniffing.peers.tcp.at(-1)!, sniffing.port);
      socket.destroy();
      const system = Number(readFileSync("/proc/sys/net/ipv4/tcp_keepalive_time", "utf8")) * 100;
      assert.equal(timer.timer, 2);
      assert.ok(timer.ticks <= system && timer.ticks > system - 1000, `ticks ${timer.ticks} of ${system}`);
    });
  });

  describe("http2KeepAlive: PINGs on upstream HTTP/2 connections", () => {
    it(
      "sends a PING every interval (plus up to 15% jitter) after each ACK; none without http2KeepAlive",
      { timeout: 10_000 },
      async () => {
        const [a, b] = await Promise.all([
          request(`${http}/pinged/1`, {}),
          request(`${http}/unpinged/1`, {}),
        ]);
        assert.deepEqual([a.status, a.headers["x-connection"], a.body], [200, "1", "ok\n"]);
        assert.deepEqual([b.status, b.headers["x-connection"], b.body], [200, "1", "ok\n"]);
        await sleep(1300);
        const conn = pinged.h2[0]!;
        const times = [conn.acceptedAt, ...conn.pings];
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        assert.ok(gaps.length >= 3, `${gaps.length} PINGs`);
        // The first gap starts at the backend's accept, which it sees a moment after the proxy's
        // connect started the proxy's timer: a few milliseconds of slack, never a whole interval.
        for (const gap of gaps)
          assert.ok(gap >= INTERVAL_MS - 5 && gap < 2 * INTERVAL_MS, `gaps ${gaps.join(", ")}`);
        assert.deepEqual(unpinged.h2[0]!.pings, []);
        assert.equal(pinged.h2.length, 1);
      },
    );

    it(
      "closes a connection whose PING is unanswered for the timeout; the next request opens a new one",
      { timeout: 10_000 },
      async () => {
        const conn = pinged.h2[0]!;
        conn.answerPings = false;
        const closedAt = await conn.closed;
        const unanswered = conn.pings.at(-1)!;
        const waited = closedAt - unanswered;
        assert.ok(
          waited >= TIMEOUT_MS - 5 && waited < TIMEOUT_MS + 500,
          `closed ${waited} ms after the PING`,
        );
        const r = await request(`${http}/pinged/2`, {});
        assert.deepEqual([r.status, r.headers["x-connection"], r.body], [200, "2", "ok\n"]);
      },
    );

    it(
      "resets the streams in flight on a connection closed for an unanswered PING",
      { timeout: 10_000 },
      async () => {
        const conn = pinged.h2[1]!;
        conn.answerPings = false;
        conn.holdRequests = true;
        const r = await request(`${http}/pinged/3`, {});
        const waited = performance.now() - conn.pings.at(-1)!;
        assert.equal(r.status, 503);
        assert.equal(r.headers["x-igw-error-code"], "IGW_ERR_UPSTREAM_RESET");
        assert.ok(waited >= TIMEOUT_MS - 5, `answered ${waited} ms after the unanswered PING`);
        await conn.closed;
        const next = await request(`${http}/pinged/4`, {});
        assert.deepEqual([next.status, next.headers["x-connection"], next.body], [200, "3", "ok\n"]);
      },
    );

    it(
      "waits longer while bytes keep arriving (Envoy extends the timeout on any frame), then closes",
      { timeout: 10_000 },
      async () => {
        const conn = pinged.h2[2]!;
        conn.answerPings = false;
        conn.trickle = true;
        const before = conn.pings.length;
        const r = await request(`${http}/pinged/5`, {});
        // 1.2 s of body, three times the timeout, with the PING unanswered all along.
        assert.deepEqual([r.status, r.headers["x-connection"], r.body], [200, "3", "...........\n"]);
        assert.equal(conn.pings.length, before + 1);
        const closedAt = await conn.closed;
        assert.ok(closedAt - conn.pings.at(-1)! > 3 * TIMEOUT_MS);
      },
    );
  });

  describe("consistentHash.httpCookie.attributes", () => {
    it("go into the generated Set-Cookie after Path, before HttpOnly, as Envoy writes them", async () => {
      const r = await request(`${http}/sticky/x`, {});
      assert.equal(r.status, 200);
      assert.match(
        r.headers["set-cookie"] ?? "",
        /^session="[0-9a-f]{16}"; Max-Age=60; Path=\/; SameSite=Lax; Partitioned; HttpOnly$/,
      );
    });

    it("the cookie a real client keeps comes back and is not set again", async () => {
      const jar = dir.write("cookies.txt", "");
      const first = await curl(["-c", jar, `${http}/sticky/1`]);
      const value = /^session="([0-9a-f]{16})"/.exec(first.headers["set-cookie"] ?? "")?.[1];
      assert.ok(value !== undefined, JSON.stringify(first.headers));
      const second = await curl(["-b", jar, `${http}/sticky/2`]);
      assert.equal(second.headers["set-cookie"], undefined);
      assert.equal(second.headers["x-cookie"], `session="${value}"`);
    });
  });
});
