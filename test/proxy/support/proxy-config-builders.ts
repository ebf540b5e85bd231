/**
 * Small builders for hand-written {@link ProxyConfig}s, so runtime behaviour is tested on exact
 * inputs independently of translation.
 */
import type {
  Cluster,
  DownstreamTlsContext,
  FilterChain,
  HeaderOperationsPair,
  Listener,
  ProxyConfig,
  Route,
  RouteAction,
  RouteMatch,
  VirtualHost,
} from "../../../provider/src/istio/translate/proxy-config";

/** No header operations. */
export const NO_HEADERS: HeaderOperationsPair = {
  request: { set: [], add: [], remove: [] },
  response: { set: [], add: [], remove: [] },
};

/** A match on everything, with overrides. */
export function match(m: Partial<RouteMatch> = {}): RouteMatch {
  return { ignoreUriCase: false, headers: [], withoutHeaders: [], queryParams: [], ...m };
}

/** A route. */
export function route(name: string, action: RouteAction, extra: Partial<Route> = {}): Route {
  return {
    name,
    match: match(),
    action,
    headers: NO_HEADERS,
    metadata: { virtualService: "default/test", ruleIndex: 0, matchIndex: -1 },
    ...extra,
  };
}

/** A forwarding action to one cluster. */
export function forward(
  cluster: string,
  extra: Partial<Extract<RouteAction, { kind: "route" }>> = {},
): RouteAction {
  return { kind: "route", clusters: [{ cluster, weight: 1, headers: NO_HEADERS }], mirrors: [], ...extra };
}

/** A virtual host. */
export function vhost(name: string, domains: string[], routes: Route[], requireTls = false): VirtualHost {
  return { name, domains, requireTls, routes };
}

/** A plain HTTP listener on `port` (listening on 0). */
export function httpListener(
  port: number,
  virtualHosts: VirtualHost[],
  codec: "auto" | "http1" = "http1",
): Listener {
  const chain: FilterChain = {
    name: `http.${port}`,
    serverNames: [],
    transport: "http",
    httpConnectionManager: { scheme: "http", codec, routeConfig: { name: `http.${port}`, virtualHosts } },
    servers: [],
  };
  return {
    name: `127.0.0.1_${port}`,
    address: "127.0.0.1",
    port,
    listenPort: 0,
    tlsInspector: false,
    filterChains: [chain],
  };
}

/** A cluster with static endpoints. */
export function cluster(
  name: string,
  endpoints: { address: string; port: number }[],
  extra: Partial<Cluster> = {},
): Cluster {
  return {
    name,
    host: name.split("|")[3] ?? name,
    port: Number(name.split("|")[1] ?? 80),
    subset: name.split("|")[2] ?? "",
    subsetLabels: {},
    type: "STATIC",
    endpoints: endpoints.map((e) => ({ ...e, weight: 1 })),
    connectTimeoutMs: 1000,
    lbPolicy: "ROUND_ROBIN",
    upstreamProtocol: "HTTP/1.1",
    sources: [],
    ...extra,
  };
}

/** A whole configuration. */
export function proxyConfig(version: string, listeners: Listener[], clusters: Cluster[]): ProxyConfig {
  return { version, listeners, clusters };
}

/** Downstream TLS with inline PEM. */
export function downstreamTls(
  cert: string,
  key: string,
  extra: Partial<DownstreamTlsContext> = {},
): DownstreamTlsContext {
  return {
    mode: "SIMPLE",
    certificates: [
      { certificateChain: { inline: cert, origin: "test" }, privateKey: { inline: key, origin: "test" } },
    ],
    requireClientCertificate: false,
    subjectAltNames: [],
    verifyCertificateSpki: [],
    verifyCertificateHash: [],
    insecureSkipVerify: false,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    cipherSuites: [],
    alpn: ["h2", "http/1.1"],
    ...extra,
  };
}

/** An HTTPS filter chain serving `serverNames` with `tls`, routing with `virtualHosts`. */
export function httpsChain(
  name: string,
  serverNames: string[],
  tls: DownstreamTlsContext,
  virtualHosts: VirtualHost[],
): FilterChain {
  return {
    name,
    serverNames,
    transport: "https",
    tls,
    httpConnectionManager: { scheme: "https", codec: "auto", routeConfig: { name, virtualHosts } },
    servers: [],
  };
}

/** A TLS listener (SNI inspected) on Gateway port `port`, listening on 0. */
export function tlsListener(port: number, filterChains: FilterChain[]): Listener {
  return {
    name: `127.0.0.1_${port}`,
    address: "127.0.0.1",
    port,
    listenPort: 0,
    tlsInspector: true,
    filterChains,
  };
}
