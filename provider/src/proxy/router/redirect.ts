/**
 * `Location` of redirects, as Envoy builds it from Istio's `HTTPRedirect`:
 * - scheme: `redirect.scheme`, else the request's;
 * - host: `redirect.authority`, else the request's authority, whose port is dropped when a new
 *   port is set, or when the scheme changes and the port is the default one of the request's
 *   scheme (`http://a:80` becomes `https://a`, but `http://a:443` stays `https://a:443`), as
 *   Envoy's `processRequestHost` does;
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

function requestHost(
  authority: string,
  scheme: string,
  requestScheme: string,
  newPort: number | undefined,
): string {
  const { host, port } = splitHostPort(authority);
  if (port === "") return authority;
  if (newPort !== undefined) return host;
  // The port is the request's: it is dropped only as the default port of the scheme left behind.
  if (scheme !== requestScheme) {
    if ((requestScheme === "http" && port === "80") || (requestScheme === "https" && port === "443")) {
      return host;
    }
  }
  return authority;
}

function withQuery(path: string, query: string): string {
  return query === "" ? path : `${path}?${query}`;
}

/** The `Location` of a redirect route for `request`. */
export function redirectLocation(route: CompiledRoute, request: RouteRequest): string {
  const action = route.route.action as RedirectAction;
  const scheme = action.scheme ?? request.scheme;
  const host = action.authority ?? requestHost(request.authority, scheme, request.scheme, action.port);
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
  // Istio passes `uri` and `prefixRewrite` on as written; Envoy gives the path its leading slash.
  if (!pathAndQuery.startsWith("/")) pathAndQuery = `/${pathAndQuery}`;
  return `${scheme}://${host}${port}${pathAndQuery}`;
}

/**
 * The `Location` of a virtual host's TLS requirement (`httpsRedirect`): `https`, with the host
 * (port included) and path as sent, as Envoy's `createSslRedirectPath` writes it.
 */
export function sslRedirectLocation(request: RouteRequest): string {
  return `https://${request.authority}${withQuery(request.path, request.query)}`;
}
