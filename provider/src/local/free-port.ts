/** A free TCP port on loopback, for the local tools that must be told their port up front. */
import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (found by binding port 0 and closing). Another
 * process may take it before the caller binds it: use it for programs that cannot report the port
 * they chose, such as etcd and kube-apiserver.
 */
export async function freePort(): Promise<number> {
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
