/**
 * `Location` of redirects, as Envoy builds it from Istio's `HTTPRedirect`:
 * - scheme: `redirect.scheme`, else the request's;
 * - host: `redirect.authority`, else the request's authority, whose port is dropped when a new
 *   port is set or when it is the default port of the resulting scheme (`:80` for http, `:443`
 *   for https);
 * - port: `redirect.port` (or `derivePort: FROM_REQUEST_PORT`, resolved at translation) appended;
 * - path: `uri` replaces the whole path, `prefixRewrite` the part the route matched (see
 *   `rewrite.ts`); the query is kept unless `uri` carries its own.
 */
import type { RedirectAction } from "../../istio/translate/proxy-config";
import type { CompiledRoute } from "./route-config";
import type { RouteRequest } from "./request";
import { matchedPathLength } from "./rewrite";

function splitHostPort(authority: string): { host: string; port: string } {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close !== -1 && authority[close + 1] === ":") {
      return { host: authority.slice(0, close + 1), port: authority.slice(close + 2) };
    }
    return { host: authority, port: "" };
  }
  const colon = authority.lastIndexOf(":");
  if (colon === -1 || authority.indexOf(":") !== colon) return { host: authority, port: "" };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

function requestHost(authority: string, scheme: string, newPort: number | undefined): string {
  const { host, port } = splitHostPort(authority);
  if (port === "") return authority;
  if (newPort !== undefined) return host;
  if ((scheme === "http" && port === "80") || (scheme === "https" && port === "443")) return host;
  return authority;
}

function withQuery(path: string, query: string): string {
  return query === "" ? path : `${path}?${query}`;
}

/** The `Location` of a redirect route for `request`. */
export function redirectLocation(route: CompiledRoute, request: RouteRequest): string {
  const action = route.route.action as RedirectAction;
  const scheme = action.scheme ?? request.scheme;
  const host = action.authority ?? requestHost(request.authority, scheme, action.port);
  const port = action.port === undefined ? "" : `:${action.port}`;
  let pathAndQuery: string;
  if (action.uri !== undefined && action.uri !== "") {
    pathAndQuery = action.uri.includes("?") ? action.uri : withQuery(action.uri, request.query);
  } else if (action.prefixRewrite !== undefined) {
    const rest = request.path.slice(matchedPathLength(route, request.path));
    pathAndQuery = withQuery(action.prefixRewrite + rest, request.query);
  } else {
    pathAndQuery = withQuery(request.path, request.query);
  }
  return `${scheme}://${host}${port}${pathAndQuery}`;
}

/** The `Location` of a virtual host's TLS requirement (`httpsRedirect`): same host and path, `https`. */
export function sslRedirectLocation(request: RouteRequest): string {
  return `https://${requestHost(request.authority, "https", undefined)}${withQuery(request.path, request.query)}`;
}
