/**
 * One configuration, ready to serve: a {@link ProxyConfig} with route configs compiled, TLS
 * contexts built, cluster endpoints resolved and lookup tables made. Built completely before it
 * is swapped in, and never changed afterwards, so a request that started on it finishes on it.
 */
import type {
  DownstreamTlsContext,
  FilterChain,
  Listener,
  ProxyConfig,
  RbacConfig,
} from "../istio/translate/proxy-config";
import type { ProxyMetrics } from "./observability/metrics";
import { RbacEngine } from "./rbac/rbac-engine";
import type { CompiledRouteConfig } from "./router/route-config";
import { compileRouteConfig } from "./router/route-config";
import { selectFilterChain } from "./router/filter-chain";
import { filterChainIdentity } from "../istio/translate/filter-chain-identity";
import { FilterChainDrain } from "./listener/filter-chain-drain";
import type { DownstreamTls } from "./tls/secure-context";
import { buildDownstreamTls } from "./tls/secure-context";
import type { ClusterRuntime, UpstreamPools } from "./upstream/cluster-manager";
import { buildClusters } from "./upstream/cluster-manager";
import type { EndpointResolver } from "./upstream/endpoint-resolver";
import { JwtAuthnFilter } from "./jwt/jwt-authn-filter";
import { JwksStore } from "./jwt/jwks-store";

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
  /**
   * What a later configuration's chain of the same name must equal for the connections accepted
   * on this one to stay ({@link filterChainIdentity}).
   */
  readonly identity: string;
  /** The connections accepted on this chain, and their drain once a change modifies or removes it. */
  readonly drain: FilterChainDrain;
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
  /**
   * On a TLS listener, the chain of its plain-text servers (HTTP or TCP), which takes connections
   * that do not start with a TLS handshake; undefined when it has none.
   */
  readonly plainChain: ChainRuntime | undefined;
}

/** A whole configuration ready to serve. */
export interface ProxySnapshot {
  /** The configuration. */
  readonly config: ProxyConfig;
  /** Listeners by key. */
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
  /** Clusters by name. */
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  /** What was served otherwise than configured, and why: one line each, for the log. */
  readonly warnings: readonly string[];
  /**
   * The HTTP RBAC filter of `http` and `https` chains; unset when no AuthorizationPolicy decides
   * anything, so that requests then pay one check of an unset field.
   */
  readonly httpRbac?: RbacEngine;
  /** The network RBAC filter of TCP and TLS chains; unset likewise. */
  readonly tcpRbac?: RbacEngine;
  /** JWT authentication (RequestAuthentication); undefined when no policy applies. */
  readonly jwtAuthn?: JwtAuthnFilter;
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
  /** Key sets fetched from `jwksUri`, kept across configurations. Default: a store of this snapshot's own. */
  readonly jwks?: JwksStore;
}

/**
 * Builds a snapshot; rejects (with a readable reason) when TLS material read from files, or
 * clusters, cannot be built. A credential Secret's material that TLS refuses does not: see
 * {@link credentialTls}.
 */
export async function buildSnapshot(config: ProxyConfig, deps: SnapshotDeps): Promise<ProxySnapshot> {
  const listeners = new Map<string, ListenerRuntime>();
  const warnings: string[] = [];
  for (const l of config.listeners) {
    const listenPort = deps.listenPorts?.get(l.port) ?? l.listenPort;
    const address = deps.bind ?? l.address;
    const effective: Listener =
      listenPort === l.listenPort && address === l.address ? l : { ...l, listenPort, address };
    const runtime = await buildListener(effective, config.rbac, deps.previous, warnings);
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
  const httpRbac = config.rbac === undefined ? undefined : new RbacEngine(config.rbac.http);
  const tcpRbac = config.rbac === undefined ? undefined : new RbacEngine(config.rbac.tcp);
  let jwtAuthn: JwtAuthnFilter | undefined;
  if (config.jwtAuthn !== undefined) {
    jwtAuthn = new JwtAuthnFilter(config.jwtAuthn, deps.jwks ?? new JwksStore());
    jwtAuthn.prefetch();
  }
  return {
    config,
    listeners,
    clusters,
    warnings,
    ...(httpRbac === undefined || httpRbac.empty ? {} : { httpRbac }),
    ...(tcpRbac === undefined || tcpRbac.empty ? {} : { tcpRbac }),
    ...(jwtAuthn === undefined ? {} : { jwtAuthn }),
  };
}

async function buildListener(
  config: Listener,
  rbac: RbacConfig | undefined,
  previous: ProxySnapshot | undefined,
  warnings: string[],
): Promise<ListenerRuntime> {
  const chains: ChainRuntime[] = [];
  const byName = new Map<string, ChainRuntime>();
  // The chains refer back to it, so it is made first and its plain-text chain set once they are.
  const listener: { -readonly [K in keyof ListenerRuntime]: ListenerRuntime[K] } = {
    config,
    key: listenerKey(config),
    chains,
    byName,
    selectChain(serverName) {
      const fc = selectFilterChain(config, serverName);
      return fc === undefined ? undefined : byName.get(fc.name);
    },
    plainChain: undefined,
  };
  for (const configured of config.filterChains) {
    const where = `listener ${JSON.stringify(config.name)} filter chain ${JSON.stringify(configured.name)}`;
    let fc = configured;
    let tls: DownstreamTls | undefined;
    if (fc.tls !== undefined) {
      const kept = previous?.listeners.get(listener.key)?.byName.get(fc.name)?.tls;
      const built = await credentialTls(fc.tls, where, kept, warnings);
      if (built === undefined) fc = unavailable(fc);
      else tls = built;
    }
    const routes =
      fc.httpConnectionManager === undefined
        ? undefined
        : compileRouteConfig(fc.httpConnectionManager.routeConfig);
    const chain: ChainRuntime = {
      config: fc,
      listener,
      // Of the chain as configured: one whose Secret TLS refused is still the same chain.
      identity: filterChainIdentity(config, configured, rbac),
      drain: new FilterChainDrain(),
      ...(tls === undefined ? {} : { tls }),
      ...(routes === undefined ? {} : { routes }),
    };
    chains.push(chain);
    byName.set(fc.name, chain);
  }
  if (config.tlsInspector) {
    listener.plainChain = chains.find((c) => c.config.transport === "http" || c.config.transport === "tcp");
  }
  return listener;
}

/**
 * A chain's TLS. Material from a credential Secret that TLS refuses (a key that is not one, a
 * certificate that does not match its key) is what Envoy's SDS rejects: the chain keeps the
 * certificate it served (`kept`, when it served this Secret), or has none and its handshakes
 * fail, and every other chain is served as configured; undefined then, with a warning. Material
 * read from files refuses the configuration, as before.
 */
async function credentialTls(
  context: DownstreamTlsContext,
  where: string,
  kept: DownstreamTls | undefined,
  warnings: string[],
): Promise<DownstreamTls | undefined> {
  try {
    return await buildDownstreamTls(context, where);
  } catch (err) {
    if (context.credentialName === undefined) throw err;
    const reason = `${(err as Error).message} (Secret ${context.credentialName})`;
    if (kept !== undefined && kept.context.credentialName === context.credentialName) {
      warnings.push(`${reason}; the chain keeps serving the certificate it had`);
      return kept;
    }
    warnings.push(`${reason}; handshakes on the chain fail until the Secret is mended`);
    return undefined;
  }
}

/** A chain that cannot terminate TLS: its names stay, and its handshakes fail. */
function unavailable(fc: FilterChain): FilterChain {
  return { name: fc.name, serverNames: fc.serverNames, transport: "tls-unavailable", servers: fc.servers };
}
