/**
 * Gateways + VirtualServices (+ DestinationRules, ServiceEntries, Secrets) -> {@link ProxyConfig}
 * for one gateway proxy, with Istio's gateway semantics (istio-rules.md §6):
 *
 * 1. Gateways whose `selector` matches the proxy's labels are served (others are reported, info).
 * 2. Their servers are merged per bind address and listen port (Istio's `mergeGateways`): plain
 *    HTTP servers share one route config keyed by Host; TLS servers (terminated HTTPS, terminated
 *    TLS, passthrough) share a listener told apart by SNI; a TLS host already served on the port
 *    and bind, or a protocol that cannot share the port, makes the later server skipped.
 * 3. VirtualServices are bound per server by the binding library (exportTo against the proxy's
 *    namespace, host intersection, `match.port` and `match.gateways`), in creation order.
 * 4. Servers needing Istio's mesh (ISTIO_MUTUAL, AUTO_PASSTHROUGH) or a missing credential are
 *    refused with an error finding; everything else keeps working.
 * 5. AuthorizationPolicies that apply to the proxy become its RBAC filters (authorization.ts).
 *
 * The result is deterministic, deeply frozen, and versioned by a hash of its content.
 */
import { buildRbacConfig } from "./authorization";
import { below } from "./field-path";
import { buildGatewayBindings, keyOf, namespaceOf, selectorMatches, selectorString } from "../binding";
import { sanitizeServerHosts } from "../host";
import type {
  DestinationRule,
  Gateway,
  Resource,
  Secret,
  Server,
  ServiceEntry,
  VirtualService,
} from "../model";
import { ServerKind, serverKind } from "../model";
import type { Issue, ValidationOptions } from "../validate/issue";
import { pathOf } from "../validate/path";
import { ClusterRegistry } from "./clusters";
import { TranslateContext } from "./context";
import { buildDownstreamTls } from "./downstream-tls";
import { expandDelegates } from "./delegate";
import { deepFreeze } from "./freeze";
import type { PlacedServer } from "./http-route-config";
import { buildHttpRouteConfig } from "./http-route-config";
import { buildJwtAuthn } from "./jwt-authn";
import type { FilterChain, Listener, ProxyConfig, ServerRef } from "./proxy-config";
import { SecretStore } from "./secrets";
import { buildPassthroughRoutes, buildTcpProxy } from "./tcp-proxy";
import { contentHash } from "./version";

/** The gateway pod the configuration is for. */
export interface ProxyIdentity {
  /** The pod's namespace: `exportTo` and `credentialName` Secrets are resolved against it. */
  readonly namespace: string;
  /** The pod's labels: Gateway `selector`s must be contained in them. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The port the proxy listens on for a Gateway server port (the Service port), e.g. 80 -> 8080
   * for an unprivileged pod. Default: the same port.
   */
  readonly portMap?: (servicePort: number) => number;
}

/** Options of {@link buildProxyConfig}. */
export interface BuildOptions extends ValidationOptions {
  /** The bind address of servers without `bind`. Default `0.0.0.0`. */
  readonly defaultBind?: string;
}

/** The result: the configuration and what could not be served as written. */
export interface BuildResult {
  /** The configuration (deeply frozen). */
  readonly config: ProxyConfig;
  /** Findings (IGW6xxx), grouped by resource. */
  readonly issues: readonly Issue[];
}

type Family = "http" | "tcp" | "tls";

interface ListenerGroup {
  readonly address: string;
  readonly port: number;
  readonly listenPort: number;
  readonly family: Family;
  readonly servers: PlacedServer[];
  /**
   * Plain-text servers that came after the TLS ones on a `tls` group's port: Istio merges them
   * into a server of their own, whose filter chain (matching no SNI) joins the listener's.
   */
  plain?: { readonly family: "http" | "tcp"; readonly servers: PlacedServer[] };
}

