/**
 * A request's header lines as the proxy reads them: one object keyed by lower-case name, the form
 * node:http's `IncomingMessage.headers` has, which the router, the header operations and the
 * access log were written against. Repeated headers combine as node:http combines them, so routing
 * does not change with the server underneath: `set-cookie` lists every value, `cookie` joins them
 * with `; `, the headers that may appear once keep the first, and the rest join with `, ` (as
 * Envoy matches a repeated header against its values joined by commas). A second `host` line is
 * no header at all: RFC 9112 §3.2 answers such a request with 400, since two hosts would let the
 * router and the upstream each believe a different one.
 */
import type { IncomingHttpHeaders } from "node:http";
import { headerOf, setHeader } from "../router/header-map";

/** Headers a request carries at most once: node:http keeps the first and drops the others. */
const SINGLE = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/**
 * The headers object of `raw` (names and values alternating, as sent), or undefined when the
 * request names its host more than once.
 */
export function requestHeaders(raw: readonly string[]): IncomingHttpHeaders | undefined {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = lowerCase(raw[i]!);
    const value = raw[i + 1]!;
    const seen = headerOf(out, name);
    if (seen === undefined) {
      setHeader(out, name, name === "set-cookie" ? [value] : value);
    } else if (typeof seen !== "string") {
      seen.push(value);
    } else if (name === "host") {
      return undefined;
    } else if (!SINGLE.has(name)) {
      out[name] = `${seen}${name === "cookie" ? "; " : ", "}${value}`;
    }
  }
  return out;
}

/** `name` in lower case, without a copy when it already is (most clients send lower case or few capitals). */
function lowerCase(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.toLowerCase();
  }
  return name;
}
