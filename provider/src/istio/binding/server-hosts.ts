/**
 * The hosts of a Gateway server as a VirtualService in a given namespace sees them (Istio's
 * `sanitizeServerHostNamespace` followed by `NamesForNamespace`).
 */
import { namesForNamespace, sanitizeServerHosts } from "../host";
import type { Server } from "../model";
import { stringsOf } from "./list";

/**
 * The server's hosts a VirtualService in `vsNamespace` may bind to, namespace prefixes removed:
 * `./h` counts as `<gatewayNamespace>/h`, `*\/h` as `h`, `*\/*` as `*`, and `ns/h` is visible to
 * namespace `ns` only.
 */
export function serverHostsVisibleTo(
  server: Server,
  gatewayNamespace: string,
  vsNamespace: string,
): string[] {
  return namesForNamespace(sanitizeServerHosts(stringsOf(server.hosts), gatewayNamespace), vsNamespace);
}
