/**
 * A request's header lines as the proxy reads them: one object keyed by lower-case name, the form
 * node:http's `IncomingMessage.headers` has, which the router, the header operations and the
 * access log were written against. Repeated headers combine as Envoy's header map combines them,
 * and no value is lost: `set-cookie` lists every value, `cookie` joins them with `; `, and the
 * rest join with `,`, the form Envoy gives a repeated header its matchers read and the one it
 * sends for the headers it keeps as one (`user-agent`, `authorization`, `content-type`, ...).
 * Three names are exceptions. A second `host` line is no header at all: RFC 9112 §3.2 answers such
 * a request with 400, since two hosts would let the router and the upstream each believe a
 * different one. A repeated `content-length` keeps its first value (the parser refuses differing
 * ones before this). A repeated `referer` is dropped whole, as Envoy sanitizes it (referer.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
import { headerOf, setHeader } from "../router/header-map";

/**
 * The headers object of `raw` (names and values alternating, as sent), or undefined when the
 * request names its host more than once.
 */
export function requestHeaders(raw: readonly string[]): IncomingHttpHeaders | undefined {
  const out: Record<string, string | string[]> = {};
  let refererRepeated = false;
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
    } else if (name === "referer") {
      refererRepeated = true;
    } else if (name !== "content-length") {
      out[name] = `${seen}${name === "cookie" ? "; " : ","}${value}`;
    }
  }
  if (refererRepeated) delete out["referer"];
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
