/**
 * The network RBAC filter of Istio's gateways on TCP and TLS chains: a connection an
 * AuthorizationPolicy denies is closed at once, before any upstream is connected (Envoy's default
 * `ONE_TIME_ON_FIRST_BYTE` enforcement decides on what the connection is, not on its bytes).
 */
import type { Socket } from "node:net";
import type { DownstreamAddresses } from "../listener/downstream-addresses";
import type { RbacEngine, RbacRequest } from "./rbac-engine";
import { peerPrincipal } from "./peer-principal";

/** What a connection shows the network RBAC filter; it has no HTTP attributes. */
class TcpRbacRequest implements RbacRequest {
  constructor(
    private readonly addresses: DownstreamAddresses,
    private readonly sni: string | undefined,
    private readonly tls: Socket | undefined,
  ) {}

  destinationPort(): number {
    return this.addresses.localPort;
  }

  destinationIp(): string {
    return this.addresses.localAddress;
  }

  serverName(): string | undefined {
    return this.sni;
  }

  sourceIp(): string {
    return this.addresses.remoteAddress;
  }

  remoteIp(): string {
    // Without HTTP there is no x-forwarded-for: the client is the peer (or a PROXY header's).
    return this.addresses.remoteAddress;
  }

  principal(): string | undefined {
    return peerPrincipal(this.tls);
  }
}

/**
 * Envoy's details of the denial of a connection (`addresses`, its SNI, and its TLS socket when
 * the chain terminated TLS), or undefined when it is allowed.
 */
export function authorizeTcp(
  engine: RbacEngine,
  addresses: DownstreamAddresses,
  serverName: string | undefined,
  tls?: Socket,
): string | undefined {
  return engine.evaluate(new TcpRbacRequest(addresses, serverName, tls));
}
