/**
 * A {@link RouteConfig} compiled once into matchers, so that per request the router only runs
 * predicates: a map lookup for exact domains, a scan of wildcard suffixes, and each route's
 * compiled conditions (regular expressions in linear time).
 */
import type {
  CorsPolicyConfig,
  Route,
  RouteConfig,
  RouteMatch,
  VirtualHost,
  WeightedCluster,
} from "../../istio/translate/proxy-config";
import type { CompiledHeaderOperations } from "./header-operations";
import { compileHeaderOperations } from "./header-operations";
import type { CompiledRegex } from "./regex";
import { compileRegex } from "./regex";
import type { RouteRequest } from "./request";
import { headerValue, parseQuery } from "./request";
import type { ValuePredicate } from "./string-matcher";
import { compileStringMatcher } from "./string-matcher";

/** A route with its conditions and header operations compiled. */
export interface CompiledRoute {
  /** The route as configured. */
  readonly route: Route;
  /** True when the request meets every condition of the route. */
  readonly matches: (request: RouteRequest) => boolean;
  /** The route's `rewrite.uriRegex` pattern, compiled (undefined when absent or invalid). */
  readonly uriRegexRewrite?: CompiledRegex;
  /** Route-level request header operations. */
  readonly requestHeaders: CompiledHeaderOperations;
  /** Route-level response header operations. */
  readonly responseHeaders: CompiledHeaderOperations;
  /** Per-destination header operations, by cluster index of a forwarding action. */
  readonly clusters: readonly CompiledWeightedCluster[];
  /** The CORS policy's origin conditions, compiled. */
  readonly corsOrigins: readonly ValuePredicate[];
}

/** A destination with its header operations compiled. */
export interface CompiledWeightedCluster {
  /** The destination as configured. */
  readonly cluster: WeightedCluster;
  /** Its request header operations. */
  readonly requestHeaders: CompiledHeaderOperations;
  /** Its response header operations. */
  readonly responseHeaders: CompiledHeaderOperations;
  /**
   * The request header operations of a request sent here, level by level in the order they
   * apply: this destination's then the route's, or the route's then this lone destination's
   * (`destinationHeadersLast`).
   */
  readonly requestLevels: readonly CompiledHeaderOperations[];
  /** The response header operations of its answers, in the same order. */
  readonly responseLevels: readonly CompiledHeaderOperations[];
}

/** A virtual host with its routes compiled. */
export interface CompiledVirtualHost {
  /** The virtual host as configured. */
  readonly virtualHost: VirtualHost;
  /** Its routes, in order. */
  readonly routes: readonly CompiledRoute[];
}

/** A route config ready for per-request lookups. */
export interface CompiledRouteConfig {
  /** The route config as configured. */
  readonly routeConfig: RouteConfig;
  /** Every virtual host, in configuration order. */
  readonly virtualHosts: readonly CompiledVirtualHost[];
  /** Exact domains (lower case) to their virtual host. */
  readonly exact: ReadonlyMap<string, CompiledVirtualHost>;
  /** `*.example.com`-style domains as suffixes (`.example.com`), longest first. */
  readonly suffixWildcards: readonly (readonly [suffix: string, vh: CompiledVirtualHost])[];
  /** `example.*`-style domains as prefixes (`example.`), longest first. */
  readonly prefixWildcards: readonly (readonly [prefix: string, vh: CompiledVirtualHost])[];
  /** The virtual host for `*`, if any. */
  readonly any?: CompiledVirtualHost;
}

