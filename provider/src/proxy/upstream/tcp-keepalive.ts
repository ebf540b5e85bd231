/**
 * TCP keep-alive on upstream sockets, as Envoy applies a cluster's
 * `upstream_connection_options.tcp_keepalive` to every connection it opens for the cluster.
 */
import type net from "node:net";
import type { TcpKeepalive } from "../../istio/translate/proxy-config";

/**
 * Turns SO_KEEPALIVE on for `socket` (once, when it is created) when the cluster asks for it,
 * taking effect as soon as the connection is made.
 *
 * Node.js can set only the idle time before the first probe (`timeSeconds`): it has no way to set
 * TCP_KEEPINTVL or TCP_KEEPCNT, so `intervalSeconds` and `probes` are not applied. With an idle
 * time, libuv (Node.js 20) also sets the interval to 1 s and the probes to 10 on Linux; without
 * one (`timeSeconds` 0), the system's settings stay (Linux: 7200 s, 75 s, 9). That is why it waits
 * for the connection: on a socket not yet connected, libuv would write its own 60 s idle time,
 * which Node.js does not undo when asked for none.
 */
export function applyTcpKeepalive(socket: net.Socket, keepalive: TcpKeepalive | undefined): void {
  if (keepalive === undefined) return;
  const delayMs = keepalive.timeSeconds * 1000;
  if (socket.connecting) socket.once("connect", () => socket.setKeepAlive(true, delayMs));
  else socket.setKeepAlive(true, delayMs);
}

/** A key for pools: equal settings, equal keys; none is "". */
export function tcpKeepaliveKey(keepalive: TcpKeepalive | undefined): string {
  return keepalive === undefined
    ? ""
    : `${keepalive.timeSeconds}/${keepalive.intervalSeconds}/${keepalive.probes}`;
}
