/**
 * The protocol of a Kubernetes Service port as Istio reads it when it converts a Service to its
 * service registry (`pkg/config/kube` `ConvertProtocol`): a UDP port is UDP; otherwise the
 * port's `appProtocol` when set, else its name, is read as `<protocol>[-<suffix>]`
 * (case-insensitive, `grpc-web` whole). Kubernetes' own application protocols count only in
 * `appProtocol`, spelled exactly: `kubernetes.io/h2c` is HTTP2, `kubernetes.io/ws` HTTP and
 * `kubernetes.io/wss` HTTPS. A port whose protocol is not known is TCP on a few well-known ports
 * (SMTP, DNS, MySQL, MongoDB), where protocol sniffing would break the application.
 */
import type { PortProtocol } from "../../istio/model";
import { parseProtocol, PortProtocol as Protocols } from "../../istio/model";
import type { ServicePortInfo } from "./kubernetes-objects";

/** Kubernetes' standard application protocols (`appProtocol` only). */
const KUBERNETES_APP_PROTOCOLS: ReadonlyMap<string, PortProtocol> = new Map([
  ["kubernetes.io/h2c", Protocols.HTTP2],
  ["kubernetes.io/ws", Protocols.HTTP],
  ["kubernetes.io/wss", Protocols.HTTPS],
]);

/** Ports taken as TCP when their protocol is not declared: SMTP, DNS, MySQL and MongoDB. */
const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

const GRPC_WEB = "grpc-web";

/** The protocol Istio gives `port`, or undefined when it knows none (the port is sniffed). */
export function servicePortProtocol(port: ServicePortInfo): PortProtocol | undefined {
  if (port.protocol === "UDP") return Protocols.UDP;
  let name = port.name;
  if (port.appProtocol !== undefined) {
    name = port.appProtocol;
    const standard = KUBERNETES_APP_PROTOCOLS.get(name);
    if (standard !== undefined) return standard;
  }
  if (parseProtocol(name.slice(0, GRPC_WEB.length)) === Protocols.GRPC_WEB) return Protocols.GRPC_WEB;
  const dash = name.indexOf("-");
  const parsed = parseProtocol(dash < 0 ? name : name.slice(0, dash));
  if (parsed === undefined && WELL_KNOWN_TCP_PORTS.has(port.port)) return Protocols.TCP;
  return parsed;
}
