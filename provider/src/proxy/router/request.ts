/**
 * What the router needs to know about a request. The runtime builds one per request from the
 * parsed HTTP message; the router never touches sockets.
 */
import { headerOf } from "./header-map";

/** Request headers by lower-case name, as Node.js presents them (repeated headers as arrays). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One request, as the route matcher sees it. */
export interface RouteRequest {
  /** The method, as sent (`GET`). */
  readonly method: string;
  /** The path without the query string and fragment (`/productpage`), after normalization. */
  readonly path: string;
  /** The raw query string without the `?` (`a=1&b`); empty when there is none. */
  readonly query: string;
  /** Request headers by lower-case name. */
  readonly headers: RequestHeaders;
  /** `http` or `https`: the filter chain's scheme. */
  readonly scheme: string;
  /** The authority (`Host` header or `:authority`), as sent, port included. */
  readonly authority: string;
  /** The Gateway server port the request arrived on (`Listener.port`, not `listenPort`). */
  readonly port: number;
  /** The Gateway (`<namespace>/<name>`) the request arrived through, when known. */
  readonly gateway?: string;
}

/**
 * The value of header `name` (lower case) as Envoy matches it: repeated headers joined with `,`;
 * the pseudo-headers `:authority`, `:method`, `:scheme` and `:path` (path with query) are
 * answered from the request itself, and `host` falls back to the authority.
 */
export function headerValue(request: RouteRequest, name: string): string | undefined {
  switch (name) {
    case ":authority":
      return request.authority;
    case ":method":
      return request.method;
    case ":scheme":
      return request.scheme;
    case ":path":
      return request.query === "" ? request.path : `${request.path}?${request.query}`;
  }
  const v = headerOf(request.headers, name);
  if (v === undefined) return name === "host" ? request.authority : undefined;
  return typeof v === "string" ? v : v.join(",");
}

/**
 * The first value of each query parameter, undecoded (as Envoy's route matcher reads them):
 * `a=1&a=2&b` gives `a -> "1"`, `b -> ""`.
 */
export function parseQuery(query: string): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  if (query === "") return params;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : part.slice(eq + 1);
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

/** Splits a request target (`/a/b?x=1#frag`) into path and query; the fragment is dropped. */
export function splitPathAndQuery(target: string): { path: string; query: string } {
  const hash = target.indexOf("#");
  const withoutFragment = hash === -1 ? target : target.slice(0, hash);
  const q = withoutFragment.indexOf("?");
  if (q === -1) return { path: withoutFragment, query: "" };
  return { path: withoutFragment.slice(0, q), query: withoutFragment.slice(q + 1) };
}
