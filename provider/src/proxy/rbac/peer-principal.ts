/**
 * The authenticated identity of a connection's peer, as Envoy's RBAC `authenticated` principal
 * reads it: the client certificate's URI SAN (a SPIFFE ID on a mesh client), else its DNS SAN,
 * else its subject. A connection without a client certificate (plain text, SIMPLE TLS, a client
 * that sent none) has none.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { subjectAltNamesOf } from "../tls/client-certificate";

const principals = new WeakMap<Socket, string | null>();

/** The identity of `socket`'s peer (read once per connection), undefined without one. */
export function peerPrincipal(socket: Socket | undefined): string | undefined {
  if (socket === undefined) return undefined;
  let principal = principals.get(socket);
  if (principal === undefined) {
    principal = read(socket);
    principals.set(socket, principal);
  }
  return principal ?? undefined;
}

function read(socket: Socket): string | null {
  const tls = socket as Partial<TLSSocket>;
  // The handshake already refused a certificate the server's CA does not verify (MUTUAL), as
  // Envoy's; like Envoy's `authenticated` matcher, the principal is that of the one presented.
  if (typeof tls.getPeerX509Certificate !== "function") return null;
  const peer = tls.getPeerX509Certificate();
  if (peer === undefined) return null;
  return (
    subjectAltNamesOf(peer, "URI")[0] ?? subjectAltNamesOf(peer, "DNS")[0] ?? peer.subject.replace(/\n/g, ",")
  );
}
