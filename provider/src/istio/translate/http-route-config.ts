/**
 * The route config of one or more HTTP servers sharing a port (Istio's
 * `buildGatewayHTTPRouteConfig`): for each server, the VirtualServices bound to it (creation
 * order), their routes once per Gateway, one virtual host per intersected host (lower case) with
 * the routes of every VirtualService appended, `httpsRedirect` virtual hosts, catch-all routes
 * moved last, and a 404 `blackhole` host when nothing is bound.
 */
import type { GatewayBindings } from "../binding";
import { namespaceOf, resolveGatewayName } from "../binding";
import { compareSpecificity } from "../host";
import type { Gateway, HTTPMatchRequest, Server, VirtualService } from "../model";
import type { ClusterRegistry } from "./clusters";
import type { ExpandedVirtualServices } from "./delegate";
import type { TranslateContext } from "./context";
import { isCatchAllRoute, translateRoute } from "./http-route";
import type { Route, RouteConfig, VirtualHost } from "./proxy-config";

/** A Gateway server as the merge step keeps it. */
export interface PlacedServer {
  /** `<namespace>/<name>` of its Gateway. */
  readonly gateway: string;
  /** The Gateway resource. */
  readonly gatewayResource: Gateway;
  /** Index in `spec.servers`. */
  readonly serverIndex: number;
  /** The server. */
  readonly server: Server;
  /** Its hosts after `sanitizeServerHosts` (namespace prefixes `./` and `*\/` resolved). */
  readonly hosts: readonly string[];
}

/** Istio's `sourceMatchHTTP`: `match.gateways` if given, else `sourceLabels` and `sourceNamespace` against the proxy. */
function sourceMatches(
  ctx: TranslateContext,
  m: HTTPMatchRequest,
  gateway: string,
  vsNamespace: string,
): boolean {
  if (m.gateways !== undefined && m.gateways.length > 0) {
    return m.gateways.some((g) => resolveGatewayName(g, vsNamespace) === gateway);
  }
  const labels = m.sourceLabels ?? {};
  for (const k of Object.keys(labels)) if (ctx.proxyLabels[k] !== labels[k]) return false;
  return (
    m.sourceNamespace === undefined || m.sourceNamespace === "" || m.sourceNamespace === ctx.proxyNamespace
  );
}

/** Istio's `BuildHTTPRoutesForVirtualService` for one server port and Gateway. */
export function buildVirtualServiceRoutes(
  ctx: TranslateContext,
  clusters: ClusterRegistry,
  origins: ExpandedVirtualServices["origins"],
  vs: VirtualService,
  gateway: string,
  port: number,
  tls: boolean,
): Route[] {
  const out: Route[] = [];
  const ns = namespaceOf(vs);
  const rules = vs.spec?.http ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule == null) continue;
    // Delegations were merged before binding; a leftover one (a delegate that delegates) is inert.
    if (rule.delegate != null) continue;
    const site = { port, tls, vs };
    const ruleIndex = origins.get(rule)?.rootRuleIndex ?? i;
    const origin = origins.get(rule)?.delegated;
    let catchAll = false;
    const matches = rule.match ?? [];
    if (matches.length === 0) {
      const r = translateRoute(ctx, clusters, site, rule, ruleIndex, -1, origin);
      if (r !== undefined) out.push(r);
      catchAll = true;
    } else {
      for (let j = 0; j < matches.length; j++) {
        const m = matches[j] ?? {};
        if (m.port !== undefined && m.port !== 0 && m.port !== port) continue;
        if (!sourceMatches(ctx, m, gateway, ns)) continue;
        const r = translateRoute(ctx, clusters, site, rule, ruleIndex, j, origin);
        if (r === undefined) continue;
        out.push(r);
        // Routes are tried in order: nothing after a catch-all can match.
        if (isCatchAllRoute(r)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out;
}

function stripNamespace(host: string): string {
  const slash = host.indexOf("/");
  return slash < 0 ? host : host.slice(slash + 1);
}

/** The route config named `name` for `servers` (all on one port). */
export function buildHttpRouteConfig(
  ctx: TranslateContext,
  clusters: ClusterRegistry,
  bindings: GatewayBindings,
  origins: ExpandedVirtualServices["origins"],
  name: string,
  servers: readonly PlacedServer[],
): RouteConfig {
  const vhosts = new Map<string, { name: string; domain: string; requireTls: boolean; routes: Route[] }>();
  const cache = new Map<string, Route[]>();
  for (const placed of servers) {
    const port = placed.server.port.number;
    const tls = placed.server.tls !== undefined;
    const redirect = placed.server.tls?.httpsRedirect === true;
    for (const binding of bindings.bindingsFor(placed.gateway, placed.serverIndex)) {
      if (binding.block !== "http") continue;
      const vs = binding.virtualService;
      const key = `${placed.gateway}|${namespaceOf(vs)}/${vs.metadata?.name ?? ""}|${port}|${tls}`;
      let routes = cache.get(key);
      if (routes === undefined) {
        routes = buildVirtualServiceRoutes(ctx, clusters, origins, vs, placed.gateway, port, tls);
        cache.set(key, routes);
      }
      if (routes.length === 0) continue;
      for (const h of binding.hosts) {
        const domain = h.toLowerCase();
        const existing = vhosts.get(domain);
        if (existing !== undefined) {
          existing.routes.push(...routes);
          if (redirect) existing.requireTls = true;
        } else {
          vhosts.set(domain, {
            name: `${domain}:${port}`,
            domain,
            requireTls: redirect,
            routes: [...routes],
          });
        }
      }
    }
    if (redirect) {
      for (const h of placed.hosts) {
        const domain = stripNamespace(h).toLowerCase();
        const existing = vhosts.get(domain);
        if (existing !== undefined) existing.requireTls = true;
        else vhosts.set(domain, { name: `${domain}:${port}`, domain, requireTls: true, routes: [] });
      }
    }
  }
  let virtualHosts: VirtualHost[];
  if (vhosts.size === 0) {
    const port = servers[0]?.server.port.number ?? 0;
    virtualHosts = [{ name: `blackhole:${port}`, domains: ["*"], requireTls: false, routes: [] }];
  } else {
    virtualHosts = [...vhosts.values()]
      .sort((a, b) => compareSpecificity(a.domain, b.domain))
      .map((v) => ({
        name: v.name,
        domains: [v.domain],
        requireTls: v.requireTls,
        // A catch-all of an older VirtualService must not shadow a newer one's specific routes.
        routes: [...v.routes.filter((r) => !isCatchAllRoute(r)), ...v.routes.filter(isCatchAllRoute)],
      }));
  }
  return { name, virtualHosts };
}
