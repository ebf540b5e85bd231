/** Choosing the virtual host for a request's authority, with Envoy's precedence. */
import type { CompiledRouteConfig, CompiledVirtualHost } from "./route-config";
import { asciiLower } from "./string-matcher";

/**
 * The host part of an authority, lower case, port removed: `Example.com:8080` -> `example.com`,
 * `[::1]:80` -> `[::1]`. An authority with several colons and no brackets is kept whole.
 */
export function hostOfAuthority(authority: string): string {
  const a = asciiLower(authority);
  if (a.startsWith("[")) {
    const close = a.indexOf("]");
    return close === -1 ? a : a.slice(0, close + 1);
  }
  const colon = a.indexOf(":");
  if (colon === -1 || a.indexOf(":", colon + 1) !== -1) return a;
  return a.slice(0, colon);
}

/**
 * The virtual host serving `authority` (port ignored, case-insensitive): an exact domain, else
 * the longest `*.suffix` wildcard (the `*` stands for at least one character), else the longest
 * `prefix.*` wildcard, else `*`; undefined when none (the runtime answers 404).
 */
export function selectVirtualHost(
  compiled: CompiledRouteConfig,
  authority: string,
): CompiledVirtualHost | undefined {
  const host = hostOfAuthority(authority);
  const exact = compiled.exact.get(host);
  if (exact !== undefined) return exact;
  for (const [suffix, vh] of compiled.suffixWildcards) {
    if (host.length > suffix.length && host.endsWith(suffix)) return vh;
  }
  for (const [prefix, vh] of compiled.prefixWildcards) {
    if (host.length > prefix.length && host.startsWith(prefix)) return vh;
  }
  return compiled.any;
}
