/**
 * Which VirtualServices bind to which Gateway servers, as Istio's pilot decides it at runtime
 * (gateway references, exportTo, server host scoping, host intersection, route blocks, match
 * ports and gateways), and why a VirtualService does not bind where it asks to.
 *
 * Built once from every Gateway and VirtualService: gateway references resolve through a map and
 * server hosts through a per-Gateway {@link ServerHostIndex}, so the cost grows with the number of
 * references and hosts, not with Gateways × VirtualServices.
 */
import { listOf, stringsOf } from "./list";
import { matches, sanitizeServerHosts, subsetOf } from "../host";
import { routeBlockFor, serverKind } from "../model";
import type {
  Gateway,
  HTTPMatchRequest,
  L4MatchAttributes,
  Server,
  ServerKind,
  TLSMatchAttributes,
  VirtualService,
} from "../model";
import { MESH_GATEWAY, effectiveGateways, keyOf, namespaceOf, resolveGatewayName } from "./gateway-reference";
import { ServerHostIndex } from "./host-index";
import type { IndexedServerHost } from "./host-index";
import { resolveShortHost } from "./short-host";
import { Visibility, visibilityFrom } from "./visibility";

/** The VirtualService block a server is routed by. */
export type RouteBlock = "http" | "tls" | "tcp";

/** The namespace of gateway pods when nothing says otherwise: where Istio installs its ingress gateway. */
export const DEFAULT_GATEWAY_NAMESPACE = "istio-system";

/** Why a VirtualService does not bind to a Gateway it names. */
export const UnboundReason = {
  /** No Gateway with the resolved `<namespace>/<name>` exists. */
  GATEWAY_NOT_FOUND: "GatewayNotFound",
  /** The VirtualService's `exportTo` does not include the namespace of any pod of the Gateway. */
  NOT_EXPORTED: "NotExported",
  /** No host of any server, as visible to the VirtualService's namespace, overlaps its hosts. */
  NO_HOST_OVERLAP: "NoHostOverlap",
  /** Hosts overlap, but the VirtualService has no rules in the block those servers use. */
  NO_ROUTE_BLOCK: "NoRouteBlock",
  /** Rules of the right block exist, but every one is excluded by `match.port` or `match.gateways`. */
  NO_APPLICABLE_ROUTE: "NoApplicableRoute",
} as const;
export type UnboundReason = (typeof UnboundReason)[keyof typeof UnboundReason];

/** A server of a named Gateway whose visible hosts overlap a VirtualService's hosts. */
export interface ServerMatch {
  /** Index of the server in the Gateway's `spec.servers`. */
  readonly serverIndex: number;
  /** How the server handles traffic. */
  readonly kind: ServerKind;
  /** The VirtualService block the server uses; undefined for AUTO_PASSTHROUGH and unsupported protocols. */
  readonly block: RouteBlock | undefined;
  /**
   * For `http`: the intersection of the visible server hosts and the VirtualService hosts (the
   * virtual host domains, narrower name of each pair, Istio's order). For `tls`/`tcp` (and
   * servers without a block): the VirtualService hosts that match a visible server host.
   */
  readonly hosts: readonly string[];
  /**
   * Indexes into `spec[block]` of the rules that can apply on this server: no `match`, or at least
   * one match whose `port` (when set) is the server's port and whose `gateways` (when set) name
   * this Gateway. `sourceLabels` and `sourceNamespace` depend on the pod and are not considered.
   */
  readonly routes: readonly number[];
}

/** A VirtualService bound to one server of one Gateway. */
export interface Binding extends ServerMatch {
  /** `<namespace>/<name>` of the Gateway. */
  readonly gateway: string;
  /** The VirtualService. */
  readonly virtualService: VirtualService;
  /** The bound block (never undefined in a binding). */
  readonly block: RouteBlock;
}

