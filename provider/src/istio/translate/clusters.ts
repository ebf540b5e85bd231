/**
 * Upstream clusters, one per destination host, port and subset (Istio's
 * `outbound|<port>|<subset>|<host>`): endpoints from ServiceEntries (static addresses filtered by
 * the subset's labels, or DNS names), else the host itself by DNS; policies (upstream TLS,
 * connect timeout, load balancing, circuit breakers, outlier detection) from the most specific
 * DestinationRule visible to the proxy.
 */
import { below } from "./field-path";
import { isExportedTo, namespaceOf, resolveShortHost, selectorMatches } from "../binding";
import { isIPAddress, isWildcard, subsetOf } from "../host";
import type {
  ClientTLSSettings,
  ConnectionPoolSettings,
  ConsistentHashLB,
  Destination,
  DestinationRule,
  H2UpgradePolicy,
  LoadBalancerSettings,
  OutlierDetection,
  ProxyProtocol,
  RouteDestination,
  ServiceEntry,
  Subset,
  TrafficPolicy,
  VirtualService,
} from "../model";
import { pathOf } from "../validate/path";
import type { TranslateContext } from "./context";
import { parseDurationMs } from "./duration";
import type { Cluster, Endpoint, HashPolicy, TcpProxySettings, UpstreamTlsContext } from "./proxy-config";
import { destinationPortProtocol, upstreamProtocolOf } from "./upstream-protocol";
import type { SecretStore } from "./secrets";
import { CA_SECRET_SUFFIX, secretCaBundle, secretKeyPair } from "./secrets";
import {
  circuitBreakersOf,
  hashPolicyOf,
  http2KeepaliveOf,
  httpProtocolOptionsOf,
  outlierDetectionOf,
  ringHashOf,
  tcpKeepaliveOf,
  tcpProxySettingsOf,
} from "./traffic-policy";

/** Envoy's default connect timeout, which Istio keeps. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Istio's cluster name. */
export function clusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

interface Candidate<T> {
  readonly resource: T;
  readonly host: string;
  readonly namespace: string;
  readonly order: number;
}

/** A DestinationRule with the scopes pilot files it under (`setDestinationRules`). */
interface RuleCandidate extends Candidate<DestinationRule> {
  /** Seen by proxies of its own namespace (`namespaceLocal`): no `exportTo`, or `*`, `.`, its namespace. */
  readonly local: boolean;
  /** Exported beyond its namespace (`exportedByNamespace`): anything but `.` or its namespace alone. */
  readonly exported: boolean;
}

/** Istio's `meshConfig.rootNamespace` by default: its exported DestinationRules apply mesh-wide. */
const ROOT_NAMESPACE = "istio-system";

/** The namespace of a Kubernetes Service's host (`name.namespace.svc.cluster.local`), if it is one. */
function kubernetesServiceNamespace(host: string): string | undefined {
  const labels = host.split(".");
  return labels.length === 5 && host.endsWith(".svc.cluster.local") ? labels[1] : undefined;
}

