/** A free TCP port on loopback, for the local tools that must be told their port up front. */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Where the ports chosen below the ephemeral range start: clear of the well-known and common ones. */
const LOWEST = 10_000;

/**
 * The kernel's ephemeral range (Linux: `ip_local_port_range`), from which it gives every outgoing
 * connection and every `listen(0)` its port; undefined where it cannot be read.
 */
export function ephemeralRange(
  read: () => string = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8"),
): [number, number] | undefined {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > LOWEST && low! <= high!)
      return [low!, high!];
  } catch {
    // Not Linux, or no /proc: the caller falls back to listen(0).
  }
  return undefined;
}

/**
 * A TCP port that was free on every address a moment ago, for programs that cannot report the port
 * they chose (etcd, kube-apiserver, the demo's gateway). It is taken below the kernel's ephemeral
 * range where that can be read: a port found by `listen(0)` comes from that range, and between
 * closing it and the program binding it, any outgoing connection on the machine (the API server's
 * to etcd, say) can be given it. Another process may still bind the port on purpose first.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange();
  if (range !== undefined) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (range[0] - LOWEST));
      if (await isPortAvailable(port, "0.0.0.0")) return port;
    }
  }
  return await anyPort();
}

/** A port the kernel chose from its ephemeral range (bound on 127.0.0.1, then closed). */
async function anyPort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePort(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** Whether `port` can be bound on `host` right now (checked by binding it and closing at once). */
export async function isPortAvailable(port: number, host: string): Promise<boolean> {
  return await new Promise((resolveAvailable) => {
    const server = createServer();
    server.once("error", () => resolveAvailable(false));
    server.listen(port, host, () => server.close(() => resolveAvailable(true)));
  });
}