function compileMatch(match: RouteMatch): (request: RouteRequest) => boolean {
  const checks: ((r: RouteRequest) => boolean)[] = [];
  if (match.port !== undefined) {
    const port = match.port;
    checks.push((r) => r.port === port);
  }
  if (match.gateways !== undefined) {
    const gateways = new Set(match.gateways);
    checks.push((r) => r.gateway !== undefined && gateways.has(r.gateway));
  }
  if (match.uri !== undefined) {
    const p = compileStringMatcher(match.uri, match.ignoreUriCase);
    checks.push((r) => p(r.path));
  }
  if (match.method !== undefined) {
    const p = compileStringMatcher(match.method);
    checks.push((r) => p(r.method));
  }
  if (match.scheme !== undefined) {
    const p = compileStringMatcher(match.scheme);
    checks.push((r) => p(r.scheme));
  }
  if (match.authority !== undefined) {
    const p = compileStringMatcher(match.authority);
    checks.push((r) => p(r.authority));
  }
  for (const h of match.headers) {
    const p = compileStringMatcher(h.match);
    const name = h.name.toLowerCase();
    checks.push((r) => p(headerValue(r, name)));
  }
  for (const h of match.withoutHeaders) {
    const p = compileStringMatcher(h.match);
    const name = h.name.toLowerCase();
    // Istio sets treat_missing_header_as_empty on value conditions: an absent header is "" here.
    const present = h.match.kind === "present";
    checks.push((r) => {
      const v = headerValue(r, name);
      return !p(v === undefined && !present ? "" : v);
    });
  }
  if (match.queryParams.length > 0) {
    const params = match.queryParams.map((q) => [q.name, compileStringMatcher(q.match)] as const);
    checks.push((r) => {
      const parsed = parseQuery(r.query);
      return params.every(([name, p]) => p(parsed.get(name)));
    });
  }
  return (r) => checks.every((c) => c(r));
}

function compileCorsOrigins(cors: CorsPolicyConfig | undefined): ValuePredicate[] {
  return cors === undefined ? [] : cors.allowOrigins.map((o) => compileStringMatcher(o));
}

/** Compiles one route. */
export function compileRoute(route: Route): CompiledRoute {
  const action = route.action;
  const routeRequest = compileHeaderOperations(route.headers.request);
  const routeResponse = compileHeaderOperations(route.headers.response);
  const last = action.kind === "route" && action.destinationHeadersLast === true;
  const clusters =
    action.kind === "route"
      ? action.clusters.map((c): CompiledWeightedCluster => {
          const requestHeaders = compileHeaderOperations(c.headers.request);
          const responseHeaders = compileHeaderOperations(c.headers.response);
          return {
            cluster: c,
            requestHeaders,
            responseHeaders,
            requestLevels: last ? [routeRequest, requestHeaders] : [requestHeaders, routeRequest],
            responseLevels: last ? [routeResponse, responseHeaders] : [responseHeaders, routeResponse],
          };
        })
      : [];
  const regexRewrite =
    action.kind === "route" && action.rewrite?.uriRegex !== undefined
      ? compileRegex(action.rewrite.uriRegex.pattern)
      : undefined;
  const compiled: CompiledRoute = {
    route,
    matches: compileMatch(route.match),
    requestHeaders: routeRequest,
    responseHeaders: routeResponse,
    clusters,
    corsOrigins: compileCorsOrigins(route.cors),
  };
  return regexRewrite === undefined ? compiled : { ...compiled, uriRegexRewrite: regexRewrite };
}

/** Compiles a route config: once per configuration version, not per request. */
export function compileRouteConfig(routeConfig: RouteConfig): CompiledRouteConfig {
  const virtualHosts: CompiledVirtualHost[] = routeConfig.virtualHosts.map((virtualHost) => ({
    virtualHost,
    routes: virtualHost.routes.map(compileRoute),
  }));
  const exact = new Map<string, CompiledVirtualHost>();
  const suffixWildcards: [string, CompiledVirtualHost][] = [];
  const prefixWildcards: [string, CompiledVirtualHost][] = [];
  let any: CompiledVirtualHost | undefined;
  for (const vh of virtualHosts) {
    for (const raw of vh.virtualHost.domains) {
      const domain = raw.toLowerCase();
      // The first virtual host to claim a domain keeps it, as Envoy rejects duplicates.
      if (domain === "*") any ??= vh;
      else if (domain.startsWith("*")) suffixWildcards.push([domain.slice(1), vh]);
      else if (domain.endsWith("*")) prefixWildcards.push([domain.slice(0, -1), vh]);
      else if (!exact.has(domain)) exact.set(domain, vh);
    }
  }
  // Stable sorts: equal lengths keep configuration order.
  suffixWildcards.sort((a, b) => b[0].length - a[0].length);
  prefixWildcards.sort((a, b) => b[0].length - a[0].length);
  const out: CompiledRouteConfig = { routeConfig, virtualHosts, exact, suffixWildcards, prefixWildcards };
  return any === undefined ? out : { ...out, any };
}
