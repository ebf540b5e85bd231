// WebSocket tunnels across a drain, as the proxy command runs it on SIGTERM: an open tunnel is work
// in flight, so the proxy stops accepting but lets it exchange frames until the client closes it,
// and cuts it at the drain deadline. The client is undici's WebSocket, a complete implementation.
import assert from "node:assert/strict";
import { proxyCommand } from "./support/proxy-command";
import { REQUEST_ID } from "./support/access-log-sinks";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "undici";
import { ConfigDir } from "./support/samples";
import type { WebSocketBackend } from "./support/websocket-backend";
import { frame, parseFrame, startWebSocketBackend } from "./support/websocket-backend";

const CONFIG = `apiVersion: networking.istio.io/v1
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
metadata: {name: chat, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: chat, port: {number: 80}}}]
`;

/** A proxy command running as a child process, with what it printed so far. */
interface ProxyProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** Resolves with the exit code and the time it exited. */
  readonly exited: Promise<{ code: number | null; at: number }>;
  readonly stderr: () => string;
  /** Access-log lines, parsed. */
  readonly accessLog: () => Record<string, unknown>[];
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startProxy(
  dir: string,
  backendPort: number,
  drainTimeoutSeconds: number,
): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    proxyCommand(
      "--config",
      dir,
      "--port",
      "8080=0",
      "--bind",
      "127.0.0.1",
      "--resolve",
      `chat=127.0.0.1:${backendPort}`,
      "--drain-timeout",
      String(drainTimeoutSeconds),
    ),
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const exited = new Promise<{ code: number | null; at: number }>((r) =>
    child.once("exit", (code) => r({ code, at: Date.now() })),
  );
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const bound = /listeners \S+@127\.0\.0\.1:(\d+)/;
  await waitFor("the proxy serving", () => bound.test(stderr) || child.exitCode !== null);
  assert.equal(child.exitCode, null, stderr);
  return {
    child,
    exited,
    port: Number(bound.exec(stderr)![1]),
    stderr: () => stderr,
    accessLog: () =>
      stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A WebSocket client that queues what it receives; after it closed, `next` gives "(closed)". */
async function connect(port: number, path: string): Promise<{ ws: WebSocket; next(): Promise<string> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const received: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const w = waiting.shift();
    if (w !== undefined) w(String(e.data));
    else received.push(String(e.data));
  });
  // A closed connection answers every wait with "(closed)", so a cut tunnel fails an assertion.
  ws.addEventListener("close", () => {
    received.push("(closed)");
    for (const w of waiting.splice(0)) w("(closed)");
  });
  await new Promise<void>((res, rej) => {
    ws.addEventListener("open", () => res());
    ws.addEventListener("error", () => rej(new Error("the WebSocket did not open")));
  });
  return {
    ws,
    next: () => {
      const m = received[0] === "(closed)" ? received[0] : received.shift();
      return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiting.push(r));
    },
  };
}

/** Resolves with the error code of a new connection to `port` (or "connected"). */
function tryConnect(port: number): Promise<string> {
  return new Promise((res) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      res("connected");
    });
    s.once("error", (err: NodeJS.ErrnoException) => res(err.code ?? err.message));
  });
}

