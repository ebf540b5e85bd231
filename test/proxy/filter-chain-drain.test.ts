// Connections on a filter chain that a reload modifies or removes, as Envoy drains them (its
// listener manager's in-place filter chain update, Istio's `drainDuration`): HTTP connections are
// told to go away on their next response (`Connection: close`, GOAWAY); every connection still open
// on the chain is closed when the drain time ends, TCP ones staying on their upstream until then.
// Connections on chains the reload leaves as they were are not touched. The drain time is short
// here (`drainDurationMs`, the `--drain-duration` flag).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { proxyCommand } from "./support/proxy-command";
import type { Backend } from "./support/backends";
import { startEchoBackend, startTcpEcho, startTlsEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { documents, staticServiceEntry, tlsSecret } from "./support/istio-yaml";
import { RawClient, field } from "./support/raw-http1-client";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import { TCP_ECHO_20_V2, tcpEchoPods } from "./support/traffic-task-yaml";
import type { WebSocketBackend } from "./support/websocket-backend";
import { frame, parseFrame, startWebSocketBackend } from "./support/websocket-backend";

/** The drain time the proxies here run with, ms. */
const DRAIN_MS = 1000;
/** How much sooner than the drain time a timer may seem to fire, measured with Date.now(). */
const CLOCK_SLACK_MS = 20;

/** A proxy on one configuration file, which each step replaces. */
class DrainGateway {
  readonly dir = new ConfigDir();
  readonly logs: string[] = [];
  proxy!: GatewayProxy;

  async start(ports: readonly number[], docs: readonly string[]): Promise<void> {
    const file = this.dir.write("applied.yaml", documents(...docs));
    this.proxy = await startFileProxy([file], [...ports], [], this.logs, undefined, {
      drainDurationMs: DRAIN_MS,
    });
  }

  /** The port the proxy listens on for Gateway port `port`. */
  port(port: number): number {
    return this.proxy.boundPorts().get(port)!;
  }

  /** Replaces the configuration with `docs`; resolves with the time the change was made. */
  async apply(docs: readonly string[]): Promise<number> {
    const at = Date.now();
    this.dir.write("applied.yaml", documents(...docs));
    assert.equal(await this.proxy.reload(), true, this.logs.join("\n"));
    return at;
  }

  async close(): Promise<void> {
    await this.proxy.close();
    this.dir.dispose();
  }
}

/** Writes `line` and reads the echo's answer to it: `<prefix><line>`. */
async function echo(client: RawClient, line: string, prefix: string): Promise<string> {
  await client.write(line);
  return (await client.readBytes(prefix.length + line.length)).toString("latin1");
}

/** Waits for `client` to close; resolves with how long after `since` (ms) it did. */
async function closedAfter(client: RawClient, since: number): Promise<number> {
  await client.waitClosed(DRAIN_MS + 5000);
  return Date.now() - since;
}

describe("TCP: a connection on a chain a reload changes stays on its upstream until the drain time ends", () => {
  const gw = new DrainGateway();
  const backends: Backend[] = [];
  let base: string[];
  /** A second TCP server, on another port, whose chain the reloads here leave as it is. */
  const OTHER = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: other-gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31401, name: tcp-other, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other}
spec:
  hosts: ["*"]
  gateways: [other-gw]
  tcp:
  - route: [{destination: {host: tcp-echo, port: {number: 9000}, subset: v1}}]
`;
  /** `tcp-echo-20-v2.yaml` with every connection to v2. */
  const ALL_V2 = TCP_ECHO_20_V2.replace("weight: 80", "weight: 0").replace("weight: 20", "weight: 100");

  before(async () => {
    const one = await startTcpEcho("one ");
    const two = await startTcpEcho("two ");
    backends.push(one, two);
    base = [sample("tcp-echo-all-v1.yaml"), tcpEchoPods(one.port, two.port), OTHER];
    await gw.start([31400, 31401], base);
  });
  after(async () => {
    await gw.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it("tcp-echo-all-v1 then all to v2: the open connection keeps v1, a new one gets v2, the first closes at the drain time", async () => {
    const open = await RawClient.connect(gw.port(31400));
    const other = await RawClient.connect(gw.port(31401));
    assert.equal(await echo(open, "a\n", "one "), "one a\n");
    assert.equal(await echo(other, "b\n", "one "), "one b\n");

    const changed = await gw.apply([...base, ALL_V2]);
    assert.equal(await echo(open, "c\n", "one "), "one c\n");
    const fresh = await RawClient.connect(gw.port(31400));
    assert.equal(await echo(fresh, "d\n", "two "), "two d\n");

    const elapsed = await closedAfter(open, changed);
    assert.ok(elapsed >= DRAIN_MS - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
    // The other port's chain did not change, and the new connection is on the new chain: both are
    // open past the drain time, on their upstreams.
    assert.equal(await echo(other, "e\n", "one "), "one e\n");
    assert.equal(await echo(fresh, "f\n", "two "), "two f\n");
    other.destroy();
    fresh.destroy();
  });

  it("a reload that leaves the chain as it was (a DestinationRule's load balancer) drains nothing", async () => {
    await gw.apply(base);
    const open = await RawClient.connect(gw.port(31400));
    assert.equal(await echo(open, "a\n", "one "), "one a\n");
    const balanced = sample("tcp-echo-all-v1.yaml").replace(
      "host: tcp-echo\n  subsets:",
      "host: tcp-echo\n  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n  subsets:",
    );
    assert.notEqual(balanced, sample("tcp-echo-all-v1.yaml"));
    await gw.apply([balanced, ...base.slice(1)]);
    assert.equal(await open.quietFor(DRAIN_MS + 300), true);
    assert.equal(await echo(open, "b\n", "one "), "one b\n");
    open.destroy();
  });

  it("a server removed with its port: its connections close when the drain time ends", async () => {
    await gw.apply(base);
    const other = await RawClient.connect(gw.port(31401));
    assert.equal(await echo(other, "a\n", "one "), "one a\n");
    const removed = await gw.apply(base.slice(0, 2));
    assert.equal(await echo(other, "b\n", "one "), "one b\n");
    const elapsed = await closedAfter(other, removed);
    assert.ok(elapsed >= DRAIN_MS - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
  });
});

describe("TLS on one port: a passthrough server removed, a terminated one whose Secret rotates", () => {
  const gw = new DrainGateway();
  const pki = new TestPki();
  const backends: Backend[] = [];
  const pass = pki.issue("pass.example.com", ["DNS:pass.example.com"]);
  const term = pki.issue("term.example.com", ["DNS:term.example.com"]);
  const rotated = pki.issue("term.example.com", ["DNS:term.example.com"]);
  const gateway = (servers: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}`;
  const PASSTHROUGH = `  - port: {number: 8443, name: tls-pass, protocol: TLS}
    hosts: [pass.example.com]
    tls: {mode: PASSTHROUGH}
`;
  const TERMINATED = `  - port: {number: 8443, name: tls-term, protocol: TLS}
    hosts: [term.example.com]
    tls: {mode: SIMPLE, credentialName: term-cred}
`;
  let routes: string;

  before(async () => {
    const passEcho = await startTlsEcho("pass ", pass.cert, pass.key);
    const termEcho = await startTcpEcho("term ");
    backends.push(passEcho, termEcho);
    routes = `${staticServiceEntry("pass", [{ port: passEcho.port }], "TLS")}---
${staticServiceEntry("term", [{ port: termEcho.port }], "TCP")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: routes, namespace: istio-system}
spec:
  hosts: [pass.example.com, term.example.com]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [pass.example.com]}]
    route: [{destination: {host: pass.internal, port: {number: 80}}}]
  tcp:
  - route: [{destination: {host: term.internal, port: {number: 80}}}]
`;
    await gw.start(
      [8443],
      [gateway(PASSTHROUGH + TERMINATED), tlsSecret("term-cred", term.cert, term.key), routes],
    );
  });
  after(async () => {
    await gw.close();
    await Promise.all(backends.map((b) => b.close()));
    pki.dispose();
  });

  it("the passthrough connection closes at the drain time; the terminated one stays open past it", async () => {
    const tlsTo = (servername: string) =>
      RawClient.connectTls({ host: "127.0.0.1", port: gw.port(8443), servername, ca: pki.ca.cert });
    const passed = await tlsTo("pass.example.com");
    const terminated = await tlsTo("term.example.com");
    assert.equal(await echo(passed, "a\n", "pass "), "pass a\n");
    assert.equal(await echo(terminated, "b\n", "term "), "term b\n");

    const changed = await gw.apply([
      gateway(TERMINATED),
      tlsSecret("term-cred", rotated.cert, rotated.key),
      routes,
    ]);
    assert.equal(await echo(passed, "c\n", "pass "), "pass c\n");
    const elapsed = await closedAfter(passed, changed);
    assert.ok(elapsed >= DRAIN_MS - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
    // A rotated certificate comes by SDS in Istio: the chain is the same, its connection stays.
    assert.equal(await echo(terminated, "d\n", "term "), "term d\n");
    terminated.destroy();
  });
});

describe("TLS: a ClientHello still being read when a reload changes the chain it will match", () => {
  const gw = new DrainGateway();
  const pki = new TestPki();
  const backends: Backend[] = [];
  const pass = pki.issue("pass.example.com", ["DNS:pass.example.com"]);
  let routesTo: (port: number) => string;
  let ports: [number, number];
  /** Port 8443 as a plain TCP server: its listener no longer reads ClientHellos. */
  let plainTcp: string;

  before(async () => {
    const before = await startTlsEcho("before ", pass.cert, pass.key);
    const after = await startTlsEcho("after ", pass.cert, pass.key);
    backends.push(before, after);
    ports = [before.port, after.port];
    routesTo = (port) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8443, name: tls-pass, protocol: TLS}
    hosts: [pass.example.com]
    tls: {mode: PASSTHROUGH}
---
${staticServiceEntry("pass", [{ port }], "TLS")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: routes, namespace: istio-system}
spec:
  hosts: [pass.example.com]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [pass.example.com]}]
    route: [{destination: {host: pass.internal, port: {number: 80}}}]
`;
    const plain = await startTcpEcho("plain ");
    backends.push(plain);
    plainTcp = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8443, name: tcp, protocol: TCP}
    hosts: ["*"]
---
${staticServiceEntry("plain", [{ port: plain.port }], "TCP")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: routes, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp:
  - route: [{destination: {host: plain.internal, port: {number: 80}}}]
`;
    await gw.start([8443], [routesTo(ports[0])]);
  });
  after(async () => {
    await gw.close();
    await Promise.all(backends.map((b) => b.close()));
    pki.dispose();
  });

  /**
   * A TLS client of pass.example.com whose bytes (its ClientHello) a relay holds, once the proxy has
   * accepted the relay's connection, until `release`.
   */
  async function heldClientHello() {
    const held: Buffer[] = [];
    let holding = true;
    let upstream: net.Socket | undefined;
    const relay = net.createServer((client) => {
      const up = net.connect(gw.port(8443), "127.0.0.1");
      upstream = up;
      client.on("data", (d: Buffer) => (holding ? held.push(d) : up.write(d)));
      up.on("data", (d: Buffer) => client.write(d));
      client.on("close", () => up.destroy());
      up.on("close", () => client.destroy());
      up.on("error", () => {});
      client.on("error", () => {});
    });
    relay.listen(0, "127.0.0.1");
    await once(relay, "listening");
    const client = tls.connect({
      host: "127.0.0.1",
      port: (relay.address() as net.AddressInfo).port,
      servername: "pass.example.com",
      ca: pki.ca.cert,
    });
    client.on("error", () => {});
    for (let waited = 0; held.length === 0 || gw.proxy.connectionCount() === 0; waited += 20) {
      assert.ok(waited < 5000, "the ClientHello never reached the relay, or the proxy never accepted");
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      client,
      release(): void {
        holding = false;
        for (const d of held.splice(0)) upstream!.write(d);
      },
      close(): void {
        client.destroy();
        relay.close();
      },
    };
  }

  /** Writes `line` on `client` once its handshake is done; resolves with the first answer. */
  async function answer(client: tls.TLSSocket, line: string): Promise<string> {
    await once(client, "secureConnect");
    client.write(line);
    const [data] = (await once(client, "data")) as [Buffer];
    return data.toString();
  }

  it("takes the new configuration's chain, as Envoy's listener hands it the updated chains", async () => {
    await gw.apply([routesTo(ports[0])]);
    const held = await heldClientHello();
    try {
      await gw.apply([routesTo(ports[1])]);
      held.release();
      assert.equal(await answer(held.client, "a\n"), "after a\n");
    } finally {
      held.close();
    }
  });

  it("keeps its listener's chain when the change replaces the listener (no more ClientHellos read), and drains it", async () => {
    await gw.apply([routesTo(ports[0])]);
    const held = await heldClientHello();
    try {
      const changed = await gw.apply([plainTcp]);
      held.release();
      assert.equal(await answer(held.client, "a\n"), "before a\n");
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("still open")), DRAIN_MS + 5000);
        held.client.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const elapsed = Date.now() - changed;
      assert.ok(elapsed >= DRAIN_MS - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
    } finally {
      held.close();
    }
  });
});

