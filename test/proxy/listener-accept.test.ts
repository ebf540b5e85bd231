// How the proxy's listeners accept: several connections per event-loop turn (copies of each
// listening socket), every copy closed with its listener, and nothing left bound by a
// configuration that could not be bound whole.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { refusingPort, startEchoBackend } from "./support/backends";
import { ConfigDir, startFileProxy } from "./support/samples";

function gatewayYaml(ports: number[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${ports.map((p) => `  - port: {number: ${p}, name: http-${p}, protocol: HTTP}\n    hosts: ["*"]`).join("\n")}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
`;
}

/**
 * The sockets process `pid` listens on (IPv4 and IPv6), as the number of descriptors it holds on
 * each, by port: each listening socket's inode is read from /proc/net/tcp and tcp6, and the
 * process's descriptors pointing at it are counted. Throws once the process is gone.
 */
function listenersOf(pid: number | "self"): Map<number, number> {
  const portByInode = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== "0A" || f[1] === undefined) continue;
      portByInode.set(`socket:[${f[9]}]`, parseInt(f[1].slice(f[1].lastIndexOf(":") + 1), 16));
    }
  }
  const counts = new Map<number, number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // Closed between the listing and the read.
    }
    const port = portByInode.get(target);
    if (port !== undefined) counts.set(port, (counts.get(port) ?? 0) + 1);
  }
  return counts;
}

/** Descriptors process `pid` holds on the socket listening on `port`. */
function listeningDescriptors(pid: number | "self", port: number): number {
  return listenersOf(pid).get(port) ?? 0;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** One GET on a new connection: the status, or the error code. */
function getOnce(port: number, path = "/"): Promise<string> {
  return new Promise((done) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => done(String(res.statusCode)));
    });
    req.on("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

describe("accepting connections", () => {
  const dir = new ConfigDir();
  let web: Backend;
  let proxy: GatewayProxy;
  const logs: string[] = [];

  before(async () => {
    web = await startEchoBackend("web");
    dir.write("gw.yaml", gatewayYaml([8080, 8081]));
    proxy = await startFileProxy(
      [dir.dir],
      [8080, 8081],
      [{ host: "web", ip: "127.0.0.1", port: web.port }],
      logs,
      undefined,
      { acceptsPerEvent: 8 },
    );
  });
  after(async () => {
    await proxy.close();
    await web.close();
    dir.dispose();
  });

  it("gives each listening socket as many descriptors as connections it accepts per turn", async () => {
    for (const port of proxy.boundPorts().values()) {
      await eventually(`8 descriptors on port ${port}`, () => listeningDescriptors("self", port) === 8);
    }
    assert.deepEqual(
      logs.filter((l) => l.includes("per event-loop turn")),
      [],
    );
  });

  it("serves a burst of 200 new connections, whichever descriptor accepts them", async () => {
    const port = proxy.boundPorts().get(8080)!;
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => getOnce(port, `/burst/${i}`)));
    assert.deepEqual(
      outcomes.filter((o) => o !== "200"),
      [],
    );
  });

  it("closes every descriptor of a listener the configuration drops, and refuses its port", async () => {
    const dropped = proxy.boundPorts().get(8081)!;
    const kept = proxy.boundPorts().get(8080)!;
    dir.write("gw.yaml", gatewayYaml([8080]));
    await eventually("the listener stopped", () => !proxy.boundPorts().has(8081));
    assert.equal(listeningDescriptors("self", dropped), 0);
    assert.equal(await getOnce(dropped), "ECONNREFUSED");
    assert.equal(listeningDescriptors("self", kept), 8);
    assert.equal(await getOnce(kept), "200");
  });

  it("gives a listener added by a reload its copies too", async () => {
    dir.write("gw.yaml", gatewayYaml([8080, 8081]));
    await eventually("the listener is back", () => proxy.boundPorts().has(8081));
    const port = proxy.boundPorts().get(8081)!;
    await eventually(`8 descriptors on port ${port}`, () => listeningDescriptors("self", port) === 8);
    assert.equal(await getOnce(port), "200");
  });
});

describe("closing while the copies are being made", () => {
  it("leaves the ports refusing connections once close() resolves", async () => {
    const dir = new ConfigDir();
    dir.write("gw.yaml", gatewayYaml([8080]));
    try {
      for (let i = 0; i < 3; i++) {
        const proxy = await startFileProxy([dir.dir], [8080], [], [], undefined, { acceptsPerEvent: 8 });
        const port = proxy.boundPorts().get(8080)!;
        await proxy.close();
        assert.equal(await getOnce(port), "ECONNREFUSED");
        assert.equal(listeningDescriptors("self", port), 0);
      }
    } finally {
      dir.dispose();
    }
  });
});

describe("binding a configuration", () => {
  it("releases the ports it had bound when another of its ports is taken", async () => {
    const dir = new ConfigDir();
    const taken = net.createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const takenPort = (taken.address() as net.AddressInfo).port;
    const freePort = await refusingPort();
    dir.write("gw.yaml", gatewayYaml([8080, 9090]));
    const logs: string[] = [];
    try {
      await assert.rejects(
        startFileProxy([dir.dir], [8080, 9090], [], logs, undefined, {
          bind: "127.0.0.1",
          listenPorts: new Map([
            [8080, freePort],
            [9090, takenPort],
          ]),
          acceptsPerEvent: 4,
        }),
        /the configuration was refused/,
      );
      assert.ok(
        logs.some(
          (l) => l.includes(`cannot listen on `) && l.includes(`:${takenPort}`) && l.includes("EADDRINUSE"),
        ),
        logs.join("\n"),
      );
      // The first listener was bound before the second failed: its port is free again.
      assert.equal(listeningDescriptors("self", freePort), 0);
      const again = net.createServer().listen(freePort, "127.0.0.1");
      await once(again, "listening");
      again.close();
    } finally {
      taken.close();
      dir.dispose();
    }
  });
});

describe("the proxy command's --accepts-per-event", () => {
  const bin = resolve(__dirname, "../../provider/bin/istio-gateway.js");

  it("sets the descriptors of each listening socket (8 by default), and refuses 0", async () => {
    const dir = new ConfigDir();
    dir.write("gw.yaml", gatewayYaml([8080]));
    try {
      for (const [flags, expected] of [
        [[], 8],
        [["--accepts-per-event", "3"], 3],
      ] as const) {
        // Port 0 for both listeners: a port picked free beforehand may be taken by another test
        // file's server before the child binds it. The status port is told by the child's log.
        const child = spawn(
          process.execPath,
          [
            bin,
            "proxy",
            "--config",
            dir.dir,
            "--bind",
            "127.0.0.1",
            "--port",
            "8080=0",
            "--status-port",
            "0",
            ...flags,
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
        // Listened for from the start: a child that fails at start-up has exited before the check
        // below gives up.
        const exited = once(child, "exit");
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const gatewayListeners = (): number[] => {
          if (child.exitCode !== null || child.signalCode !== null) {
            assert.fail(`the proxy exited (${child.exitCode ?? child.signalCode}); stderr: ${stderr}`);
          }
          const statusPort = /status on :(\d+)/.exec(stderr)?.[1];
          if (statusPort === undefined) return [];
          const listeners = listenersOf(child.pid!);
          listeners.delete(Number(statusPort));
          return [...listeners.values()];
        };
        try {
          await eventually(
            `one listener with ${expected} descriptors`,
            () => gatewayListeners().join() === String(expected),
            60_000,
          ).catch((err: Error) =>
            assert.fail(`${err.message} (${gatewayListeners().join()}); stderr: ${stderr}`),
          );
          assert.doesNotMatch(stderr, /per event-loop turn/);
        } finally {
          child.kill("SIGTERM");
          await exited;
        }
      }
      const refused = spawn(
        process.execPath,
        [bin, "proxy", "--config", dir.dir, "--accepts-per-event", "0"],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let stderr = "";
      refused.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(refused, "exit")) as [number];
      assert.equal(code, 2);
      assert.match(stderr, /--accepts-per-event.*must be an integer from 1 to 256 \(got "0"\)/);
    } finally {
      dir.dispose();
    }
  });
});
