import http from "node:http";
import { listenOnLoopback } from "./backends";
import { startConfigProxy } from "./config-proxy";
import { cluster, forward, httpListener, proxyConfig, route, vhost } from "./proxy-config-builders";
import { RawClient } from "./raw-http1-client";

/**
 * A proxy whose one plain-text listener routes every host and path to one loopback upstream: for
 * suites about what reaches routing at all (CONNECT, request targets, methods), where whatever
 * finds no route finds no route for a reason of its own.
 */
export interface CatchAllProxy {
  /** The listener's port. */
  readonly port: number;
  /** A raw HTTP/1.1 client connected to the listener, destroyed by {@link close}. */
  connect(): Promise<RawClient>;
  /** Stops the raw clients, the proxy and the upstream. */
  close(): Promise<void>;
}

/**
 * Starts a {@link CatchAllProxy} whose upstream answers with `upstream`, and whose access-log lines
 * go to `access`. Its route is `up`, its cluster `outbound|80||up`, its configuration `name`.
 */
export async function startCatchAllProxy(
  name: string,
  upstream: http.RequestListener,
  access: Record<string, unknown>[],
): Promise<CatchAllProxy> {
  const backend = await listenOnLoopback(http.createServer(upstream));
  const routes = [vhost("any", ["*"], [route("up", forward("outbound|80||up"))])];
  const proxy = await startConfigProxy(
    proxyConfig(
      name,
      [httpListener(8080, routes, "auto")],
      [cluster("outbound|80||up", [{ address: "127.0.0.1", port: backend.port }])],
    ),
    access,
  );
  const port = proxy.boundPorts().get(8080)!;
  const open: RawClient[] = [];
  return {
    port,
    async connect() {
      const c = await RawClient.connect(port);
      open.push(c);
      return c;
    },
    async close() {
      for (const c of open) c.destroy();
      await proxy.close();
      await backend.close();
    },
  };
}
