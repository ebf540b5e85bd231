/**
 * The status port (15021 in Istio): `GET /healthz/ready` (200 once listeners are up, 503 before
 * and while draining), `/metrics` (Prometheus text) and `/config_dump` (the active configuration
 * with key material redacted). Separate from traffic listeners, as in Istio's gateway pod.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** What the status server reports on. */
export interface StatusSource {
  /** True once every listener is listening and until draining starts. */
  ready(): boolean;
  /** The metrics registry. */
  readonly registry: Registry;
  /** The active configuration, redacted, as JSON-compatible data. */
  configDump(): unknown;
}

/** Starts the status server on `port` (0 = any) at `host`; resolves with the bound port. */
export async function startStatusServer(
  source: StatusSource,
  port: number,
  host: string,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz/ready") {
      const ok = source.ready();
      res
        .writeHead(ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" })
        .end(ok ? "" : "not ready\n");
    } else if (path === "/metrics" || path === "/stats/prometheus") {
      source.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": source.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
      );
    } else if (path === "/config_dump") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(source.configDump(), null, 2) + "\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    }
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