/** What became of one entry of a VirtualService's `spec.gateways`. */
export interface GatewayAttachment {
  /** The VirtualService. */
  readonly virtualService: VirtualService;
  /** Index of the entry in `spec.gateways`; -1 never occurs (`mesh` entries are not listed). */
  readonly gatewayIndex: number;
  /** The entry as written. */
  readonly reference: string;
  /** The entry resolved to `<namespace>/<name>`. */
  readonly gateway: string;
  /** True when the Gateway exists. */
  readonly found: boolean;
  /** True when the VirtualService is exported to the namespace of some pod of the Gateway. */
  readonly exported: boolean;
  /** True when an earlier entry of the same list resolved to the same Gateway (this one adds nothing). */
  readonly duplicate: boolean;
  /** Servers whose visible hosts overlap the VirtualService's hosts, in server order. */
  readonly servers: readonly ServerMatch[];
  /** The servers the VirtualService binds to through this entry. */
  readonly bindings: readonly Binding[];
  /** Why nothing binds; undefined when something does (or the entry is a duplicate). */
  readonly unbound: UnboundReason | undefined;
}

/** Inputs of {@link buildGatewayBindings}. */
export interface GatewayBindingsInput {
  /** Every Gateway; when two share `<namespace>/<name>`, the first counts. */
  readonly gateways: readonly Gateway[];
  /** Every VirtualService. */
  readonly virtualServices: readonly VirtualService[];
  /**
   * Namespaces of the pods serving each Gateway, for `exportTo` (BIND-3). Default: every Gateway
   * is served from {@link gatewayNamespace}. A VirtualService binds when exported to any of them.
   */
  readonly podNamespaces?: (gateway: Gateway) => readonly string[];
  /** The gateway pod namespace used when `podNamespaces` is not given. Default `istio-system`. */
  readonly gatewayNamespace?: string;
}

interface GatewayEntry {
  readonly key: string;
  readonly gateway: Gateway;
  readonly namespace: string;
  readonly podNamespaces: readonly string[];
  readonly servers: readonly Server[];
  readonly kinds: readonly ServerKind[];
  readonly index: ServerHostIndex;
}

/**
 * The VirtualServices in Istio's precedence (pilot's `sortConfigByCreationTime`): older
 * `creationTimestamp` first, then by name, then by namespace. Kubernetes keeps creation times to
 * the second, so objects applied together often tie, and files rarely carry one at all: the name
 * decides then, not the order of the files.
 */