/** The access-log line of `path` without the fields that differ between runs. */
function stableLine(lines: Record<string, unknown>[], path: string): Record<string, unknown> {
  const found = lines.filter((l) => l["path"] === path);
  assert.equal(found.length, 1, JSON.stringify(lines));
  const line = { ...found[0]! };
  assert.match(String(line["request_id"]), REQUEST_ID);
  for (const k of [
    "start_time",
    "duration",
    "upstream_service_time",
    "downstream_remote_address",
    "upstream_host",
    "upstream_local_address",
    "request_id",
  ])
    delete line[k];
  return line;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const COMMON = {
  method: "GET",
  protocol: "HTTP/1.1",
  response_code: 101,
  response_flags: "-",
  response_code_details: "via_upstream",
  x_forwarded_for: "127.0.0.1",
  listener: "0.0.0.0_8080",
  filter_chain: "http.8080",
  route_config: "http.8080",
  virtual_host: "*:8080",
  // The rule has no name, so neither has Envoy's route: route_name is null.
  route_name: null,
  user_agent: "undici",
  upstream_cluster: "outbound|80||chat.istio-system.svc.cluster.local",
  connection_termination_details: null,
  requested_server_name: null,
  error_code: null,
  upstream_transport_failure_reason: null,
};

describe("WebSocket tunnels across a drain (SIGTERM)", { timeout: 60_000 }, () => {
  const dir = new ConfigDir();
  let backend: WebSocketBackend;

  before(async () => {
    backend = await startWebSocketBackend();
    dir.write("gateway.yaml", CONFIG);
  });
  after(() => {
    backend.close();
    dir.dispose();
  });

  it("keeps an open tunnel exchanging frames after SIGTERM, refusing new connections, and exits 0 once the client closes it", async () => {
    const proxy = await startProxy(dir.dir, backend.port, 30);
    try {
      const client = await connect(proxy.port, "/chat");
      client.ws.send("before");
      assert.equal(await client.next(), "before");
      proxy.child.kill("SIGTERM");
      await waitFor("the drain", () => proxy.stderr().includes("SIGTERM: draining"));
      assert.equal(await tryConnect(proxy.port), "ECONNREFUSED");
      const echoed: string[] = [];
      for (let i = 0; i < 3; i++) {
        await sleep(200);
        client.ws.send(`during ${i}`);
        echoed.push(await client.next());
      }
      assert.deepEqual(echoed, ["during 0", "during 1", "during 2"]);
      assert.equal(proxy.child.exitCode, null, "the proxy waits for the tunnel");
      const closed = once(client.ws, "close");
      client.ws.close(1000);
      const [event] = (await closed) as [{ code: number; wasClean: boolean }];
      assert.deepEqual([event.code, event.wasClean], [1000, true]);
      const closedAt = Date.now();
      const exit = await proxy.exited;
      const exitAfter = exit.at - closedAt;
      assert.equal(exit.code, 0);
      assert.ok(exitAfter < 2000, `exited ${exitAfter} ms after the tunnel closed`);
      assert.match(proxy.stderr(), /drained\n$/);
      // Client frames are masked: 6 + len each; the backend's are not: 2 + len; close frames carry 2 bytes.
      assert.deepEqual(stableLine(proxy.accessLog(), "/chat"), {
        ...COMMON,
        path: "/chat",
        authority: `127.0.0.1:${proxy.port}`,
        downstream_local_address: `127.0.0.1:${proxy.port}`,
        bytes_received: 6 + 6 + 3 * (6 + 8) + (6 + 2),
        bytes_sent: 2 + 6 + 3 * (2 + 8) + (2 + 2),
      });
    } finally {
      proxy.child.kill("SIGKILL");
    }
  });

  it("cuts a tunnel still open at the drain deadline, logs it, and exits 0 promptly", async () => {
    const proxy = await startProxy(dir.dir, backend.port, 1);
    try {
      const client = await connect(proxy.port, "/held");
      const closed = once(client.ws, "close");
      const sentAt = Date.now();
      proxy.child.kill("SIGTERM");
      await waitFor("the drain", () => proxy.stderr().includes("SIGTERM: draining"));
      await sleep(300);
      client.ws.send("still here");
      assert.equal(await client.next(), "still here");
      const [event] = (await closed) as [{ code: number; wasClean: boolean }];
      const cutAfter = Date.now() - sentAt;
      assert.deepEqual([event.code, event.wasClean], [1006, false]);
      assert.ok(cutAfter >= 900 && cutAfter < 2500, `cut ${cutAfter} ms after SIGTERM`);
      const exit = await proxy.exited;
      const exitAfter = exit.at - sentAt;
      assert.equal(exit.code, 0);
      assert.ok(exitAfter < 3000, `exited ${exitAfter} ms after SIGTERM`);
      assert.deepEqual(stableLine(proxy.accessLog(), "/held"), {
        ...COMMON,
        path: "/held",
        authority: `127.0.0.1:${proxy.port}`,
        downstream_local_address: `127.0.0.1:${proxy.port}`,
        bytes_received: 6 + 10,
        bytes_sent: 2 + 10,
      });
    } finally {
      proxy.child.kill("SIGKILL");
    }
  });

  it("answers an upgrade sent during the drain's first seconds 101 with Connection: Upgrade, not close", async () => {
    // Envoy's connection manager marks a draining HTTP/1.1 connection's responses `Connection:
    // close`, but never a 101: the connection then belongs to the tunnel.
    const proxy = await startProxy(dir.dir, backend.port, 30);
    const socket = net.connect(proxy.port, "127.0.0.1");
    try {
      await once(socket, "connect");
      let received = Buffer.alloc(0);
      socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
      proxy.child.kill("SIGTERM");
      await waitFor("the drain", () => proxy.stderr().includes("SIGTERM: draining"));
      socket.write(
        "GET /late HTTP/1.1\r\nHost: chat\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      await waitFor("the 101", () => received.includes("\r\n\r\n"), 5000);
      const headEnd = received.indexOf("\r\n\r\n") + 4;
      const head = received.subarray(0, headEnd).toString("latin1");
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.deepEqual(head.match(/^connection: .*$/gim), ["connection: Upgrade"]);
      received = received.subarray(headEnd);
      socket.write(frame(1, Buffer.from("late"), Buffer.from([9, 8, 7, 6])));
      await waitFor("the echo", () => parseFrame(received) !== undefined, 5000);
      assert.equal(parseFrame(received)?.payload.toString(), "late");
    } finally {
      socket.destroy();
      proxy.child.kill("SIGKILL");
    }
  });
});
