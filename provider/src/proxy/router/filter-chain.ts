/** Choosing a listener's filter chain by SNI, with Envoy's `server_names` precedence. */
import type { FilterChain, Listener } from "../../istio/translate/proxy-config";
import { asciiLower } from "./string-matcher";

/**
 * The filter chain serving a connection with SNI `serverName` (undefined when the ClientHello
 * has none): on plain-text listeners the only chain; on TLS listeners a chain naming the SNI
 * exactly, else the one with the longest matching `*.suffix` (any number of labels), else one
 * with no `serverNames`. Undefined: close the connection.
 */
export function selectFilterChain(
  listener: Listener,
  serverName: string | undefined,
): FilterChain | undefined {
  if (!listener.tlsInspector) return listener.filterChains[0];
  const sni = serverName === undefined ? undefined : asciiLower(serverName);
  if (sni !== undefined && sni !== "") {
    for (const chain of listener.filterChains) {
      if (chain.serverNames.includes(sni)) return chain;
    }
    let best: FilterChain | undefined;
    let bestLength = -1;
    for (const chain of listener.filterChains) {
      for (const name of chain.serverNames) {
        if (!name.startsWith("*.")) continue;
        const suffix = name.slice(1);
        if (sni.length > suffix.length && sni.endsWith(suffix) && suffix.length > bestLength) {
          best = chain;
          bestLength = suffix.length;
        }
      }
    }
    if (best !== undefined) return best;
  }
  return listener.filterChains.find((c) => c.serverNames.length === 0);
}
