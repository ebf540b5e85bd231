/**
 * Builders of route configuration data for tests and simulations: complete objects with the
 * defaults `buildProxyConfig` would produce, so a test states only what it is about.
 */
import type {
  ForwardAction,
  HeaderOperations,
  HeaderOperationsPair,
  Route,
  RouteAction,
  RouteMatch,
  VirtualHost,
} from "../../istio/translate/proxy-config";
import type { RouteRequest } from "./request";

/** No header operations. */
export const NO_HEADER_OPERATIONS: HeaderOperations = { set: [], add: [], remove: [] };

/** No header operations on either side. */
export const NO_HEADERS: HeaderOperationsPair = {
  request: NO_HEADER_OPERATIONS,
  response: NO_HEADER_OPERATIONS,
};

/** A match with no conditions, overridden by `m`. */
export function routeMatch(m: Partial<RouteMatch> = {}): RouteMatch {
  return { ignoreUriCase: false, headers: [], withoutHeaders: [], queryParams: [], ...m };
}

/** A forwarding action to `clusters` (name, weight), overridden by `a`. */
export function forward(
  clusters: readonly (readonly [string, number])[],
  a: Partial<ForwardAction> = {},
): ForwardAction {
  return {
    kind: "route",
    clusters: clusters.map(([cluster, weight]) => ({ cluster, weight, headers: NO_HEADERS })),
    mirrors: [],
    ...a,
  };
}

/** A route named `name`, forwarding to `c` unless `r.action` says otherwise. */
export function route(
  name: string,
  r: Partial<Omit<Route, "match">> & { match?: Partial<RouteMatch> } = {},
): Route {
  const action: RouteAction = r.action ?? forward([["c", 1]]);
  return {
    name,
    headers: NO_HEADERS,
    metadata: { virtualService: "default/vs", ruleIndex: 0, matchIndex: 0 },
    ...r,
    match: routeMatch(r.match),
    action,
  };
}

/** A virtual host. */
export function virtualHost(domains: string[], routes: Route[], requireTls = false): VirtualHost {
  return { name: `${domains[0]}:80`, domains, requireTls, routes };
}

/** A GET request for `target` on `authority`, overridden by `r`. */
export function request(target: string, r: Partial<RouteRequest> = {}): RouteRequest {
  const q = target.indexOf("?");
  return {
    method: "GET",
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? "" : target.slice(q + 1),
    headers: {},
    scheme: "http",
    authority: "example.com",
    port: 80,
    ...r,
  };
}
