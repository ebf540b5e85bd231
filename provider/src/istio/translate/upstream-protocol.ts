/**
 * The HTTP version a cluster speaks to its endpoints, decided as Istio's cluster builder does: a
 * destination port whose protocol is `HTTP2`, `GRPC` or `GRPC-WEB` is always HTTP/2 (Istio's
 * `IsHTTP2`: a gRPC-Web service is a gRPC service behind a translating filter); any other port is
 * upgraded to HTTP/2 when the DestinationRule's `connectionPool.http.h2UpgradePolicy` says
 * `UPGRADE` (unless the port is known not to carry HTTP), and stays HTTP/1.1 otherwise (the mesh
 * default policy is `DO_NOT_UPGRADE`).
 */
import type { H2UpgradePolicy, ServicePort } from "../model";
import { isHTTPProtocol, parseProtocol, PortProtocol } from "../model";
import type { UpstreamProtocol } from "./proxy-config";

/**
 * The protocol of a destination port: a ServiceEntry port's `protocol`, else Istio's reading of
 * a Kubernetes Service port name (`<protocol>[-<suffix>]`, `grpc-web` whole), which is what a
 * Service converted to an entry carries.
 */
export function destinationPortProtocol(port: ServicePort | undefined): PortProtocol | undefined {
  if (port === undefined) return undefined;
  if (port.protocol !== undefined && port.protocol !== "") return parseProtocol(port.protocol);
  const name = typeof port.name === "string" ? port.name : "";
  if (name.toLowerCase().startsWith("grpc-web")) return PortProtocol.GRPC_WEB;
  const dash = name.indexOf("-");
  return parseProtocol(dash < 0 ? name : name.slice(0, dash));
}

/**
 * The upstream HTTP version of a cluster whose destination port has `protocol` (undefined: not
 * known, e.g. a Kubernetes Service without a ServiceEntry) under `h2UpgradePolicy`.
 */
export function upstreamProtocolOf(
  protocol: PortProtocol | undefined,
  h2UpgradePolicy: H2UpgradePolicy | undefined,
): UpstreamProtocol {
  if (
    protocol === PortProtocol.HTTP2 ||
    protocol === PortProtocol.GRPC ||
    protocol === PortProtocol.GRPC_WEB
  ) {
    return "HTTP/2";
  }
  // An explicit UPGRADE means the user knows the port speaks HTTP, even when its protocol is not
  // declared; a port declared as something else (TCP, TLS, ...) never carries HTTP/2 frames.
  if (h2UpgradePolicy === "UPGRADE" && (protocol === undefined || isHTTPProtocol(protocol))) return "HTTP/2";
  return "HTTP/1.1";
}
