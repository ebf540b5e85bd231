/**
 * Opaque forwarding for TCP servers, terminated TLS servers and TLS passthrough (Istio's
 * `buildGatewayNetworkFiltersFromTCPRoutes` and `...FromTLSRoutes`): a TCP server forwards with
 * the first `tcp` rule (VirtualServices in creation order) whose matches apply to the server; a
 * passthrough server gets one filter chain per applicable `tls` match, keyed by its SNI hosts.
 * Either hashes connections on the client's address when the first destination's DestinationRule
 * says `useSourceIp`.
 */
import { below } from "./field-path";
import type { Binding, GatewayBindings } from "../binding";
import { matchApplies, namespaceOf } from "../binding";
import type { RouteDestination, VirtualService } from "../model";
import { pathOf } from "../validate/path";
import type { ClusterRegistry } from "./clusters";
import { hasHost } from "./clusters";
import type { TranslateContext } from "./context";
import type { PlacedServer } from "./http-route-config";
import type { TcpHashPolicy, TcpProxy, TcpProxySettings, TcpWeightedCluster } from "./proxy-config";

function weightedClusters(
  clusters: ClusterRegistry,
  vs: VirtualService,
  route: readonly RouteDestination[],
  path: string,
  port: number,
): TcpWeightedCluster[] {
  const out: TcpWeightedCluster[] = [];
  route.forEach((d, i) => {
    if (!hasHost(d?.destination)) return;
    const weight = route.length === 1 ? 1 : (d.weight ?? 0);
    if (weight <= 0) return;
    out.push({
      cluster: clusters.clusterFor(d.destination, vs, below(path, i, "destination"), port),
      weight,
    });
  });
  return out;
}

/**
 * What a TCP proxy for `route` written in `vs` takes from the DestinationRule of the rule's first
 * destination, for every destination of the rule, as Istio builds one `tcp_proxy` per rule: its
 * `hashPolicy` and its connection limits, spread into it; empty without either.
 */
function firstDestinationPolicy(
  clusters: ClusterRegistry,
  vs: VirtualService,
  route: readonly RouteDestination[],
): { hashPolicy?: readonly TcpHashPolicy[]; limits?: TcpProxySettings } {
  const limits = clusters.tcpProxySettingsFor(route, vs);
  return {
    ...(clusters.tcpHashesSourceIp(route, vs) ? { hashPolicy: [{ kind: "source-ip" as const }] } : {}),
    ...(limits === undefined ? {} : { limits }),
  };
}

function bound(bindings: GatewayBindings, placed: PlacedServer, block: "tcp" | "tls"): Binding[] {
  return bindings.bindingsFor(placed.gateway, placed.serverIndex).filter((b) => b.block === block);
}

/** The TCP proxy of a TCP or terminated-TLS server, or undefined when no rule applies. */
export function buildTcpProxy(
  clusters: ClusterRegistry,
  bindings: GatewayBindings,
  placed: PlacedServer,
): TcpProxy | undefined {
  const port = placed.server.port.number;
  for (const binding of bound(bindings, placed, "tcp")) {
    const vs = binding.virtualService;
    const rules = vs.spec?.tcp ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule == null || (rule.route ?? []).length === 0) continue;
      const matches = rule.match ?? [];
      const matchIndex =
        matches.length === 0
          ? -1
          : matches.findIndex((m) => matchApplies(m ?? {}, port, placed.gateway, namespaceOf(vs)));
      if (matches.length > 0 && matchIndex < 0) continue;
      const weighted = weightedClusters(
        clusters,
        vs,
        rule.route ?? [],
        pathOf("spec", "tcp", i, "route"),
        port,
      );
      if (weighted.length === 0) continue;
      return {
        clusters: weighted,
        ...firstDestinationPolicy(clusters, vs, rule.route ?? []),
        metadata: {
          virtualService: `${namespaceOf(vs)}/${vs.metadata?.name ?? ""}`,
          block: "tcp",
          ruleIndex: i,
          matchIndex,
        },
      };
    }
  }
  return undefined;
}

/** One passthrough route: the SNI names it serves and where it forwards. */
export interface PassthroughRoute {
  /** The match's `sniHosts`, lower case. */
  readonly serverNames: readonly string[];
  /** The forwarding. */
  readonly tcpProxy: TcpProxy;
}

/**
 * The passthrough routes of a server, in binding order. SNI hosts already routed on the listener
 * (`knownHosts`, shared by the servers of one listener) make a match skipped, as in Istio.
 */
export function buildPassthroughRoutes(
  ctx: TranslateContext,
  clusters: ClusterRegistry,
  bindings: GatewayBindings,
  placed: PlacedServer,
  knownHosts: Set<string>,
): PassthroughRoute[] {
  const port = placed.server.port.number;
  const out: PassthroughRoute[] = [];
  for (const binding of bound(bindings, placed, "tls")) {
    const vs = binding.virtualService;
    const rules = vs.spec?.tls ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule == null || (rule.route ?? []).length === 0) continue;
      (rule.match ?? []).forEach((m, j) => {
        if (m == null || !matchApplies(m, port, placed.gateway, namespaceOf(vs))) return;
        const names = (m.sniHosts ?? []).map((h) => h.toLowerCase());
        const duplicates = names.filter((h) => knownHosts.has(h));
        if (duplicates.length > 0) {
          ctx.report(
            vs,
            "IGW6010",
            pathOf("spec", "tls", i, "match", j, "sniHosts"),
            `must not repeat SNI hosts already routed on port ${port}: the match is skipped (got ${duplicates.map((d) => JSON.stringify(d)).join(", ")})`,
          );
          return;
        }
        const weighted = weightedClusters(
          clusters,
          vs,
          rule.route ?? [],
          pathOf("spec", "tls", i, "route"),
          port,
        );
        if (weighted.length === 0) return;
        for (const h of names) knownHosts.add(h);
        out.push({
          // Istio gives a match naming `*` a chain without server names: any SNI, or none.
          serverNames: names.includes("*") ? [] : names,
          tcpProxy: {
            clusters: weighted,
            ...firstDestinationPolicy(clusters, vs, rule.route ?? []),
            metadata: {
              virtualService: `${namespaceOf(vs)}/${vs.metadata?.name ?? ""}`,
              block: "tls",
              ruleIndex: i,
              matchIndex: j,
            },
          },
        });
      });
    }
  }
  return out;
}
