/**
 * Stand-ins for Bookinfo's services on loopback: each answers every request with its service
 * name, version, method and path, so a response shows where the gateway sent it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A running stand-in backend. */
export interface StandInBackend {
  /** Service name, as destinations name it (`productpage`). */
  readonly service: string;
  /** Version label of this endpoint (`v1`), as DestinationRule subsets select it. */
  readonly version: string;
  /** The loopback port it listens on. */
  readonly port: number;
  /** Stops listening and closes its connections. */
  close(): Promise<void>;
}

/** The body a stand-in answers with: `productpage v1: GET /productpage` and a newline. */
export function standInAnswer(service: string, version: string, method: string, url: string): string {
  return `${service} ${version}: ${method} ${url}\n`;
}

/** Starts a stand-in for `service` `version` on 127.0.0.1 and a free port. */
export async function startStandInBackend(service: string, version: string): Promise<StandInBackend> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(standInAnswer(service, version, req.method ?? "", req.url ?? ""));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    service,
    version,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
