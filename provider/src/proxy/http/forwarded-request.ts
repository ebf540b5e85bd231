/**
 * How a request crosses to its upstream: the client it came from, as the connection manager
 * tells the upstream of it (`x-forwarded-for`, `x-envoy-external-address`,
 * `x-forwarded-client-cert`, `x-request-id`), built once per attempt.
 */
import type { Socket } from "node:net";
import type { ForwardClientCertDetails } from "../../istio/model/gateway-topology";
import { clientCertHeader, forwardedClientCert } from "./client-cert-header";
import type { ConnectionState } from "./connection-state";
import type { DownstreamRequest, Exchange } from "./exchange";
import type { ForwardedRequest } from "./headers";
import { requestId } from "./request-id";

/**
 * The client's IP: the connection's, noted when it was accepted (node's `socket.remoteAddress` asks
 * the socket again on each read).
 */
export function clientIp(state: ConnectionState | undefined, req: DownstreamRequest): string {
  return state?.remoteAddress ?? req.socket.remoteAddress ?? "";
}

/**
 * How the request crosses to the upstream: its scheme, and its client as the upstream is told of
 * it: the connection's peer (appended to `x-forwarded-for`), the client trusted proxies in front
 * told of, else that peer (`x-envoy-external-address`), and, as `mode` says, the certificate it
 * presented to a server that terminated its TLS (`x-forwarded-client-cert`, client-cert-header.ts).
 *
 * Built as one literal on purpose. V8 (Node 20) gives an object made by spread syntax a map
 * outside its transition tree, so a property added to it (`{ ...a, b }`) makes a new map each
 * time: about 2 µs and a few hundred bytes of old-generation garbage a request, which showed as
 * longer young collections under load.
 */
export function forwardedRequestOf(
  x: Exchange,
  mode: ForwardClientCertDetails,
  scheme: string,
  keepTeTrailers: boolean,
): ForwardedRequest {
  const peer = clientIp(x.state, x.req);
  const socket = x.state?.socket as (Socket & { encrypted?: boolean }) | undefined;
  const ours = socket?.encrypted === true ? clientCertHeader(socket) : undefined;
  return {
    clientIp: peer,
    requestId: (x.requestId ??= requestId()),
    externalAddress: x.forwardedClient ?? peer,
    scheme,
    clientCert: forwardedClientCert(mode, x.routeReq.headers["x-forwarded-client-cert"], ours),
    keepTeTrailers,
    decoratorOperation: x.route?.route.decoratorOperation,
  };
}
