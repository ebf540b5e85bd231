/** Choosing the route for a request within a virtual host, and the whole lookup in one call. */
import type { CompiledRoute, CompiledRouteConfig, CompiledVirtualHost } from "./route-config";
import { sslRedirectLocation } from "./redirect";
import type { RouteRequest } from "./request";
import { selectVirtualHost } from "./virtual-host";

/** The first route of `vhost` whose conditions the request meets, or undefined (404). */
export function selectRoute(vhost: CompiledVirtualHost, request: RouteRequest): CompiledRoute | undefined {
  for (const route of vhost.routes) {
    if (route.matches(request)) return route;
  }
  return undefined;
}

/** The outcome of routing one request. */
export type RouteDecision =
  /** No virtual host serves the authority: answer 404 (`IGW_ERR_NO_ROUTE`). */
  | { readonly kind: "no-virtual-host" }
  /** The virtual host requires TLS and the request is plain text: answer 301 to `location`. */
  | { readonly kind: "require-tls"; readonly virtualHost: CompiledVirtualHost; readonly location: string }
  /** The virtual host has no route for the request: answer 404 (`IGW_ERR_NO_ROUTE`). */
  | { readonly kind: "no-route"; readonly virtualHost: CompiledVirtualHost }
  /** A route matched; its `route.action` says what to do. */
  | { readonly kind: "matched"; readonly virtualHost: CompiledVirtualHost; readonly route: CompiledRoute };

/**
 * Routes a request through a compiled route config: virtual host by authority, the TLS
 * requirement (`httpsRedirect`), then the first matching route.
 */
export function routeRequest(compiled: CompiledRouteConfig, request: RouteRequest): RouteDecision {
  const virtualHost = selectVirtualHost(compiled, request.authority);
  if (virtualHost === undefined) return { kind: "no-virtual-host" };
  if (virtualHost.virtualHost.requireTls && request.scheme !== "https") {
    return { kind: "require-tls", virtualHost, location: sslRedirectLocation(request) };
  }
  const route = selectRoute(virtualHost, request);
  if (route === undefined) return { kind: "no-route", virtualHost };
  return { kind: "matched", virtualHost, route };
}
