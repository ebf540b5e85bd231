import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import { refusingPort } from "./support/backends";
import { ConfigDir, startFileProxy } from "./support/samples";
import type { WebSocketBackend } from "./support/websocket-backend";
import { startWebSocketBackend } from "./support/websocket-backend";

/** An upgrade request on a new connection, kept open; `head` resolves with the first bytes answered. */
function upgrade(port: number, path: string, extra = ""): { socket: net.Socket; head: Promise<string> } {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.once("connect", () =>
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
    ),
  );
  const head = new Promise<string>((resolve) => {
    socket.once("data", (d: Buffer) => resolve(d.toString("latin1")));
    socket.once("close", () => resolve(""));
  });
  return { socket, head };
}

/** Resolves with the first bytes, or "nothing" when none came within `ms`. */
function within(head: Promise<string>, ms: number): Promise<string> {
  return Promise.race([head, new Promise<string>((r) => setTimeout(() => r("nothing"), ms))]);
}

async function closeAndWait(socket: net.Socket): Promise<void> {
  const closed = once(socket, "close");
  socket.destroy();
  await closed;
}

describe("WebSocket upgrades under a DestinationRule's traffic policy", () => {
  const dir = new ConfigDir();
  let a: WebSocketBackend;
  let b: WebSocketBackend;
  /** An endpoint that answers every request 503, as a pod shutting down can. */
  let unavailable: http.Server;
  let unavailableRequests = 0;
  /** The paths it was asked for, in order. */
  const unavailablePaths: string[] = [];
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];

  before(async () => {
    a = await startWebSocketBackend();
    b = await startWebSocketBackend();
    unavailable = http.createServer((req, res) => {
      unavailableRequests++;
      unavailablePaths.push(req.url ?? "");
      res.writeHead(503, { "content-type": "text/plain", "content-length": "11" }).end("unavailable");
    });
    unavailable.listen(0, "127.0.0.1");
    await once(unavailable, "listening");
    const unavailablePort = (unavailable.address() as net.AddressInfo).port;
    const refusing = await refusingPort();
    const entry = (name: string, ports: number[]) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
${ports.map((p) => `  - {address: 127.0.0.1, ports: {http: ${p}}}`).join("\n")}
`;
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
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /limited}}]
    route: [{destination: {host: limited.internal}}]
  - match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: sticky.internal}}]
  - match: [{uri: {prefix: /eject}}]
    retries: {attempts: 0}
    route: [{destination: {host: ejecting.internal}}]
  - match: [{uri: {prefix: /retried}}]
    route: [{destination: {host: retrying.internal}}]
  - match: [{uri: {prefix: /answered-503}}]
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: shutting-down.internal}}]
  - match: [{uri: {prefix: /always-503}}]
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: unavailable.internal}}]
  - match: [{uri: {prefix: /default-503}}]
    route: [{destination: {host: unavailable.internal}}]
  - match: [{uri: {prefix: /patient}}]
    retries: {attempts: 2, retryOn: connect-failure, backoff: 10s}
    route: [{destination: {host: refusing.internal}}]
---
${entry("limited", [a.port])}---
${entry("sticky", [a.port, b.port])}---
${entry("ejecting", [a.port, refusing])}---
${entry("retrying", [refusing, b.port])}---
${entry("refusing", [refusing])}---
${entry("shutting-down", [unavailablePort, b.port])}---
${entry("unavailable", [unavailablePort])}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: shutting-down, namespace: istio-system}
spec:
  host: shutting-down.internal
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: retrying, namespace: istio-system}
spec:
  host: retrying.internal
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited, namespace: istio-system}
spec:
  host: limited.internal
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: sticky, namespace: istio-system}
spec:
  host: sticky.internal
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ejecting, namespace: istio-system}
spec:
  host: ejecting.internal
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutiveGatewayErrors: 1, interval: 60s, baseEjectionTime: 60s, maxEjectionPercent: 100}
`,
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    a.close();
    b.close();
    unavailable.close();
    dir.dispose();
  });

  it("holds a circuit-breaker slot while the tunnel is open: the next waits, the one after gets 503 UO", async () => {
    const first = upgrade(port, "/limited/1");
    assert.match(await first.head, /^HTTP\/1\.1 101 /);
    const second = upgrade(port, "/limited/2");
    assert.equal(await within(second.head, 300), "nothing");
    const third = upgrade(port, "/limited/3");
    const overflow = await third.head;
    assert.match(overflow, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(overflow, /\r\nx-envoy-overloaded: true\r\n/);
    assert.match(overflow, /\r\nx-igw-error-code: IGW_ERR_UPSTREAM_OVERFLOW\r\n/);
    await closeAndWait(first.socket);
    assert.match(await second.head, /^HTTP\/1\.1 101 /);
    assert.deepEqual(
      a.handshakes.filter((h) => h.path.startsWith("/limited/")).map((h) => h.path),
      ["/limited/1", "/limited/2"],
    );
    await closeAndWait(second.socket);
    third.socket.destroy();
  });

  it("sends every upgrade with the same hash key to the same endpoint", async () => {
    const users = Array.from({ length: 16 }, (_, i) => `user-${i}`);
    const seen = new Map<string, Set<string>>();
    for (const user of users) {
      for (let i = 0; i < 3; i++) {
        const before = { a: a.handshakes.length, b: b.handshakes.length };
        const u = upgrade(port, `/sticky/${user}/${i}`, `x-user: ${user}\r\n`);
        assert.match(await u.head, /^HTTP\/1\.1 101 /);
        const where = a.handshakes.length > before.a ? "a" : b.handshakes.length > before.b ? "b" : "?";
        seen.set(user, (seen.get(user) ?? new Set()).add(where));
        await closeAndWait(u.socket);
      }
    }
    for (const [user, backends] of seen) assert.equal(backends.size, 1, `${user} went to ${[...backends]}`);
    assert.deepEqual(new Set([...seen.values()].flatMap((s) => [...s])), new Set(["a", "b"]));
  });

  it("retries an upgrade the endpoint refused on another, as Istio's default policy retries any request", async () => {
    const before = b.handshakes.length;
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const u = upgrade(port, `/retried/${i}`);
      answers.push((await u.head).split("\r\n")[0]!);
      await closeAndWait(u.socket);
    }
    // Round robin gives every other upgrade to the refusing endpoint first: each is retried.
    assert.deepEqual(new Set(answers), new Set(["HTTP/1.1 101 Switching Protocols"]));
    assert.equal(b.handshakes.length - before, 10);
  });

  it("retries an upgrade an endpoint answered 503 on another when the route's policy retries 5xx, as any request", async () => {
    const before = [b.handshakes.length, unavailablePaths.length];
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const u = upgrade(port, `/answered-503/${i}`);
      answers.push((await u.head).split("\r\n")[0]!);
      await closeAndWait(u.socket);
    }
    assert.deepEqual(new Set(answers), new Set(["HTTP/1.1 101 Switching Protocols"]));
    assert.deepEqual(
      b.handshakes.slice(before[0]).map((h) => h.path),
      answers.map((_, i) => `/answered-503/${i}`),
    );
    // Round robin sends upgrades to the unavailable endpoint first; each retry goes to the other.
    const answered503 = unavailablePaths.slice(before[1]);
    assert.ok(answered503.length > 0, "no upgrade met the unavailable endpoint");
    assert.equal(new Set(answered503).size, answered503.length, `asked twice: ${answered503.join(" ")}`);
    const line = await loggedLine(access, answered503[0]!);
    assert.deepEqual(
      [line["response_code"], line["response_flags"], line["upstream_host"]],
      [101, "-", `127.0.0.1:${b.port}`],
    );
  });

  it("passes the last 503 on, flagged URX, once the retries are spent; Istio's default policy passes the first on", async () => {
    const answer = async (path: string): Promise<[string, number, unknown]> => {
      const before = unavailableRequests;
      const u = upgrade(port, path);
      const head = await u.head;
      await closeAndWait(u.socket);
      return [
        head.split("\r\n")[0]!,
        unavailableRequests - before,
        (await loggedLine(access, path))["response_flags"],
      ];
    };
    assert.deepEqual(await answer("/always-503"), ["HTTP/1.1 503 Service Unavailable", 3, "URX"]);
    // Since Istio 1.24 the default policy names no status code (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).
    assert.deepEqual(await answer("/default-503"), ["HTTP/1.1 503 Service Unavailable", 1, "-"]);
  });

  it("logs an upgrade whose client left while its retry waited out the backoff, flagged DC", async () => {
    const u = upgrade(port, "/patient/left");
    // The first connect is refused at once; the retry waits up to 10 s.
    await new Promise((r) => setTimeout(r, 200));
    await closeAndWait(u.socket);
    const line = await loggedLine(access, "/patient/left");
    assert.deepEqual([line["response_code"], line["response_flags"]], [0, "DC"]);
  });

  it("feeds outlier detection: the endpoint that refused is ejected after one failure", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const u = upgrade(port, `/eject/${i}`);
      answers.push((await u.head).split("\r\n")[0]!);
      await closeAndWait(u.socket);
    }
    assert.deepEqual(
      [
        answers.filter((l) => l.startsWith("HTTP/1.1 101 ")).length,
        answers.filter((l) => l === "HTTP/1.1 503 Service Unavailable").length,
      ],
      [9, 1],
    );
  });
});