function ofKind<K extends Resource["kind"]>(
  resources: readonly Resource[],
  kind: K,
): Extract<Resource, { kind: K }>[] {
  return resources.filter((r): r is Extract<Resource, { kind: K }> => r != null && r.kind === kind);
}

/** Istio's config order: creation time, then name, then namespace. */
function sortGateways(gateways: readonly Gateway[]): Gateway[] {
  const time = (g: Gateway) => {
    const ms = Date.parse(g.metadata?.creationTimestamp ?? "");
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  return [...gateways].sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const na = a.metadata?.name ?? "";
    const nb = b.metadata?.name ?? "";
    if (na !== nb) return na < nb ? -1 : 1;
    const sa = namespaceOf(a);
    const sb = namespaceOf(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

function serverRef(p: PlacedServer): ServerRef {
  return { gateway: p.gateway, serverIndex: p.serverIndex, portName: p.server.port.name ?? "" };
}

/** Builds the proxy configuration for `proxy` from every resource it may read. */
export function buildProxyConfig(
  resources: readonly Resource[],
  proxy: ProxyIdentity,
  options: BuildOptions = {},
): BuildResult {
  const ctx = new TranslateContext(proxy.namespace, proxy.labels, options);
  const portMap = proxy.portMap ?? ((p: number) => p);
  const defaultBind = options.defaultBind ?? "0.0.0.0";

  const selected: Gateway[] = [];
  for (const g of ofKind(resources, "Gateway")) {
    if (selectorMatches(g.spec?.selector, proxy.labels)) selected.push(g);
    else {
      ctx.report(
        g,
        "IGW6001",
        pathOf("spec", "selector"),
        `must be contained in the proxy's labels ${JSON.stringify(selectorString(proxy.labels))} for this proxy to serve the Gateway (got ${JSON.stringify(selectorString(g.spec?.selector))})`,
      );
    }
  }
  const gateways = sortGateways(selected);
  const expanded = expandDelegates(ctx, ofKind(resources, "VirtualService") as VirtualService[]);
  const virtualServices = expanded.virtualServices;
  const origins = expanded.origins;
  const secrets = new SecretStore(ofKind(resources, "Secret") as Secret[], proxy.namespace);
  const clusters = new ClusterRegistry(
    ctx,
    secrets,
    ofKind(resources, "DestinationRule") as DestinationRule[],
    ofKind(resources, "ServiceEntry") as ServiceEntry[],
  );
  const bindings = buildGatewayBindings({ gateways, virtualServices, gatewayNamespace: proxy.namespace });

  // 1. Merge servers into listener groups.
  const groups = new Map<string, ListenerGroup>();
  const tlsHosts = new Map<string, Map<string, string>>();
  for (const gateway of gateways) {
    const key = keyOf(gateway);
    if (bindings.gateway(key) !== gateway) continue; // a second Gateway with the same name
    (gateway.spec?.servers ?? []).forEach((server: Server | null | undefined, serverIndex) => {
      if (server == null || server.port == null) return;
      const at = pathOf("spec", "servers", serverIndex);
      const kind = serverKind(server);
      const mode = server.tls?.mode;
      if (kind === ServerKind.UNSUPPORTED) {
        ctx.report(
          gateway,
          "IGW6009",
          below(at, "port", "protocol"),
          `must be a protocol the gateway proxy routes (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL): the server is skipped (got ${JSON.stringify(server.port.protocol)})`,
        );
        return;
      }
      if (kind === ServerKind.TLS_AUTO_PASSTHROUGH) {
        ctx.report(
          gateway,
          "IGW6003",
          below(at, "tls", "mode"),
          `must not be "AUTO_PASSTHROUGH": it routes to Istio mesh services by SNI, which this proxy does not know; the server is not served (got "AUTO_PASSTHROUGH")`,
        );
        return;
      }
      if (mode === "ISTIO_MUTUAL" && kind !== ServerKind.HTTP && kind !== ServerKind.TCP) {
        ctx.report(
          gateway,
          "IGW6002",
          below(at, "tls", "mode"),
          `must not be "ISTIO_MUTUAL": it needs Istio's mesh identity, which this proxy does not have; the server is not served (got "ISTIO_MUTUAL")`,
        );
        return;
      }
      const hosts = sanitizeServerHosts(server.hosts ?? [], namespaceOf(gateway));
      const listenPort = portMap(server.port.number);
      const address = server.bind ?? defaultBind;
      const placed: PlacedServer = { gateway: key, gatewayResource: gateway, serverIndex, server, hosts };
      if (server.tls !== undefined) {
        // Envoy refuses two filter chains with the same SNI: Istio skips the later server.
        let known = tlsHosts.get(String(listenPort));
        if (known === undefined) tlsHosts.set(String(listenPort), (known = new Map()));
        const duplicates = hosts.filter((h) => known!.get(h) === (server.bind ?? ""));
        if (duplicates.length > 0) {
          ctx.report(
            gateway,
            "IGW6007",
            below(at, "hosts"),
            `must not repeat hosts a TLS server earlier on port ${server.port.number} serves: the server is skipped (got ${duplicates.map((d) => JSON.stringify(d)).join(", ")})`,
          );
          return;
        }
        for (const h of hosts) known.set(h, server.bind ?? "");
      }
      const family: Family = kind === ServerKind.HTTP ? "http" : kind === ServerKind.TCP ? "tcp" : "tls";
      const groupKey = `${address}|${listenPort}`;
      const group = groups.get(groupKey);
      if (group === undefined) {
        groups.set(groupKey, { address, port: server.port.number, listenPort, family, servers: [placed] });
        return;
      }
      // Istio merges a plain-text server coming after TLS servers into one of its own (one per
      // port: HTTP servers join it, any other is skipped); once there is one, a TLS server is
      // skipped, as it is on a port a plain-text server took first.
      if (group.family === "tls" && family !== "tls" && group.plain === undefined) {
        group.plain = { family, servers: [placed] };
        return;
      }
      if (group.plain !== undefined && group.plain.family === "http" && family === "http") {
        group.plain.servers.push(placed);
        return;
      }
      if (group.plain !== undefined || group.family !== family || family === "tcp") {
        const first = group.plain?.servers[0] ?? group.servers[0];
        ctx.report(
          gateway,
          "IGW6008",
          below(at, "port"),
          `must not share port ${server.port.number} and bind ${JSON.stringify(address)} with server ${first.gateway} spec.servers[${first.serverIndex}] (protocol ${JSON.stringify(first.server.port.protocol)}): the server is skipped (got protocol ${JSON.stringify(server.port.protocol)})`,
        );
        return;
      }
      group.servers.push(placed);
    });
  }

  // 2. Build the filter chains of each listener.
  const listeners: Listener[] = [];
  for (const group of groups.values()) {
    const chains: FilterChain[] = [];
    // The filter chain of plain-text servers: a listener's only one, or the one after its TLS
    // chains that takes connections not speaking TLS.
    const plainChain = (family: "http" | "tcp", servers: PlacedServer[]): void => {
      if (family === "http") {
        // Istio names it after the port it resolves the server to (the container port), as it names
        // the listener: `http.8080` for a Gateway port 80 served on 8080.
        const name = `http.${group.listenPort}${group.address === defaultBind ? "" : `.${group.address}`}`;
        chains.push({
          name,
          serverNames: [],
          transport: "http",
          httpConnectionManager: {
            scheme: "http",
            // Istio gives every gateway HTTP connection manager Envoy's AUTO codec: a plain-text
            // HTTP port takes h2c with prior knowledge too, not only HTTP2 and GRPC ports.
            codec: "auto",
            routeConfig: buildHttpRouteConfig(ctx, clusters, bindings, origins, name, servers),
          },
          servers: servers.map(serverRef),
        });
        return;
      }
      const placed = servers[0]!;
      const tcpProxy = buildTcpProxy(clusters, bindings, placed);
      if (tcpProxy !== undefined) {
        chains.push({
          name: `tcp.${group.port}`,
          serverNames: [],
          transport: "tcp",
          tcpProxy,
          servers: [serverRef(placed)],
        });
      } else reportNoRoute(ctx, placed);
    };
    if (group.family !== "tls") plainChain(group.family, group.servers);
    else {
      const knownSni = new Set<string>();
      for (const placed of group.servers) {
        const kind = serverKind(placed.server);
        const gw = placed.gatewayResource;
        const sni = serverNamesOf(placed.hosts);
        const [ns, gwName] = [namespaceOf(gw), gw.metadata?.name ?? ""];
        const terminatedName = `${kind === ServerKind.HTTPS_TERMINATED ? "https" : "tls"}.${group.port}.${placed.server.port.name ?? ""}.${gwName}.${ns}`;
        if (kind !== ServerKind.TLS_PASSTHROUGH && chains.some((c) => c.name === terminatedName)) {
          // Each terminating server needs its own route config name (Istio: unique port names).
          ctx.report(
            gw,
            "IGW6020",
            pathOf("spec", "servers", placed.serverIndex, "port", "name"),
            `must be unique among the Gateway's servers on port ${group.port}: the server is skipped (got ${JSON.stringify(placed.server.port.name)})`,
          );
          continue;
        }
        if (kind === ServerKind.HTTPS_TERMINATED) {
          const tls = buildDownstreamTls(ctx, secrets, gw, placed.serverIndex, placed.server);
          if (tls === undefined) {
            chains.push(...unavailableChain(terminatedName, sni, placed));
            continue;
          }
          const name = terminatedName;
          chains.push({
            name,
            serverNames: sni,
            transport: "https",
            tls,
            httpConnectionManager: {
              scheme: "https",
              codec: "auto",
              routeConfig: buildHttpRouteConfig(ctx, clusters, bindings, origins, name, [placed]),
            },
            servers: [serverRef(placed)],
          });
        } else if (kind === ServerKind.TLS_TERMINATED) {
          const tls = buildDownstreamTls(ctx, secrets, gw, placed.serverIndex, placed.server);
          if (tls === undefined) {
            chains.push(...unavailableChain(terminatedName, sni, placed));
            continue;
          }
          const tcpProxy = buildTcpProxy(clusters, bindings, placed);
          if (tcpProxy === undefined) {
            reportNoRoute(ctx, placed);
            continue;
          }
          chains.push({
            name: terminatedName,
            serverNames: sni,
            transport: "tls-terminated-tcp",
            tls,
            tcpProxy,
            servers: [serverRef(placed)],
          });
        } else {
          const routes = buildPassthroughRoutes(ctx, clusters, bindings, placed, knownSni);
          if (routes.length === 0) reportNoRoute(ctx, placed);
          for (const r of routes) {
            const m = r.tcpProxy.metadata;
            chains.push({
              name: `passthrough.${group.port}.${m.virtualService.replace("/", ".")}.${m.ruleIndex}.${m.matchIndex}`,
              serverNames: r.serverNames,
              transport: "tls-passthrough",
              tcpProxy: r.tcpProxy,
              servers: [serverRef(placed)],
            });
          }
        }
      }
      if (group.plain !== undefined) plainChain(group.plain.family, group.plain.servers);
      reportOverlappingChains(ctx, chains, [...group.servers, ...(group.plain?.servers ?? [])], group.port);
    }
    if (chains.length === 0) continue;
    listeners.push({
      name: `${group.address}_${group.listenPort}`,
      address: group.address,
      port: group.port,
      listenPort: group.listenPort,
      tlsInspector: group.family === "tls",
      filterChains: chains,
    });
  }
  listeners.sort((a, b) =>
    a.address === b.address ? a.listenPort - b.listenPort : a.address < b.address ? -1 : 1,
  );
  const rbac = buildRbacConfig(ctx, resources);
  const jwtAuthn = buildJwtAuthn(resources, proxy);
  const body = {
    listeners,
    clusters: clusters.clusters(),
    ...(rbac === undefined ? {} : { rbac }),
    ...(jwtAuthn === undefined ? {} : { jwtAuthn }),
  };
  const config: ProxyConfig = { version: contentHash(JSON.stringify(body)), ...body };
  return deepFreeze({ config, issues: ctx.issues() });
}

/**
 * Warns of each filter chain of a TLS port that would take connections an earlier chain takes:
 * two chains matching every connection (a server or `sniHosts` of `*`, and the plain-text chain),
 * or two naming the same server name (`./a.example.com` beside `a.example.com`, a terminated host
 * beside a passthrough `sniHosts`). Istio writes both, and Envoy refuses such a listener, so
 * Istio's gateway would not serve the port; the proxy serves it, the earlier chain winning where
 * both match (a plain-text connection never matches a TLS chain here).
 */
function reportOverlappingChains(
  ctx: TranslateContext,
  chains: readonly FilterChain[],
  servers: readonly PlacedServer[],
  port: number,
): void {
  const claimed = new Map<string, string>();
  const ALL = "*";
  for (const chain of chains) {
    const names = chain.serverNames.length === 0 ? [ALL] : chain.serverNames;
    const earlier = names.map((n) => claimed.get(n)).find((c) => c !== undefined);
    const ref = chain.servers[0];
    const placed = servers.find((p) => p.gateway === ref?.gateway && p.serverIndex === ref.serverIndex);
    if (earlier !== undefined && placed !== undefined) {
      ctx.report(
        placed.gatewayResource,
        "IGW6025",
        pathOf("spec", "servers", placed.serverIndex, "hosts"),
        `must not match connections filter chain ${JSON.stringify(earlier)} on port ${port} matches: Envoy refuses a listener with both, so Istio's gateway would not serve the port; the proxy serves it, the earlier chain winning where both match (got chain ${JSON.stringify(chain.name)} for ${names.map((n) => JSON.stringify(n)).join(", ")})`,
      );
      continue;
    }
    for (const n of names) if (!claimed.has(n)) claimed.set(n, chain.name);
  }
}

/** SNI names of a terminating server: its hosts without namespace, lower case; `*` means any. */
function serverNamesOf(hosts: readonly string[]): string[] {
  const names = new Set<string>();
  for (const h of hosts) {
    const slash = h.indexOf("/");
    const name = (slash < 0 ? h : h.slice(slash + 1)).toLowerCase();
    if (name === "*") return [];
    names.add(name);
  }
  return [...names].sort();
}

/**
 * The chain of a terminating server whose credential could not be used, when it names one: Istio
 * still gives the server its SNI filter chain, whose certificate SDS never delivers, so Envoy
 * fails every handshake on those names instead of serving them with another chain. Servers with
 * certificate files get none (Envoy would refuse the whole listener).
 */
function unavailableChain(name: string, serverNames: string[], placed: PlacedServer): FilterChain[] {
  const tls = placed.server.tls;
  if (!tls?.credentialName && (tls?.credentialNames ?? []).length === 0) return [];
  return [{ name, serverNames, transport: "tls-unavailable", servers: [serverRef(placed)] }];
}

function reportNoRoute(ctx: TranslateContext, placed: PlacedServer): void {
  ctx.report(
    placed.gatewayResource,
    "IGW6019",
    pathOf("spec", "servers", placed.serverIndex),
    `gets no filter chain: no VirtualService bound to it has a ${serverKind(placed.server) === ServerKind.TLS_PASSTHROUGH ? "tls" : "tcp"} rule that applies (got ${JSON.stringify(`${placed.server.port.protocol}/${placed.server.port.number}`)})`,
  );
}
