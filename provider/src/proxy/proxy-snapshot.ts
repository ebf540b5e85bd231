/**
 * One configuration, ready to serve: a {@link ProxyConfig} with route configs compiled, TLS
 * contexts built, cluster endpoints resolved and lookup tables made. Built completely before it
 * is swapped in, and never changed afterwards, so a request that started on it finishes on it.
 */
import type { FilterChain, Listener, ProxyConfig } from "../istio/translate/proxy-config";
import type { ProxyMetrics } from "./observability/metrics";
import type { CompiledRouteConfig } from "./router/route-config";
import { compileRouteConfig } from "./router/route-config";
import { selectFilterChain } from "./router/filter-chain";
import type { DownstreamTls } from "./tls/secure-context";
import { buildDownstreamTls } from "./tls/secure-context";
import type { ClusterRuntime, UpstreamPools } from "./upstream/cluster-manager";
import { buildClusters } from "./upstream/cluster-manager";
import type { EndpointResolver } from "./upstream/endpoint-resolver";

/** A filter chain ready to serve. */
export interface ChainRuntime {
  /** The configuration. */
  readonly config: FilterChain;
  /** The listener it belongs to. */
  readonly listener: ListenerRuntime;
  /** TLS termination, for `https` and `tls-terminated-tcp` chains. */
  readonly tls?: DownstreamTls;
  /** Compiled routes, for `http` and `https` chains. */
  readonly routes?: CompiledRouteConfig;
}

/** A listener ready to serve. */
export interface ListenerRuntime {
  /** The configuration. */
  readonly config: Listener;
  /** `<address>:<listenPort>`: what identifies the socket across configurations. */
  readonly key: string;
  /** Chains in configuration order. */
  readonly chains: readonly ChainRuntime[];
  /** Chains by name. */
  readonly byName: ReadonlyMap<string, ChainRuntime>;
  /** Picks the chain for an SNI (lower case; undefined when the client sent none). */
  selectChain(serverName: string | undefined): ChainRuntime | undefined;
}

/** A whole configuration ready to serve. */
export interface ProxySnapshot {
  /** The configuration. */
  readonly config: ProxyConfig;
  /** Listeners by key. */
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
  /** Clusters by name. */
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
}

/** The key of a listener's socket. */
export function listenerKey(l: Pick<Listener, "address" | "listenPort" | "port">): string {
  // Port 0 (any free port, in tests) is told apart by the Gateway port it serves.
  return l.listenPort === 0 ? `${l.address}:0/${l.port}` : `${l.address}:${l.listenPort}`;
}

/** What building a snapshot needs from the proxy. */
export interface SnapshotDeps {
  /** Endpoint resolution. */
  readonly resolver: EndpointResolver;
  /** Shared upstream pools. */
  readonly pools: UpstreamPools;
  /** Metrics. */
  readonly metrics: ProxyMetrics;
  /** The proxy's namespace (metric labels). */
  readonly namespace: string;
  /** Overrides of listen ports, by Gateway port (`--port 80=18080`). */
  readonly listenPorts?: ReadonlyMap<number, number>;
  /** Overrides of the bind address (`--bind`). */
  readonly bind?: string;
  /** The serving snapshot, whose clusters hand their breaker counts and outlier state on. */
  readonly previous?: ProxySnapshot;
}

/** Builds a snapshot; rejects (with a readable reason) when TLS material or clusters cannot be built. */
export async function buildSnapshot(config: ProxyConfig, deps: SnapshotDeps): Promise<ProxySnapshot> {
  const listeners = new Map<string, ListenerRuntime>();
  for (const l of config.listeners) {
    const listenPort = deps.listenPorts?.get(l.port) ?? l.listenPort;
    const address = deps.bind ?? l.address;
    const effective: Listener =
      listenPort === l.listenPort && address === l.address ? l : { ...l, listenPort, address };
    const runtime = await buildListener(effective);
    if (listeners.has(runtime.key)) {
      throw new Error(
        `listeners ${JSON.stringify(listeners.get(runtime.key)!.config.name)} and ${JSON.stringify(l.name)} both listen on ${runtime.key}`,
      );
    }
    listeners.set(runtime.key, runtime);
  }
  const clusters = await buildClusters(
    config.clusters,
    deps.resolver,
    deps.pools,
    deps.metrics,
    deps.namespace,
    deps.previous?.clusters,
  );
  return { config, listeners, clusters };
}

async function buildListener(config: Listener): Promise<ListenerRuntime> {
  const chains: ChainRuntime[] = [];
  const byName = new Map<string, ChainRuntime>();
  const listener: ListenerRuntime = {
    config,
    key: listenerKey(config),
    chains,
    byName,
    selectChain(serverName) {
      const fc = selectFilterChain(config, serverName);
      return fc === undefined ? undefined : byName.get(fc.name);
    },
  };
  for (const fc of config.filterChains) {
    const where = `listener ${JSON.stringify(config.name)} filter chain ${JSON.stringify(fc.name)}`;
    const tls = fc.tls === undefined ? undefined : await buildDownstreamTls(fc.tls, where);
    const routes =
      fc.httpConnectionManager === undefined
        ? undefined
        : compileRouteConfig(fc.httpConnectionManager.routeConfig);
    const chain: ChainRuntime = {
      config: fc,
      listener,
      ...(tls === undefined ? {} : { tls }),
      ...(routes === undefined ? {} : { routes }),
    };
    chains.push(chain);
    byName.set(fc.name, chain);
  }
  return listener;
}
