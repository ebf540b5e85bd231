// The local control plane for the Kubernetes source's suites. These suites need only etcd,
// kube-apiserver and kubectl from the toolchain test/e2e/tools.sh builds; as in test/e2e, a missing
// toolchain fails the suite under CI=true and skips it elsewhere with the reason printed.
import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { toolchainPaths, type Toolchain } from "../e2e/support/toolchain";

/** Declares a suite that needs the local control plane's binaries. */
export function controlPlaneSuite(name: string, body: (tools: Toolchain) => void): void {
  const tools = toolchainPaths();
  const missing = [tools.etcd, tools.kubeApiserver, tools.kubectl].filter((f) => {
    try {
      accessSync(f, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) {
    describe(name, () => body(tools));
    return;
  }
  const reason = `etcd, kube-apiserver and kubectl are not built (run test/e2e/tools.sh kubernetes etcd); missing: ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has etcd, kube-apiserver and kubectl", () => assert.fail(reason));
    });
    return;
  }
  console.log(`skipping ${name}: ${reason}`);
  describe(name, { skip: reason }, () => body(tools));
}

/**
 * A TCP relay on loopback to a fixed target that can be cut and restored on the same port: the API
 * server as the proxy sees it, lost and found again.
 */
export class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** The port, once opened. */
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Starts relaying on `port` (0 = any free port the first time). */
  async open(port = this.port): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Stops listening and drops every relayed connection. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Polls `probe` every 25 ms until it returns true; fails after `timeoutMs` with `what`. */
export async function eventually(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
