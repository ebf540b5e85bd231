/**
 * A loopback backend that counts what it served and how: connections opened and closed, requests,
 * the most in flight at once, and the protocol each came in (HTTP/1.1 or HTTP/2 with prior
 * knowledge, on one port).
 */
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** A backend that counts what it served and how: connections, requests in flight, protocol. */
export interface CountingBackend {
  readonly name: string;
  readonly port: number;
  /** Requests served. */
  requests: number;
  /** Connections accepted. */
  connections: number;
  /** Connections closed (by either side). */
  closed: number;
  /** The most requests it had in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

/**
 * A plain-text backend answering HTTP/1.1 and HTTP/2 with prior knowledge on one port: `status`
 * for every request (after `/delay/<ms>` if asked), `x-backend: <name>`, and the request's HTTP
 * version in `x-upstream-protocol`.
 */
export async function startCountingBackend(name: string, status = 200): Promise<CountingBackend> {
  let inFlight = 0;
  const handler = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    state.requests++;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const delay = /\/delay\/(\d+)/.exec(req.url ?? "");
    req.resume();
    setTimeout(
      () => {
        inFlight--;
        const body = `${name} ${status}\n`;
        res.writeHead(status, {
          "x-backend": name,
          "x-upstream-protocol": req.httpVersion,
          "content-type": "text/plain",
          "content-length": String(body.length),
        });
        res.end(body);
      },
      delay === null ? 0 : Number(delay[1]),
    );
  };
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.once("close", () => {
      state.closed++;
      sockets.delete(socket);
    });
    socket.once("readable", () => {
      const head = socket.read(Math.min(3, socket.readableLength)) as Buffer | null;
      if (head === null) return;
      socket.unshift(head);
      (head.toString("latin1") === "PRI" ? h2 : h1).emit("connection", socket);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const state: CountingBackend = {
    name,
    port: (server.address() as net.AddressInfo).port,
    requests: 0,
    connections: 0,
    closed: 0,
    maxInFlight: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}
