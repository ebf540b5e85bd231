/**
 * What a Gateway server does with a connection, derived from its protocol and TLS mode as Istio's
 * `pkg/config/gateway` and the gateway listener builder decide it. One function, so the rules, the
 * binding analysis and the proxy agree on which VirtualService block (`http`, `tls`, `tcp`) a
 * server uses.
 */
import { PortProtocol, TLSmode } from "./gateway";
import type { Server } from "./gateway";
import { isHTTPProtocol, isTCPProtocol, parseProtocol } from "./protocol";

/** The ways a server handles traffic. */
export const ServerKind = {
  /** Plain-text HTTP family: `http` rules. */
  HTTP: "HTTP",
  /** HTTPS with TLS terminated (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL): `http` rules. */
  HTTPS_TERMINATED: "HTTPS_TERMINATED",
  /** HTTPS or TLS passed through by SNI (PASSTHROUGH, also an omitted mode): `tls` rules. */
  TLS_PASSTHROUGH: "TLS_PASSTHROUGH",
  /** AUTO_PASSTHROUGH: SNI names mesh services directly; no VirtualService applies. */
  TLS_AUTO_PASSTHROUGH: "TLS_AUTO_PASSTHROUGH",
  /** TLS protocol with TLS terminated: `tcp` rules on the decrypted stream. */
  TLS_TERMINATED: "TLS_TERMINATED",
  /** Opaque TCP (TCP, MONGO, REDIS, MYSQL): `tcp` rules. */
  TCP: "TCP",
  /** Protocols the gateway does not route (UDP, unknown names). */
  UNSUPPORTED: "UNSUPPORTED",
} as const;
export type ServerKind = (typeof ServerKind)[keyof typeof ServerKind];

/** The effective TLS mode of a server: an omitted mode inside a `tls` block means PASSTHROUGH. */
export function effectiveTLSMode(server: Pick<Server, "tls">): TLSmode | undefined {
  if (server.tls === undefined) return undefined;
  return server.tls.mode ?? TLSmode.PASSTHROUGH;
}

/** Classifies a server. */
export function serverKind(server: Pick<Server, "port" | "tls">): ServerKind {
  const protocol = parseProtocol(server.port?.protocol);
  if (isHTTPProtocol(protocol)) return ServerKind.HTTP;
  if (isTCPProtocol(protocol)) return ServerKind.TCP;
  if (protocol !== PortProtocol.HTTPS && protocol !== PortProtocol.TLS) return ServerKind.UNSUPPORTED;
  const mode = effectiveTLSMode(server) ?? TLSmode.PASSTHROUGH;
  if (mode === TLSmode.PASSTHROUGH) return ServerKind.TLS_PASSTHROUGH;
  if (mode === TLSmode.AUTO_PASSTHROUGH) return ServerKind.TLS_AUTO_PASSTHROUGH;
  return protocol === PortProtocol.HTTPS ? ServerKind.HTTPS_TERMINATED : ServerKind.TLS_TERMINATED;
}

/** The VirtualService block a server of this kind is routed by, if any. */
export function routeBlockFor(kind: ServerKind): "http" | "tls" | "tcp" | undefined {
  switch (kind) {
    case ServerKind.HTTP:
    case ServerKind.HTTPS_TERMINATED:
      return "http";
    case ServerKind.TLS_PASSTHROUGH:
      return "tls";
    case ServerKind.TLS_TERMINATED:
    case ServerKind.TCP:
      return "tcp";
    default:
      return undefined;
  }
}
