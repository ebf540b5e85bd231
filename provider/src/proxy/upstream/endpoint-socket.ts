/**
 * The one way an upstream socket is opened, for the HTTP/1.1 pool, WebSocket tunnels and TCP
 * proxying alike: TLS when the cluster originates it, no Nagle delay, the cluster's TCP
 * keep-alive. (HTTP/2 sessions are opened by node:http2, which applies the keep-alive itself.)
 */
import net from "node:net";
import tls from "node:tls";
import type { TcpKeepalive } from "../../istio/translate/proxy-config";
import { applyTcpKeepalive } from "./tcp-keepalive";

/** Where an upstream socket goes. */
export interface SocketTarget {
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
  /** TLS to originate, when the cluster asks for it. */
  readonly tls?: tls.ConnectionOptions | undefined;
  /** SO_KEEPALIVE settings, when the cluster has them. */
  readonly tcpKeepalive: TcpKeepalive | undefined;
}

/** Opens a socket to `target`; `tlsExtra` adds to its TLS options (ALPN, a session to resume). */
export function connectEndpoint(target: SocketTarget, tlsExtra: tls.ConnectionOptions = {}): net.Socket {
  const socket =
    target.tls === undefined
      ? net.connect({ host: target.ip, port: target.port })
      : tls.connect({ ...target.tls, ...tlsExtra, host: target.ip, port: target.port });
  socket.setNoDelay(true);
  applyTcpKeepalive(socket, target.tcpKeepalive);
  return socket;
}

/** The event a socket from {@link connectEndpoint} emits once it can carry data: after the TLS handshake, if any. */
export function readyEvent(target: SocketTarget): "connect" | "secureConnect" {
  return target.tls === undefined ? "connect" : "secureConnect";
}
