/**
 * The `x-forwarded-client-cert` (XFCC) header an Istio gateway sends upstream. Istio configures its
 * gateways' connection managers with Envoy's `SANITIZE_SET` and the details Subject, Cert, URI and
 * DNS (`gatewayTopology.forwardClientCertDetails` unset): a client's own header never goes further,
 * and a client that presented a certificate on a connection the gateway terminated (`MUTUAL`,
 * `OPTIONAL_MUTUAL`) is described in a new one, in Envoy's order and spelling:
 *
 *     By=<the gateway's URI SANs>;Hash=<SHA-256 of the client's certificate, hex>;
 *     Cert="<its PEM, URL-encoded>";Subject="<its subject, RFC 2253>";URI=<its URI SANs>;DNS=<its DNS SANs>
 *
 * `By` appears once per URI SAN of the gateway's own certificate (none for most), `URI` always
 * (empty without one), `DNS` once per DNS SAN. The header is made once per connection.
 *
 * `gatewayTopology.forwardClientCertDetails` chooses another of Envoy's behaviours
 * ({@link forwardedClientCert}).
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { certificateHash, subjectAltNamesOf } from "../tls/client-certificate";
import type { ForwardClientCertDetails } from "../../istio/model/gateway-topology";

/** Each connection's header, `null` when its client presented no certificate. */
const headers = new WeakMap<Socket, string | null>();

/** The header for requests on `socket`, undefined when its client presented no certificate. */
export function clientCertHeader(socket: Socket): string | undefined {
  let header = headers.get(socket);
  if (header === undefined) {
    header = describe(socket as TLSSocket);
    headers.set(socket, header);
  }
  return header ?? undefined;
}

function describe(socket: TLSSocket): string | null {
  const peer = socket.getPeerX509Certificate();
  if (peer === undefined) return null;
  const parts: string[] = [];
  for (const uri of subjectAltNamesOf(socket.getX509Certificate(), "URI")) parts.push(`By=${uri}`);
  parts.push(`Hash=${certificateHash(peer)}`);
  parts.push(`Cert="${encodeURIComponent(peer.toString())}"`);
  parts.push(`Subject="${rfc2253(peer.subject)}"`);
  const uris = subjectAltNamesOf(peer, "URI");
  if (uris.length === 0) parts.push("URI=");
  for (const uri of uris) parts.push(`URI=${uri}`);
  for (const dns of subjectAltNamesOf(peer, "DNS")) parts.push(`DNS=${dns}`);
  return parts.join(";");
}

/**
 * A certificate's subject as OpenSSL prints it for RFC 2253 (what Envoy writes): Node gives it one
 * attribute a line, escaped the same way, most general first; RFC 2253 puts the most specific first.
 */
export function rfc2253(subject: string): string {
  return subject
    .split("\n")
    .filter((line) => line !== "")
    .reverse()
    .join(",");
}

/**
 * The `x-forwarded-client-cert` sent upstream under `mode`, from the client's own header (`theirs`)
 * and the description of the certificate it presented (`ours`, {@link clientCertHeader}; undefined
 * when it presented none, which Envoy calls a connection without mutual TLS): `SANITIZE` sends
 * none; `FORWARD_ONLY` theirs, with mutual TLS; `APPEND_FORWARD` theirs and ours after a comma,
 * with mutual TLS; `SANITIZE_SET` ours, with mutual TLS; `ALWAYS_FORWARD_ONLY` theirs, always.
 */
export function forwardedClientCert(
  mode: ForwardClientCertDetails,
  theirs: string | readonly string[] | undefined,
  ours: string | undefined,
): string | undefined {
  const forwarded = typeof theirs === "string" ? theirs : theirs?.join(",");
  switch (mode) {
    case "SANITIZE":
      return undefined;
    case "FORWARD_ONLY":
      return ours === undefined ? undefined : forwarded;
    case "APPEND_FORWARD":
      if (ours === undefined) return undefined;
      return forwarded === undefined || forwarded === "" ? ours : `${forwarded},${ours}`;
    case "SANITIZE_SET":
      return ours;
    case "ALWAYS_FORWARD_ONLY":
      return forwarded;
  }
}
