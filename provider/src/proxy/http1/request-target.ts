/**
 * Request targets other than a path, as Envoy's HTTP/1.1 codec takes them. In absolute form
 * (`GET http://shop.example.com/cart HTTP/1.1`), which a client sends when told to use the gateway
 * as its proxy (`curl -x`, the `http_proxy` variable), Envoy takes them by default
 * (`allow_absolute_url`), as a proxy must (RFC 9112 §3.2.2): the URL's authority replaces the
 * `Host` header, and its path and query are the request's path. Its scheme must be `http` or
 * `https`, and `https` only on a TLS connection: Envoy refuses to take a plain-text request for a
 * secure one (403). A CONNECT's target is in authority form (`host:port`), which replaces the
 * `Host` header too, and the request has no path. Any other target is refused by the codec (400).
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

/**
 * Whether `target` is a path (`/path?query`), or begins with the `*` of `OPTIONS *`: nothing to take
 * apart. Envoy's codec looks at the first character only, and leaves the rest to the connection
 * manager, which routes paths alone.
 */
export function isOriginForm(method: string, target: string): boolean {
  const first = target.charCodeAt(0);
  return first === 0x2f || (method === "OPTIONS" && first === 0x2a);
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
export type TargetRefusal = "http1.invalid_url" | "http1.invalid_scheme";

/**
 * Why Envoy's codec refuses `target`, which is neither a path nor an absolute `http` or `https`
 * URL: an absolute URL of another scheme is `http1.invalid_scheme`, anything else (`*` for a
 * method other than OPTIONS, a URL without a host) `http1.invalid_url`.
 */
export function targetRefusal(target: string): TargetRefusal {
  return ABSOLUTE.test(target) ? "http1.invalid_scheme" : "http1.invalid_url";
}