function byCreation(virtualServices: readonly VirtualService[]): VirtualService[] {
  const time = (vs: VirtualService): number => {
    const t = vs.metadata?.creationTimestamp;
    const ms = t === undefined ? Number.NaN : Date.parse(t);
    // Without a timestamp an object counts as oldest, as Go's zero time does.
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  const text = (s: string | undefined): string => s ?? "";
  const keyed = virtualServices.map((vs) => ({ vs, t: time(vs) }));
  keyed.sort((a, b) => {
    if (a.t !== b.t) return a.t < b.t ? -1 : 1;
    return (
      compareText(text(a.vs.metadata?.name), text(b.vs.metadata?.name)) ||
      compareText(namespaceOf(a.vs), namespaceOf(b.vs))
    );
  });
  return keyed.map((k) => k.vs);
}

/** Go's `cmp.Compare` on strings: by UTF-16 code units, which orders ASCII names as bytes do. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type AnyMatch = HTTPMatchRequest | L4MatchAttributes | TLSMatchAttributes;

/** True when a route match can apply on a server with this port, built for gateway `gateway`. */
export function matchApplies(
  match: Pick<AnyMatch, "port" | "gateways">,
  port: number,
  gateway: string,
  vsNamespace: string,
): boolean {
  if (match.port !== undefined && match.port !== 0 && match.port !== port) return false;
  const gateways = match.gateways;
  if (gateways === undefined || gateways.length === 0) return true;
  for (const g of gateways) if (resolveGatewayName(g, vsNamespace) === gateway) return true;
  return false;
}

/** Indexes of the rules of `block` that can apply on a server with `port` of `gateway`. */
export function applicableRoutes(
  vs: VirtualService,
  block: RouteBlock,
  port: number,
  gateway: string,
): number[] {
  return [...routesApplying(vs, block, port, gateway, namespaceOf(vs))];
}

/** `[0, 1, ..., n-1]`, shared: most rule lists apply whole, and nothing changes a binding's list. */
const ALL_ROUTES: Array<readonly number[]> = [];
function allRoutes(n: number): readonly number[] {
  let list = ALL_ROUTES[n];
  if (list === undefined) ALL_ROUTES[n] = list = Object.freeze(Array.from({ length: n }, (_, i) => i));
  return list;
}

function routesApplying(
  vs: VirtualService,
  block: RouteBlock,
  port: number,
  gateway: string,
  ns: string,
): readonly number[] {
  const rules: ReadonlyArray<{ match?: ReadonlyArray<AnyMatch | undefined> } | undefined> = listOf(
    vs.spec?.[block],
  );
  const out: number[] = [];
  for (let i = 0; i < rules.length; i++) {
    const ms = rules[i]?.match;
    if (!Array.isArray(ms) || ms.length === 0) {
      out.push(i);
      continue;
    }
    for (const m of ms) {
      if (matchApplies(m ?? {}, port, gateway, ns)) {
        out.push(i);
        break;
      }
    }
  }
  return out.length === rules.length && rules.length <= MAX_SHARED_ROUTES ? allRoutes(out.length) : out;
}

/** Longer lists are not worth keeping for sharing. */
const MAX_SHARED_ROUTES = 64;

/**
 * The binding of every VirtualService to every Gateway server, and the reasons for the bindings a
 * VirtualService asks for and does not get. Immutable once built.
 */
export class GatewayBindings {
  private readonly byServer = new Map<string, Binding[][]>();
  private readonly byVirtualService = new Map<VirtualService, GatewayAttachment[]>();
  private readonly attachmentList: GatewayAttachment[] = [];
  private readonly visibility = new Map<Binding, Visibility>();

  /** @internal use {@link buildGatewayBindings}. */
  constructor(private readonly entries: ReadonlyMap<string, GatewayEntry>) {
    for (const e of entries.values())
      this.byServer.set(
        e.key,
        e.servers.map(() => []),
      );
  }

  /** The Gateway with this `<namespace>/<name>`, if any. */
  gateway(key: string): Gateway | undefined {
    return this.entries.get(key)?.gateway;
  }

  /** `<namespace>/<name>` of every Gateway, in input order. */
  gatewayKeys(): string[] {
    return [...this.entries.keys()];
  }

  /** The namespaces of the pods serving the Gateway (for exportTo and credentialName). */
  podNamespacesOf(key: string): readonly string[] {
    return this.entries.get(key)?.podNamespaces ?? [];
  }

  /** The VirtualServices bound to server `serverIndex` of Gateway `key`, in precedence order. */
  bindingsFor(key: string, serverIndex: number): readonly Binding[] {
    return this.byServer.get(key)?.[serverIndex] ?? [];
  }

  /** What became of each non-`mesh` entry of the VirtualService's `spec.gateways`. */
  attachmentsOf(vs: VirtualService): readonly GatewayAttachment[] {
    return this.byVirtualService.get(vs) ?? [];
  }

  /** Every attachment of every VirtualService, in precedence order. */
  attachments(): readonly GatewayAttachment[] {
    return this.attachmentList;
  }

  /**
   * @internal Attachments come in creation order; `visibility` is the VirtualService's from the
   * gateway's pods ({@link visibilityFrom}), which orders bindings before creation does.
   */
  add(attachment: GatewayAttachment, visibility = Visibility.PUBLIC): void {
    this.attachmentList.push(attachment);
    const list = this.byVirtualService.get(attachment.virtualService);
    if (list === undefined) this.byVirtualService.set(attachment.virtualService, [attachment]);
    else list.push(attachment);
    const servers = this.byServer.get(attachment.gateway);
    if (servers === undefined) return;
    for (const b of attachment.bindings) {
      servers[b.serverIndex]!.push(b);
      this.visibility.set(b, visibility);
    }
  }

  /** @internal Puts each server's bindings in pilot's order: by visibility, then as added. */
  seal(): void {
    const rank = (b: Binding): number => this.visibility.get(b) ?? Visibility.PUBLIC;
    // Array.prototype.sort is stable: within a visibility, creation order stays.
    for (const servers of this.byServer.values())
      for (const list of servers) list.sort((a, b) => rank(a) - rank(b));
  }
}

/** A stand-in for a server too malformed to classify: no hosts, so nothing binds to it. */
const MALFORMED_SERVER: Server = Object.freeze({ port: { number: 0, protocol: "", name: "" }, hosts: [] });

function isServer(s: unknown): s is Server {
  if (s === null || typeof s !== "object") return false;
  const port = (s as Server).port;
  return (
    port === undefined ||
    (port !== null &&
      typeof port === "object" &&
      (port.protocol === undefined || typeof port.protocol === "string"))
  );
}

/** Builds the {@link GatewayBindings} of a set of Gateways and VirtualServices. */
export function buildGatewayBindings(input: GatewayBindingsInput): GatewayBindings {
  const defaultNamespaces = [input.gatewayNamespace ?? DEFAULT_GATEWAY_NAMESPACE];
  const entries = new Map<string, GatewayEntry>();
  for (const gateway of input.gateways) {
    const key = keyOf(gateway);
    if (entries.has(key)) continue;
    const namespace = namespaceOf(gateway);
    // Keep every position, so server indexes are those of spec.servers; a malformed server serves nothing.
    const servers = listOf(gateway.spec?.servers).map((s) => (isServer(s) ? s : MALFORMED_SERVER));
    entries.set(key, {
      key,
      gateway,
      namespace,
      podNamespaces: input.podNamespaces?.(gateway) ?? defaultNamespaces,
      servers,
      kinds: servers.map((s) => serverKind(s)),
      index: new ServerHostIndex(servers.map((s) => sanitizeServerHosts(stringsOf(s.hosts), namespace))),
    });
  }
  const result = new GatewayBindings(entries);
  for (const vs of byCreation(input.virtualServices)) {
    const ns = namespaceOf(vs);
    const written = listOf(vs.spec?.hosts);
    const hosts: string[] = [];
    for (const h of written) if (typeof h === "string") hosts.push(resolveShortHost(h, ns));
    const references = effectiveGateways(vs);
    const seen: string[] = [];
    for (let gatewayIndex = 0; gatewayIndex < references.length; gatewayIndex++) {
      const reference = references[gatewayIndex]!;
      if (typeof reference !== "string" || reference === MESH_GATEWAY) continue;
      const key = resolveGatewayName(reference, ns);
      const duplicate = seen.includes(key);
      seen.push(key);
      const entry = entries.get(key);
      if (entry === undefined) {
        result.add({
          virtualService: vs,
          gatewayIndex,
          reference,
          gateway: key,
          duplicate,
          found: false,
          exported: false,
          servers: NO_SERVERS,
          bindings: NO_BINDINGS,
          unbound: UnboundReason.GATEWAY_NOT_FOUND,
        });
        continue;
      }
      let visibility: Visibility | undefined;
      for (const pns of entry.podNamespaces) {
        const v = visibilityFrom(vs.spec?.exportTo, ns, pns);
        if (v !== undefined && (visibility === undefined || v < visibility)) visibility = v;
      }
      const exported = visibility !== undefined;
      const servers = matchServers(entry, vs, ns, hosts);
      let bindings: readonly Binding[] = NO_BINDINGS;
      if (exported && !duplicate && servers.length > 0) {
        const list: Binding[] = [];
        bindings = list;
        for (const m of servers) {
          if (m.block !== undefined && m.routes.length > 0) {
            list.push(m as Binding);
          }
        }
      }
      result.add(
        {
          virtualService: vs,
          gatewayIndex,
          reference,
          gateway: key,
          duplicate,
          found: true,
          exported,
          servers,
          bindings,
          unbound: duplicate || bindings.length > 0 ? undefined : unboundReason(vs, exported, servers),
        },
        visibility,
      );
    }
  }
  result.seal();
  return result;
}

function unboundReason(
  vs: VirtualService,
  exported: boolean,
  servers: readonly ServerMatch[],
): UnboundReason {
  if (servers.length === 0) return UnboundReason.NO_HOST_OVERLAP;
  const withBlock = servers.filter((m) => m.block !== undefined && (vs.spec?.[m.block]?.length ?? 0) > 0);
  if (withBlock.length === 0) return UnboundReason.NO_ROUTE_BLOCK;
  if (!exported) return UnboundReason.NOT_EXPORTED;
  return UnboundReason.NO_APPLICABLE_ROUTE;
}

/** One overlapping pair: a server host (by server and position) and a VirtualService host (by position). */
interface Overlap {
  readonly serverIndex: number;
  readonly position: number;
  readonly vsPosition: number;
  readonly server: string;
}

/** Istio's order for HTTP: server hosts, then VirtualService hosts. */
function byServerHost(a: Overlap, b: Overlap): number {
  return a.serverIndex - b.serverIndex || a.position - b.position || a.vsPosition - b.vsPosition;
}

/** The order for TCP and TLS: VirtualService hosts. */
function byVirtualServiceHost(a: Overlap, b: Overlap): number {
  return a.vsPosition - b.vsPosition || a.position - b.position;
}

const NO_SERVERS: readonly ServerMatch[] = Object.freeze([]);
const NO_BINDINGS: readonly Binding[] = Object.freeze([]);

/** The servers of `entry` whose hosts visible to `ns` overlap the (expanded) VirtualService hosts. */
function matchServers(
  entry: GatewayEntry,
  vs: VirtualService,
  ns: string,
  hosts: readonly string[],
): readonly ServerMatch[] {
  const overlaps: Overlap[] = [];
  const candidates: IndexedServerHost[] = [];
  for (let vsPosition = 0; vsPosition < hosts.length; vsPosition++) {
    const h = hosts[vsPosition]!;
    candidates.length = 0;
    entry.index.candidates(h, ns, candidates);
    for (const c of candidates) {
      if (matches(c.name, h))
        overlaps.push({ serverIndex: c.serverIndex, position: c.position, vsPosition, server: c.name });
    }
  }
  if (overlaps.length === 0) return NO_SERVERS;
  overlaps.sort(byServerHost);
  const out: ServerMatch[] = [];
  for (let start = 0; start < overlaps.length;) {
    const serverIndex = overlaps[start]!.serverIndex;
    let end = start + 1;
    while (end < overlaps.length && overlaps[end]!.serverIndex === serverIndex) end++;
    const group = overlaps.slice(start, end);
    start = end;
    const kind = entry.kinds[serverIndex]!;
    const block = routeBlockFor(kind);
    const matched: string[] = [];
    if (block === "http") {
      for (const p of group) {
        // Names.Intersection of one pair: the narrower name, when one contains the other.
        const vsHost = hosts[p.vsPosition]!;
        if (subsetOf(p.server, vsHost)) matched.push(p.server);
        else if (subsetOf(vsHost, p.server)) matched.push(vsHost);
      }
    } else {
      group.sort(byVirtualServiceHost);
      for (const p of group) matched.push(hosts[p.vsPosition]!);
    }
    const port = entry.servers[serverIndex]!.port?.number ?? 0;
    const routes = block === undefined ? [] : routesApplying(vs, block, port, entry.key, ns);
    // Every match is built as a complete Binding, so the bound ones need no copy.
    const match: Binding | ServerMatch = {
      serverIndex,
      kind,
      block: block as RouteBlock,
      hosts: matched.length > 1 ? dedupe(matched) : matched,
      routes,
      gateway: entry.key,
      virtualService: vs,
    };
    out.push(match);
  }
  return out;
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}