describe("HTTP: connections on a server a reload changes are told to go away", () => {
  const gw = new DrainGateway();
  const pki = new TestPki();
  const web = pki.issue("web.example.com", ["DNS:web.example.com"]);
  let backend: Backend;
  let chat: WebSocketBackend;
  let base: string[];
  const gateway = (httpsTls: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: web-cred${httpsTls}}
`;
  const routes = (prefix: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /ws}}]
    route: [{destination: {host: chat.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: ${prefix}}}]
    route: [{destination: {host: web.internal, port: {number: 80}}}]
`;
  /** The HTTPS server with a TLS setting changed: its filter chain changes. */
  const CHANGED = gateway(", minProtocolVersion: TLSV1_3");

  before(async () => {
    backend = await startEchoBackend("web");
    chat = await startWebSocketBackend();
    base = [
      tlsSecret("web-cred", web.cert, web.key),
      staticServiceEntry("web", [{ port: backend.port }]),
      staticServiceEntry("chat", [{ port: chat.port }]),
    ];
    await gw.start([8080, 8443], [gateway(""), routes("/"), ...base]);
  });
  after(async () => {
    await gw.close();
    await backend.close();
    chat.close();
    pki.dispose();
  });

  const GET = "GET /x HTTP/1.1\r\nhost: web.example.com\r\n\r\n";
  const overTls = () =>
    RawClient.connectTls({
      host: "127.0.0.1",
      port: gw.port(8443),
      servername: "web.example.com",
      ca: pki.ca.cert,
      ALPNProtocols: ["http/1.1"],
    });

  /** Sends GET on `client`; the response's status and `connection` header. */
  async function get(client: RawClient): Promise<[number, string | undefined]> {
    await client.write(GET);
    const response = await client.readResponse();
    return [response.status, field(response.headers, "connection")];
  }

  it("HTTP/1.1 keep-alive: Connection: close on the changed server, nothing on the unchanged one", async () => {
    await gw.apply([gateway(""), routes("/"), ...base]);
    const secure = await overTls();
    const plain = await RawClient.connect(gw.port(8080));
    assert.deepEqual(await get(secure), [200, undefined]);
    assert.deepEqual(await get(plain), [200, undefined]);

    await gw.apply([CHANGED, routes("/"), ...base]);
    assert.deepEqual(await get(secure), [200, "close"]);
    await secure.waitClosed(DRAIN_MS / 2);
    assert.deepEqual(await get(plain), [200, undefined]);
    // Past the drain time, the plain-text server's connection is still served.
    assert.equal(await plain.quietFor(DRAIN_MS + 300), true);
    assert.deepEqual(await get(plain), [200, undefined]);
    plain.destroy();
  });

  it("HTTP/1.1 keep-alive: a WebSocket upgrade on the changed server is answered 101 with Connection: Upgrade", async () => {
    await gw.apply([gateway(""), routes("/"), ...base]);
    const secure = await overTls();
    assert.deepEqual(await get(secure), [200, undefined]);
    await gw.apply([CHANGED, routes("/"), ...base]);
    await secure.write(
      "GET /ws HTTP/1.1\r\nhost: web.example.com\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
    );
    const head = await secure.readResponse({ head: true });
    assert.deepEqual([head.status, field(head.headers, "connection")], [101, "Upgrade"]);
    // The tunnel carries frames until the drain time ends.
    await secure.write(frame(1, Buffer.from("hello"), Buffer.from([1, 2, 3, 4])));
    assert.equal(parseFrame(await secure.readBytes(7))?.payload.toString(), "hello");
    await secure.waitClosed(DRAIN_MS + 5000);
  });

  it("HTTP/1.1 keep-alive: an idle connection on the changed server is closed when the drain time ends", async () => {
    await gw.apply([gateway(""), routes("/"), ...base]);
    const idle = await overTls();
    assert.deepEqual(await get(idle), [200, undefined]);
    const changed = await gw.apply([CHANGED, routes("/"), ...base]);
    const elapsed = await closedAfter(idle, changed);
    assert.ok(elapsed >= DRAIN_MS - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
  });

  it("HTTP/1.1 keep-alive: a change of routes only (RDS) drains nothing", async () => {
    await gw.apply([gateway(""), routes("/"), ...base]);
    const secure = await overTls();
    assert.deepEqual(await get(secure), [200, undefined]);
    await gw.apply([gateway(""), routes("/x"), ...base]);
    assert.deepEqual(await get(secure), [200, undefined]);
    assert.equal(await secure.quietFor(DRAIN_MS + 300), true);
    assert.deepEqual(await get(secure), [200, undefined]);
    secure.destroy();
  });

  it("HTTP/2: GOAWAY after the next response on the changed server, none on the unchanged one", async () => {
    await gw.apply([gateway(""), routes("/"), ...base]);
    const secure = http2.connect(`https://127.0.0.1:${gw.port(8443)}`, {
      servername: "web.example.com",
      ca: pki.ca.cert,
    });
    const plain = http2.connect(`http://127.0.0.1:${gw.port(8080)}`);
    const goaways: string[] = [];
    secure.on("goaway", () => goaways.push("secure"));
    plain.on("goaway", () => goaways.push("plain"));
    const status = (session: http2.ClientHttp2Session) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":path": "/x", ":authority": "web.example.com" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", reject);
        stream.resume();
        stream.end();
      });
    assert.deepEqual([await status(secure), await status(plain)], [200, 200]);

    await gw.apply([CHANGED, routes("/"), ...base]);
    assert.equal(goaways.length, 0, "no GOAWAY before a response");
    assert.deepEqual([await status(secure), await status(plain)], [200, 200]);
    await new Promise<void>((resolve, reject) => {
      if (secure.closed) return resolve();
      const timer = setTimeout(() => reject(new Error("the session is still open")), DRAIN_MS / 2);
      secure.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.deepEqual(goaways, ["secure"]);
    assert.equal(await status(plain), 200);
    plain.close();
  });
});

describe("the --drain-duration flag of the proxy command", () => {
  const dir = new ConfigDir();
  const backends: Backend[] = [];
  after(async () => {
    dir.dispose();
    await Promise.all(backends.map((b) => b.close()));
  });

  it("closes a TCP connection on a changed chain when its drain duration ends", async () => {
    const one = await startTcpEcho("one ");
    const two = await startTcpEcho("two ");
    backends.push(one, two);
    const pods = tcpEchoPods(one.port, two.port);
    dir.write("applied.yaml", documents(sample("tcp-echo-all-v1.yaml"), pods));
    const child = spawn(
      process.execPath,
      proxyCommand(
        "--config",
        dir.dir,
        "--port",
        "31400=0",
        "--status-port",
        "0",
        "--bind",
        "127.0.0.1",
        "--no-access-log",
        "--drain-duration",
        "1",
      ),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    /** Waits (at most `ms`) for stderr to match `pattern`. */
    const said = async (pattern: RegExp, ms: number) => {
      for (let waited = 0; !pattern.test(stderr); waited += 50) {
        assert.ok(waited < ms, `no ${String(pattern)} in:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return pattern.exec(stderr)!;
    };
    try {
      const port = Number((await said(/listeners \S+@127\.0\.0\.1:(\d+)/, 60_000))[1]);
      const open = await RawClient.connect(port);
      assert.equal(await echo(open, "a\n", "one "), "one a\n");
      const changed = Date.now();
      dir.write("applied.yaml", documents(sample("tcp-echo-all-v1.yaml"), pods, TCP_ECHO_20_V2));
      await said(/reloaded configuration/, 10_000);
      assert.equal(await echo(open, "b\n", "one "), "one b\n");
      // Istio's default, 45 s, would keep it open long past this wait.
      await open.waitClosed(10_000);
      const elapsed = Date.now() - changed;
      assert.ok(elapsed >= 1000 - CLOCK_SLACK_MS, `closed ${elapsed} ms after the change`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    }
  });
});
