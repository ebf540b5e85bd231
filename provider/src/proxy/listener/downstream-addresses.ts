/**
 * The addresses a downstream connection is known by. They are the socket's, unless a PROXY
 * protocol header restored others (`gatewayTopology.proxyProtocol`): then, as Envoy's listener
 * filter restores them into the connection, they are what the access log, `x-forwarded-for`,
 * `x-envoy-external-address`, source-IP hashing and an upstream PROXY header say of the client.
 */
import type net from "node:net";

/** The addresses a connection is known by: its client's and the one it reached. */
export interface DownstreamAddresses {
  /** The client's IP address (IPv6 as `inet_ntop` writes it, without brackets). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The address the client connected to. */
  readonly localAddress: string;
  /** The port the client connected to. */
  readonly localPort: number;
}

const RESTORED: unique symbol = Symbol("istio-gateway.restored-addresses");

type RestorableSocket = net.Socket & { [RESTORED]?: DownstreamAddresses };

/** Gives `socket` the addresses a PROXY protocol header carried. */
export function restoreAddresses(socket: net.Socket, addresses: DownstreamAddresses): void {
  (socket as RestorableSocket)[RESTORED] = addresses;
}

/** The addresses `socket` (an accepted connection) is known by. */
export function downstreamAddressesOf(socket: net.Socket): DownstreamAddresses {
  return (
    (socket as RestorableSocket)[RESTORED] ?? {
      remoteAddress: socket.remoteAddress ?? "",
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? "",
      localPort: socket.localPort ?? 0,
    }
  );
}
