/**
 * What the proxy remembers about one downstream connection: the listener and filter chain it
 * arrived on (chosen once, by SNI on TLS listeners), the configuration it was accepted under, and
 * the client's address.
 */
import type { Socket } from "node:net";
import type { ChainRuntime, ProxySnapshot } from "../proxy-snapshot";

/** Per-connection state, attached to the socket the HTTP server sees. */
export interface ConnectionState {
  /** The listener's key (`address:listenPort`). */
  readonly listenerKey: string;
  /** The chain chosen when the connection was accepted. */
  readonly chain: ChainRuntime;
  /** The configuration the connection was accepted under. */
  readonly snapshot: ProxySnapshot;
  /** The SNI the client sent, lower case. */
  readonly serverName?: string;
  /** The client's address. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /**
   * The client's address and port as the access log writes them (`ip:port`, `[ip]:port` for IPv6),
   * made once for the connection's requests.
   */
  readonly remoteSocketAddress: string;
  /** The address the client connected to: the gateway's own, as Envoy's local info gives it. */
  readonly localAddress: string;
  /** The address and port the client connected to, written as {@link remoteSocketAddress}. */
  readonly localSocketAddress: string;
  /** The local port. */
  readonly localPort: number;
  /** The socket HTTP is spoken on (raw or TLS). */
  readonly socket: Socket;
}

/** The symbol under which a socket carries its {@link ConnectionState}. */
export const CONNECTION_STATE: unique symbol = Symbol("istio-gateway.connection");

/** A socket with state attached. */
export type StatefulSocket = Socket & { [CONNECTION_STATE]?: ConnectionState };

/** The state of the connection a request arrived on. */
export function connectionStateOf(socket: unknown): ConnectionState | undefined {
  return (socket as StatefulSocket | null)?.[CONNECTION_STATE];
}
