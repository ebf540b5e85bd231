/**
 * Request targets other than a path, as Envoy's HTTP/1.1 codec takes them. In absolute form
 * (`GET http://shop.example.com/cart HTTP/1.1`), which a client sends when told to use the gateway
 * as its proxy (`curl -x`, the `http_proxy` variable), Envoy takes them by default
 * (`allow_absolute_url`), as a proxy must (RFC 9112 §3.2.2): the URL's authority replaces the
 * `Host` header, and its path and query are the request's path. Its scheme must be `http` or
 * `https`, and `https` only on a TLS connection: Envoy refuses to take a plain-text request for a
 * secure one (403). A CONNECT's target is in authority form (`host:port`), which replaces the
 * `Host` header too, and the request has no path. Any other target is left as it is, and the
 * connection manager refuses what is not a path (400).
 */

/** A target in absolute form, taken apart. */
export interface AbsoluteTarget {
  /** `host[:port]`, without the user information a URL may carry before an `@`. */
  readonly authority: string;
  /** The path and query, `/` when the URL has neither. */
  readonly path: string;
  /** The scheme is `https`. */
  readonly https: boolean;
}

/** Whether `target` is in origin form (`/path?query`) or is the `*` of `OPTIONS *`: nothing to take apart. */
export function isOriginForm(method: string, target: string): boolean {
  return target.charCodeAt(0) === 0x2f || (method === "OPTIONS" && target === "*");
}

/**
 * scheme `://` [userinfo `@`] host[:port], then nothing or what begins with `/`, `?` or `#`. No
 * repetition nests in another, so it takes time linear in the target.
 */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^/?#@]*@)?([^/?#@]+)((?:[/?#].*)?)$/s;

/**
 * `target` taken apart when it is an absolute URL with the scheme `http` or `https` (in any case)
 * and a host; undefined when it is not.
 */
export function absoluteTarget(target: string): AbsoluteTarget | undefined {
  const m = ABSOLUTE.exec(target);
  if (m === null) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "http" && scheme !== "https") return undefined;
  const rest = m[3]!;
  return { authority: m[2]!, path: rest === "" ? "/" : rest, https: scheme === "https" };
}

/**
 * host (a name, or an IPv6 address in brackets), `:`, port: nothing before or after, as the URL
 * parser Envoy's codec runs on a CONNECT target (http-parser's, told the method is CONNECT) asks.
 */
const AUTHORITY_FORM = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(\d+)$/;

/**
 * The authority of a CONNECT request's `target` when it is in authority form (`host:port`, RFC 9112
 * §3.2.3) with a port of at most 65535; undefined when it is not, which Envoy refuses
 * (`http1.invalid_url`).
 */
export function connectAuthority(target: string): string | undefined {
  const m = AUTHORITY_FORM.exec(target);
  return m !== null && Number(m[1]) <= 65535 ? target : undefined;
}

/** Envoy's response code details for a request target its codec refuses. */
export type TargetRefusal = "http1.invalid_url";