function creationOrder<T extends { metadata?: { creationTimestamp?: string } }>(items: readonly T[]): T[] {
  const t = (x: T) => {
    const ms = Date.parse(x.metadata?.creationTimestamp ?? "");
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  return items
    .map((item, i) => ({ item, i, t: t(item) }))
    .sort((a, b) => (a.t === b.t ? a.i - b.i : a.t < b.t ? -1 : 1))
    .map((x) => x.item);
}

/** True when `d` names a host (validation guarantees it; translation skips what it cannot route). */
export function hasHost(d: Destination | null | undefined): d is Destination {
  return d != null && typeof d.host === "string" && d.host !== "" && d.host !== "*";
}

/** Builds clusters on demand and remembers them by name. */
export class ClusterRegistry {
  private readonly built = new Map<string, Cluster>();
  private readonly destinationRules: RuleCandidate[];
  private readonly serviceEntries: Candidate<ServiceEntry>[];

  constructor(
    private readonly ctx: TranslateContext,
    private readonly secrets: SecretStore,
    destinationRules: readonly DestinationRule[],
    serviceEntries: readonly ServiceEntry[],
  ) {
    const ns = ctx.proxyNamespace;
    this.destinationRules = creationOrder(destinationRules)
      .filter((dr) => dr.spec?.host)
      .map((dr, order) => {
        const own = namespaceOf(dr);
        const exportTo = Array.isArray(dr.spec.exportTo) ? dr.spec.exportTo : [];
        return {
          resource: dr,
          host: resolveShortHost(dr.spec.host, own),
          namespace: own,
          order,
          local: exportTo.length === 0 || exportTo.some((e) => e === "*" || e === "." || e === own),
          exported: !(exportTo.length === 1 && (exportTo[0] === "." || exportTo[0] === own)),
        };
      });
    this.serviceEntries = creationOrder(serviceEntries)
      .filter((se) => isExportedTo(se.spec?.exportTo, namespaceOf(se), ns))
      .flatMap((se, order) =>
        (se.spec?.hosts ?? []).map((h) => ({
          resource: se,
          host: resolveShortHost(h, namespaceOf(se)),
          namespace: namespaceOf(se),
          order,
        })),
      );
  }

  /** Every cluster built so far, sorted by name. */
  clusters(): Cluster[] {
    return [...this.built.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The cluster of `destination` written in `vs` at `path` (for findings), building it when new.
   * Without `port`, a ServiceEntry with a single port gives it, else `defaultPort` (the server's).
   */
  clusterFor(destination: Destination, vs: VirtualService, path: string, defaultPort: number): string {
    const host = resolveShortHost(destination.host, namespaceOf(vs));
    const entry = this.best(this.serviceEntries, host);
    const entryPorts = entry?.resource.spec.ports ?? [];
    const port = destination.port?.number ?? (entryPorts.length === 1 ? entryPorts[0].number : defaultPort);
    const subsetName = destination.subset ?? "";
    const name = clusterName(port, subsetName, host);
    const rule = this.destinationRuleFor(host, entry?.namespace);
    let subset: Subset | undefined;
    if (subsetName !== "") {
      subset = rule?.resource.spec.subsets?.find((s) => s?.name === subsetName);
      if (subset === undefined) {
        this.ctx.report(
          vs,
          "IGW6014",
          below(path, "subset"),
          `must name a subset of a DestinationRule for ${JSON.stringify(host)} visible to namespace ${JSON.stringify(this.ctx.proxyNamespace)} (got ${JSON.stringify(subsetName)})`,
        );
      }
    }
    // Istio makes clusters of the subsets DestinationRules define only: a route to another names a
    // cluster Envoy does not have, and gets 503 NC.
    if (subsetName !== "" && subset === undefined) return name;
    const existing = this.built.get(name);
    if (existing !== undefined) return name;
    const sources: string[] = [];
    if (entry !== undefined)
      sources.push(`ServiceEntry ${entry.namespace}/${entry.resource.metadata?.name ?? ""}`);
    if (rule !== undefined)
      sources.push(`DestinationRule ${rule.namespace}/${rule.resource.metadata?.name ?? ""}`);
    const subsetLabels = { ...(subset?.labels ?? {}) };
    const subsetIndex = subset === undefined ? -1 : (rule?.resource.spec.subsets ?? []).indexOf(subset);
    const policy = this.policy(rule?.resource.spec.trafficPolicy, subset?.trafficPolicy, subsetIndex, port);
    const { type, endpoints } = this.endpoints(entry, host, port, subsetLabels, vs, path);
    const tls = rule === undefined ? undefined : this.upstreamTls(rule.resource, policy.tls, policy.tlsPath);
    const ringHash = ringHashOf(policy.loadBalancer);
    const circuitBreakers = circuitBreakersOf(policy.connectionPool);
    const httpProtocolOptions = httpProtocolOptionsOf(policy.connectionPool);
    const outlierDetection = outlierDetectionOf(policy.outlierDetection);
    const useClientProtocol = policy.connectionPool?.http?.useClientProtocol === true;
    const tcpProxy = tcpProxySettingsOf(rule?.resource.spec.trafficPolicy?.connectionPool);
    const tcpKeepalive = tcpKeepaliveOf(policy.connectionPool);
    // Istio's enum: V1 is its zero value, so an empty `proxyProtocol: {}` asks for V1.
    const proxyProtocol =
      policy.proxyProtocol === undefined ? undefined : (policy.proxyProtocol.version ?? "V1");
    // The client's version replaces whatever the port or an upgrade policy would choose.
    const upstreamProtocol = useClientProtocol
      ? "HTTP/1.1"
      : upstreamProtocolOf(
          destinationPortProtocol(entry?.resource.spec.ports?.find((p) => p?.number === port)),
          policy.h2UpgradePolicy,
        );
    // Istio writes PINGs into the HTTP/2 protocol options, which only HTTP/2 clusters have.
    const http2ConnectionKeepalive =
      upstreamProtocol === "HTTP/2" ? http2KeepaliveOf(policy.connectionPool) : undefined;
    const cluster: Cluster = {
      name,
      host,
      port,
      subset: subsetName,
      subsetLabels,
      ...(entry === undefined ? {} : { serviceNamespace: entry.namespace }),
      type,
      endpoints,
      ...(tls === undefined ? {} : { tls }),
      connectTimeoutMs: parseDurationMs(policy.connectTimeout) ?? DEFAULT_CONNECT_TIMEOUT_MS,
      lbPolicy: ringHash === undefined ? policy.lbPolicy : "RING_HASH",
      ...(ringHash === undefined ? {} : { ringHash }),
      ...(circuitBreakers === undefined ? {} : { circuitBreakers }),
      ...(httpProtocolOptions === undefined ? {} : { httpProtocolOptions }),
      ...(outlierDetection === undefined ? {} : { outlierDetection }),
      ...(tcpProxy === undefined ? {} : { tcpProxy }),
      ...(tcpKeepalive === undefined ? {} : { tcpKeepalive }),
      ...(http2ConnectionKeepalive === undefined ? {} : { http2ConnectionKeepalive }),
      upstreamProtocol,
      ...(useClientProtocol ? { useClientProtocol } : {}),
      ...(proxyProtocol === undefined ? {} : { proxyProtocol }),
      sources,
    };
    this.built.set(name, cluster);
    return name;
  }

  /**
   * The consistent hash of `destination` written in `vs` (Istio's `HashForHTTPDestination`), read
   * from the DestinationRule its cluster takes its policy from: the subset's `portLevelSettings`
   * entry for the destination's `port`, else the subset's, else the rule's `portLevelSettings`
   * entry for that port, else the rule's. Port-level settings count only when the destination
   * names its `port` (without it, Istio hashes as the rule or subset says, while the destination's
   * cluster still takes its load balancer from its port's settings). Undefined when none of them
   * has a `consistentHash`; `policy` is undefined when it names no key.
   */
  hashFor(destination: Destination, vs: VirtualService): { policy?: HashPolicy } | undefined {
    const host = resolveShortHost(destination.host, namespaceOf(vs));
    const entry = this.best(this.serviceEntries, host);
    const spec = this.destinationRuleFor(host, entry?.namespace)?.resource.spec;
    if (spec === undefined) return undefined;
    const port = destination.port?.number;
    const atPort = (p: TrafficPolicy | null | undefined): ConsistentHashLB | undefined =>
      port === undefined
        ? undefined
        : (p?.portLevelSettings?.find((s) => s?.port?.number === port)?.loadBalancer?.consistentHash ??
          undefined);
    const subset =
      destination.subset === undefined
        ? undefined
        : spec.subsets?.find((s) => s?.name === destination.subset)?.trafficPolicy;
    const hash =
      atPort(subset) ??
      subset?.loadBalancer?.consistentHash ??
      atPort(spec.trafficPolicy) ??
      spec.trafficPolicy?.loadBalancer?.consistentHash ??
      undefined;
    if (hash === undefined || hash === null) return undefined;
    const policy = hashPolicyOf(hash);
    return policy === undefined ? {} : { policy };
  }

  /**
   * The connection limits of a TCP proxy for `route` written in `vs`: those of the DestinationRule
   * of its first destination, at its top level only, as Istio's `tcp_proxy` reads them for every
   * destination of the rule (none of a subset's or a port's).
   */
  tcpProxySettingsFor(
    route: readonly (RouteDestination | null | undefined)[],
    vs: VirtualService,
  ): TcpProxySettings | undefined {
    return tcpProxySettingsOf(this.firstDestinationRule(route, vs)?.trafficPolicy?.connectionPool);
  }

  /** The DestinationRule of the first destination of `route` written in `vs`, which Istio's `tcp_proxy` reads. */
  private firstDestinationRule(
    route: readonly (RouteDestination | null | undefined)[],
    vs: VirtualService,
  ): DestinationRule["spec"] | undefined {
    const first = route[0]?.destination;
    if (!hasHost(first)) return undefined;
    const host = resolveShortHost(first.host, namespaceOf(vs));
    const entry = this.best(this.serviceEntries, host);
    return this.destinationRuleFor(host, entry?.namespace)?.resource.spec;
  }

  /**
   * Whether TCP connections routed by `route` written in `vs` hash on the client's IP address
   * (Istio's `maybeSetHashPolicy`): the DestinationRule of the first destination's host says
   * `useSourceIp` at its top level, unless the rule has that lone destination and it names a
   * subset with a `loadBalancer`, whose `consistentHash` then decides alone.
   */
  tcpHashesSourceIp(route: readonly (RouteDestination | null | undefined)[], vs: VirtualService): boolean {
    const spec = this.firstDestinationRule(route, vs);
    if (spec === undefined) return false;
    const first = route[0]!.destination!;
    let useSourceIp = spec.trafficPolicy?.loadBalancer?.consistentHash?.useSourceIp === true;
    // Istio reads the subset only for a lone destination; among several it looks for subset "".
    const subsetName = route.length === 1 ? first.subset : undefined;
    const subset = subsetName ? spec.subsets?.find((s) => s?.name === subsetName) : undefined;
    const lb = subset?.trafficPolicy?.loadBalancer;
    if (lb != null) useSourceIp = lb.consistentHash?.useSourceIp === true;
    return useSourceIp;
  }

  /**
   * The DestinationRule for `host` (of a service in `serviceNamespace`, when known), looked up as
   * pilot's `PushContext.destinationRule` does for a proxy in this namespace, each step taking the
   * most specific host: the proxy's own namespace first (in the root namespace, only the rules
   * private to it); then the rules the service's namespace exports to the proxy's; then those the
   * root namespace does. Rules in any other namespace never apply.
   */
  private destinationRuleFor(host: string, serviceNamespace: string | undefined): RuleCandidate | undefined {
    const proxyNs = this.ctx.proxyNamespace;
    const rules = this.destinationRules;
    const own =
      proxyNs === ROOT_NAMESPACE
        ? rules.filter((r) => r.namespace === ROOT_NAMESPACE && !r.exported)
        : rules.filter((r) => r.namespace === proxyNs && r.local);
    const first = this.best(own, host);
    if (first !== undefined) return first;
    const svcNs = serviceNamespace ?? kubernetesServiceNamespace(host);
    for (const ns of svcNs === undefined ? [ROOT_NAMESPACE] : [svcNs, ROOT_NAMESPACE]) {
      const match = this.best(
        rules.filter((r) => r.namespace === ns && r.exported),
        host,
      );
      // The most specific rule decides; one not exported to the proxy's namespace leaves the step empty.
      if (match !== undefined && isExportedTo(match.resource.spec.exportTo, ns, proxyNs)) return match;
    }
    return undefined;
  }

  /** The candidate for `host`: an exact host first, else the most specific wildcard; the proxy's namespace wins ties. */
  private best<C extends Candidate<unknown>>(candidates: readonly C[], host: string): C | undefined {
    const rank = (c: C) => (c.namespace === this.ctx.proxyNamespace ? 0 : 1);
    const pick = (list: C[]) =>
      list.sort((a, b) => b.host.length - a.host.length || rank(a) - rank(b) || a.order - b.order)[0];
    const exact = candidates.filter((c) => c.host === host);
    if (exact.length > 0) return pick(exact);
    return pick(candidates.filter((c) => isWildcard(c.host) && subsetOf(host, c.host)));
  }

  private policy(
    base: TrafficPolicy | undefined,
    subset: TrafficPolicy | undefined,
    subsetIndex: number,
    port: number,
  ): {
    tls?: ClientTLSSettings;
    tlsPath: string;
    connectTimeout?: string;
    lbPolicy: Cluster["lbPolicy"];
    h2UpgradePolicy?: H2UpgradePolicy;
    connectionPool?: ConnectionPoolSettings;
    outlierDetection?: OutlierDetection;
    loadBalancer?: LoadBalancerSettings;
    proxyProtocol?: ProxyProtocol;
  } {
    const atPort = (p: TrafficPolicy | undefined, path: string): [TrafficPolicy | undefined, string] => {
      const i = p?.portLevelSettings?.findIndex((s) => s?.port?.number === port) ?? -1;
      return [i < 0 ? undefined : p?.portLevelSettings?.[i], below(path, "portLevelSettings", i)];
    };
    const subsetPath = pathOf("spec", "subsets", subsetIndex, "trafficPolicy");
    const basePath = pathOf("spec", "trafficPolicy");
    // Most specific first: the subset's port settings, the subset, the rule's port settings, the rule.
    const layers: [TrafficPolicy | undefined, string][] = [
      atPort(subset, subsetPath),
      [subset, subsetPath],
      atPort(base, basePath),
      [base, basePath],
    ];
    // As Istio merges them (MergeSubsetTrafficPolicy): a matching port-level entry replaces its
    // policy wholesale, omitted fields falling back to defaults; a subset's field replaces the
    // rule's whole. Each of the four fields comes from one level, with the path it was read at.
    const [subsetPort, subsetPortPath] = layers[0]!;
    const [rulePort, rulePortPath] = layers[2]!;
    const whole = <K extends "connectionPool" | "outlierDetection" | "loadBalancer" | "tls">(
      field: K,
    ): [TrafficPolicy[K] | undefined, string] => {
      if (subsetPort !== undefined) return [subsetPort[field] ?? undefined, subsetPortPath];
      if (subset?.[field] != null) return [subset[field], subsetPath];
      if (rulePort !== undefined) return [rulePort[field] ?? undefined, rulePortPath];
      return [base?.[field] ?? undefined, basePath];
    };
    const [connectionPool] = whole("connectionPool");
    const [outlierDetection] = whole("outlierDetection");
    const [loadBalancer] = whole("loadBalancer");
    const [tls, tlsAt] = whole("tls");
    // A subset's replaces the rule's; port-level settings have no such field in Istio's API.
    const proxyProtocol = subset?.proxyProtocol ?? base?.proxyProtocol ?? undefined;
    const connectTimeout = connectionPool?.tcp?.connectTimeout ?? undefined;
    const h2UpgradePolicy = connectionPool?.http?.h2UpgradePolicy ?? undefined;
    const simple = loadBalancer?.simple;
    const lbPolicy: Cluster["lbPolicy"] =
      simple === "ROUND_ROBIN" || simple === "PASSTHROUGH"
        ? "ROUND_ROBIN"
        : simple === "RANDOM"
          ? "RANDOM"
          : "LEAST_REQUEST";
    return {
      ...(connectionPool == null ? {} : { connectionPool }),
      ...(outlierDetection == null ? {} : { outlierDetection }),
      ...(loadBalancer == null ? {} : { loadBalancer }),
      ...(tls == null ? {} : { tls }),
      tlsPath: below(tlsAt, "tls"),
      ...(connectTimeout === undefined ? {} : { connectTimeout }),
      lbPolicy,
      ...(h2UpgradePolicy === undefined ? {} : { h2UpgradePolicy }),
      ...(proxyProtocol == null ? {} : { proxyProtocol }),
    };
  }

  private endpoints(
    entry: Candidate<ServiceEntry> | undefined,
    host: string,
    port: number,
    subsetLabels: Readonly<Record<string, string>>,
    vs: VirtualService,
    path: string,
  ): { type: Cluster["type"]; endpoints: Endpoint[] } {
    if (entry === undefined) {
      return {
        type: isIPAddress(host) ? "STATIC" : "STRICT_DNS",
        endpoints: [{ address: host, port, weight: 1 }],
      };
    }
    const spec = entry.resource.spec;
    const servicePort = (spec.ports ?? []).find((p) => p?.number === port);
    if (servicePort === undefined) {
      this.ctx.report(
        vs,
        "IGW6017",
        below(path, "port"),
        `must be a port of ServiceEntry ${JSON.stringify(`${entry.namespace}/${entry.resource.metadata?.name ?? ""}`)} (got ${port})`,
      );
      return { type: "STRICT_DNS", endpoints: [] };
    }
    const targetPort = servicePort.targetPort ?? port;
    const resolution = spec.resolution ?? "NONE";
    const listed = spec.endpoints ?? [];
    if (
      (resolution === "STATIC" || resolution === "DNS" || resolution === "DNS_ROUND_ROBIN") &&
      listed.length > 0
    ) {
      const endpoints = listed
        .filter((e) => e?.address && selectorMatches(subsetLabels, e.labels ?? {}))
        .map((e) => ({
          address: e.address as string,
          port: e.ports?.[servicePort.name] ?? targetPort,
          weight: e.weight !== undefined && e.weight > 0 ? e.weight : 1,
        }));
      return { type: resolution === "STATIC" ? "STATIC" : "STRICT_DNS", endpoints };
    }
    // NONE, DNS without endpoints, DYNAMIC_DNS: the host itself (a wildcard host cannot be resolved).
    if (isWildcard(host)) return { type: "STRICT_DNS", endpoints: [] };
    return {
      type: isIPAddress(host) ? "STATIC" : "STRICT_DNS",
      endpoints: [{ address: host, port: targetPort, weight: 1 }],
    };
  }

  private upstreamTls(
    rule: DestinationRule,
    tls: ClientTLSSettings | undefined,
    tlsPath: string,
  ): UpstreamTlsContext | undefined {
    if (tls === undefined || tls.mode === undefined || tls.mode === "DISABLE") return undefined;
    if (tls.mode === "ISTIO_MUTUAL") {
      this.ctx.report(
        rule,
        "IGW6015",
        below(tlsPath, "mode"),
        `must not be "ISTIO_MUTUAL": it needs Istio's mesh identity, which this proxy does not have, so requests go to the destination in plain text (got "ISTIO_MUTUAL")`,
      );
      return undefined;
    }
    const out: {
      -readonly [K in keyof UpstreamTlsContext]: UpstreamTlsContext[K];
    } = {
      mode: tls.mode,
      // Istio's setAutoSniAndAutoSanValidation: without `sni`, Envoy takes the request's authority.
      ...(tls.sni ? { sni: tls.sni } : {}),
      autoSanValidation:
        !tls.sni && (tls.subjectAltNames ?? []).length === 0 && tls.insecureSkipVerify !== true,
      subjectAltNames: [...(tls.subjectAltNames ?? [])],
      insecureSkipVerify: tls.insecureSkipVerify === true,
      alpn: [],
    };
    if (tls.credentialName) {
      const { ref, secret } = this.secrets.credential(tls.credentialName);
      // Istio's SDS reads the CA from `<name>-cacert`, else from `<name>` (GetCaCert), and the
      // client key pair from `<name>`: SIMPLE needs no more than the -cacert Secret.
      const caSecret = this.secrets.credential(tls.credentialName + CA_SECRET_SUFFIX).secret ?? secret;
      if (secret === undefined && (tls.mode === "MUTUAL" || caSecret === undefined)) {
        this.ctx.report(
          rule,
          "IGW6016",
          below(tlsPath, "credentialName"),
          this.secrets.whyMissing(tls.credentialName, ref),
        );
      } else {
        const pair = secret === undefined ? undefined : secretKeyPair(secret);
        if (pair !== undefined && tls.mode === "MUTUAL") out.certificate = pair;
        const ca = caSecret === undefined ? undefined : secretCaBundle(caSecret)?.ca;
        if (ca !== undefined) out.caCertificates = ca;
      }
    } else {
      if (tls.mode === "MUTUAL" && tls.clientCertificate && tls.privateKey) {
        out.certificate = {
          certificateChain: { filename: tls.clientCertificate },
          privateKey: { filename: tls.privateKey },
        };
      }
      if (tls.caCertificates) out.caCertificates = { filename: tls.caCertificates };
    }
    return out;
  }
}
