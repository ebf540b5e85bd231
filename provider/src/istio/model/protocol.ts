/**
 * Protocol names as Istio parses them (`pkg/config/protocol`): case-insensitive, with families
 * that decide which VirtualService rules apply to a server.
 */
import { PortProtocol } from "./gateway";

const byUpperName: ReadonlyMap<string, PortProtocol> = new Map(
  Object.values(PortProtocol).map((p) => [p.toUpperCase(), p]),
);

/** The protocol `name` denotes (case-insensitive), or undefined when Istio does not know it. */
export function parseProtocol(name: string | undefined): PortProtocol | undefined {
  return name === undefined ? undefined : byUpperName.get(name.toUpperCase());
}

/** HTTP family: routed with `http` rules (`HTTP`, `HTTP2`, `GRPC`, `GRPC-WEB`, `HTTP_PROXY`). */
export function isHTTPProtocol(p: PortProtocol | undefined): boolean {
  return (
    p === PortProtocol.HTTP ||
    p === PortProtocol.HTTP2 ||
    p === PortProtocol.GRPC ||
    p === PortProtocol.GRPC_WEB ||
    p === PortProtocol.HTTP_PROXY
  );
}

/** TLS family: `HTTPS` and `TLS`. */
export function isTLSProtocol(p: PortProtocol | undefined): boolean {
  return p === PortProtocol.HTTPS || p === PortProtocol.TLS;
}

/** Opaque TCP family: `TCP`, `MONGO`, `REDIS`, `MYSQL` (routed with `tcp` rules). */
export function isTCPProtocol(p: PortProtocol | undefined): boolean {
  return (
    p === PortProtocol.TCP || p === PortProtocol.MONGO || p === PortProtocol.REDIS || p === PortProtocol.MYSQL
  );
}
