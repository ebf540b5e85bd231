/**
 * Clusters at run time: each {@link Cluster} of a configuration with its endpoints resolved to
 * socket addresses and a load-balancing pick. Connection pools (undici for HTTP/1.1, node:http2
 * sessions for HTTP/2 and gRPC) belong to {@link UpstreamPools} and outlive configurations, so a
 * reload that keeps an endpoint keeps its warm keep-alive connections.
 */
import http2 from "node:http2";
import type tls from "node:tls";
import { Pool } from "undici";
import type { Cluster } from "../../istio/translate/proxy-config";
import type { HttpStats, MetricsDestination, ProxyMetrics, TcpStats } from "../observability/metrics";
import { buildUpstreamTls } from "../tls/secure-context";
import type { EndpointResolver } from "./endpoint-resolver";

/** One resolved endpoint of a cluster, with its pools. */
export interface UpstreamEndpoint {
  /** `ip:port` (IPv6 in brackets), as access logs print `upstream_host`. */
  readonly hostPort: string;
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
  /** TLS towards the endpoint, when the cluster originates TLS. */
  readonly tls?: tls.ConnectionOptions;
  /** The HTTP/1.1 keep-alive pool. */
  readonly pool: Pool;
  /** The HTTP/2 session (h2c or h2 over TLS), opened on first use and reopened when closed. */
  h2(): http2.ClientHttp2Session;
}

/** A cluster ready to serve. */
export interface ClusterRuntime {
  /** The configuration. */
  readonly config: Cluster;
  /** Resolved endpoints; empty = 503 no healthy upstream. */
  readonly endpoints: readonly UpstreamEndpoint[];
  /** Labels for metrics. */
  readonly destination: MetricsDestination;
  /** HTTP/1.1 request stats. */
  readonly httpStats: HttpStats;
  /** gRPC request stats. */
  readonly grpcStats: HttpStats;
  /** HTTP/2 request stats. */
  readonly http2Stats: HttpStats;
  /** TCP stats. */
  readonly tcpStats: TcpStats;
  /** Picks an endpoint by the cluster's policy; undefined when there is none. */
  pick(): UpstreamEndpoint | undefined;
}

/** Connection pools keyed by endpoint and TLS settings, shared across configurations. */
export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamEndpoint>();
  private closed = false;

  /** The endpoint object for an address and TLS settings, created on first use. */
  endpoint(
    ip: string,
    port: number,
    connectTimeoutMs: number,
    tlsOptions: tls.ConnectionOptions | undefined,
    tlsKey: string,
  ): UpstreamEndpoint {
    const hostPort = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
    const key = `${hostPort}|${connectTimeoutMs}|${tlsKey}`;
    let ep = this.pools.get(key);
    if (ep !== undefined) return ep;
    const scheme = tlsOptions === undefined ? "http" : "https";
    const origin = `${scheme}://${hostPort}`;
    const pool = new Pool(origin, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: connectTimeoutMs,
      strictContentLength: true,
      connect: tlsOptions === undefined ? undefined : { ...tlsOptions },
    });
    let session: http2.ClientHttp2Session | undefined;
    const closedFlag = () => this.closed;
    ep = {
      hostPort,
      ip,
      port,
      tls: tlsOptions,
      pool,
      h2() {
        if (session !== undefined && !session.closed && !session.destroyed) return session;
        if (closedFlag()) throw new Error("upstream pools are closed");
        const s = http2.connect(
          origin,
          tlsOptions === undefined ? {} : { ...tlsOptions, ALPNProtocols: ["h2"] },
        );
        s.on("error", () => {}); // stream errors surface on the streams themselves
        s.setTimeout(60_000, () => s.close());
        s.unref();
        session = s;
        return s;
      },
    };
    this.pools.set(key, ep);
    return ep;
  }

  /** Closes every pool and session (at shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(
      all.map(async (ep) => {
        await ep.pool.destroy();
      }),
    );
  }
}

/** Builds the run-time clusters of a configuration: resolves endpoints and reads upstream TLS material. */
export async function buildClusters(
  clusters: readonly Cluster[],
  resolver: EndpointResolver,
  pools: UpstreamPools,
  metrics: ProxyMetrics,
  proxyNamespace: string,
): Promise<Map<string, ClusterRuntime>> {
  const out = new Map<string, ClusterRuntime>();
  await Promise.all(
    clusters.map(async (c) => {
      const tlsOptions =
        c.tls === undefined ? undefined : await buildUpstreamTls(c.tls, `cluster ${JSON.stringify(c.name)}`);
      const tlsKey = c.tls === undefined ? "" : JSON.stringify(c.tls);
      const endpoints: UpstreamEndpoint[] = [];
      for (const e of c.endpoints) {
        for (const addr of await resolver.resolve(e.address, e.port)) {
          const ep = pools.endpoint(addr.ip, addr.port, c.connectTimeoutMs, tlsOptions, tlsKey);
          const copies = Math.max(1, Math.min(e.weight, 100));
          for (let i = 0; i < copies; i++) endpoints.push(ep);
        }
      }
      const destination = destinationOf(c, proxyNamespace);
      let rr = 0;
      const random = c.lbPolicy === "RANDOM";
      out.set(c.name, {
        config: c,
        endpoints,
        destination,
        httpStats: metrics.http(destination, "http"),
        grpcStats: metrics.http(destination, "grpc"),
        http2Stats: metrics.http(destination, "http"),
        tcpStats: metrics.tcp(destination),
        pick() {
          const n = endpoints.length;
          if (n === 0) return undefined;
          if (n === 1) return endpoints[0];
          if (random) return endpoints[Math.floor(Math.random() * n)];
          rr = rr + 1 >= n ? 0 : rr + 1;
          return endpoints[rr];
        },
      });
    }),
  );
  return out;
}

/** Metric labels of a cluster: `reviews.default.svc.cluster.local` -> name `reviews`, namespace `default`. */
export function destinationOf(c: Cluster, proxyNamespace: string): MetricsDestination {
  const host = c.host;
  const suffix = ".svc.cluster.local";
  let name = host;
  let namespace = proxyNamespace;
  if (host.endsWith(suffix)) {
    const parts = host.slice(0, -suffix.length).split(".");
    name = parts[0] ?? host;
    namespace = parts[1] ?? proxyNamespace;
  }
  const version = c.subsetLabels["version"] ?? (c.subset === "" ? "unknown" : c.subset);
  return { service: host, serviceName: name, serviceNamespace: namespace, version };
}
