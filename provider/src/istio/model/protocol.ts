/**
 * Protocol names as Istio parses them (`pkg/config/protocol`): case-insensitive, with families
 * that decide which VirtualService rules apply to a server.
 */
import { PortProtocol } from "./gateway";

const byLowerName: ReadonlyMap<string, PortProtocol> = new Map(
  Object.values(PortProtocol).map((p) => [p.toLowerCase(), p]),
);

/**
 * Lower-cases as Go's `strings.ToLower` does for what can reach an ASCII name: JavaScript's
 * `toUpperCase` would also accept `"redıs"` and `"httpſ"`, which Istio rejects, and its
 * `toLowerCase` turns `"İ"` into two characters where Go gives `"i"`.
 */
function goLowerASCII(s: string): string {
  return s.replace(/[A-Z\u0130\u212a]/g, (c) =>
    c === "\u0130" ? "i" : c === "\u212a" ? "k" : c.toLowerCase(),
  );
}

/** The protocol `name` denotes (case-insensitive), or undefined when Istio does not know it. */
export function parseProtocol(name: string | undefined): PortProtocol | undefined {
  return name === undefined ? undefined : byLowerName.get(goLowerASCII(name));
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
