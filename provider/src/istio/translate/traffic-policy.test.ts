import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import type {
  ConnectionPoolSettings,
  ConsistentHashLB,
  LoadBalancerSettings,
  OutlierDetection,
  Resource,
} from "../model";
import { buildProxyConfig } from "./build-proxy-config";
import type { Cluster, DataSource } from "./proxy-config";
import {
  circuitBreakersOf,
  hashPolicyOf,
  http2KeepaliveOf,
  httpProtocolOptionsOf,
  outlierDetectionOf,
  ringHashOf,
  tcpKeepaliveOf,
  tcpProxySettingsOf,
  UNLIMITED,
} from "./traffic-policy";

describe("circuitBreakersOf", () => {
  const cases: [string, ConnectionPoolSettings | undefined, ReturnType<typeof circuitBreakersOf>][] = [
    ["no connection pool: no breakers", undefined, undefined],
    [
      "a pool without limits: Istio's unlimited thresholds",
      { tcp: { connectTimeout: "1s" } },
      {
        maxConnections: UNLIMITED,
        maxPendingRequests: UNLIMITED,
        maxRequests: UNLIMITED,
        maxRetries: UNLIMITED,
      },
    ],
    [
      "every limit",
      {
        tcp: { maxConnections: 1 },
        http: { http1MaxPendingRequests: 2, http2MaxRequests: 3, maxRetries: 4 },
      },
      { maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 4 },
    ],
    [
      "0 is unset, as in Istio",
      { tcp: { maxConnections: 0 }, http: { maxRetries: 0 } },
      {
        maxConnections: UNLIMITED,
        maxPendingRequests: UNLIMITED,
        maxRequests: UNLIMITED,
        maxRetries: UNLIMITED,
      },
    ],
  ];
  for (const [name, pool, want] of cases) it(name, () => assert.deepEqual(circuitBreakersOf(pool), want));
});

describe("httpProtocolOptionsOf", () => {
  const cases: [string, ConnectionPoolSettings | undefined, ReturnType<typeof httpProtocolOptionsOf>][] = [
    ["nothing set", { tcp: { maxConnections: 1 } }, undefined],
    [
      "http.idleTimeout",
      { http: { idleTimeout: "30s" } },
      {
        idleTimeoutMs: 30000,
        maxRequestsPerConnection: 0,
        maxConcurrentStreams: 0,
        maxConnectionDurationMs: 0,
      },
    ],
    [
      "http.idleTimeout wins over tcp.idleTimeout",
      { http: { idleTimeout: "2s" }, tcp: { idleTimeout: "5s" } },
      {
        idleTimeoutMs: 2000,
        maxRequestsPerConnection: 0,
        maxConcurrentStreams: 0,
        maxConnectionDurationMs: 0,
      },
    ],
    [
      "tcp.idleTimeout alone",
      { tcp: { idleTimeout: "5s" } },
      {
        idleTimeoutMs: 5000,
        maxRequestsPerConnection: 0,
        maxConcurrentStreams: 0,
        maxConnectionDurationMs: 0,
      },
    ],
    [
      "maxRequestsPerConnection 1 (no keep-alive), Envoy's 1h idle timeout",
      { http: { maxRequestsPerConnection: 1 } },
      {
        idleTimeoutMs: 3600000,
        maxRequestsPerConnection: 1,
        maxConcurrentStreams: 0,
        maxConnectionDurationMs: 0,
      },
    ],
    [
      "tcp.maxConnectionDuration, for HTTP connections too, with Envoy's 1h idle timeout",
      { tcp: { maxConnectionDuration: "30s" } },
      {
        idleTimeoutMs: 3600000,
        maxRequestsPerConnection: 0,
        maxConcurrentStreams: 0,
        maxConnectionDurationMs: 30000,
      },
    ],
    [
      "maxConcurrentStreams, with Envoy's 1h idle timeout",
      { http: { maxConcurrentStreams: 2 } },
      {
        idleTimeoutMs: 3600000,
        maxRequestsPerConnection: 0,
        maxConcurrentStreams: 2,
        maxConnectionDurationMs: 0,
      },
    ],
  ];
  for (const [name, pool, want] of cases) it(name, () => assert.deepEqual(httpProtocolOptionsOf(pool), want));
});

describe("tcpProxySettingsOf", () => {
  const cases: [string, ConnectionPoolSettings | undefined, ReturnType<typeof tcpProxySettingsOf>][] = [
    ["nothing set", { tcp: { maxConnections: 1 } }, undefined],
    ["idle timeout", { tcp: { idleTimeout: "90s" } }, { idleTimeoutMs: 90000, maxConnectionDurationMs: 0 }],
    [
      "0s turns the idle timeout off",
      { tcp: { idleTimeout: "0s" } },
      { idleTimeoutMs: 0, maxConnectionDurationMs: 0 },
    ],
    [
      "connection duration, with Envoy's hour of idle time",
      { tcp: { maxConnectionDuration: "2h" } },
      { idleTimeoutMs: 3600000, maxConnectionDurationMs: 7200000 },
    ],
  ];
  for (const [name, pool, want] of cases) it(name, () => assert.deepEqual(tcpProxySettingsOf(pool), want));
});

describe("tcpKeepaliveOf", () => {
  const cases: [string, ConnectionPoolSettings | undefined, ReturnType<typeof tcpKeepaliveOf>][] = [
    ["no pool", undefined, undefined],
    ["no tcpKeepalive", { tcp: { maxConnections: 1 } }, undefined],
    [
      "empty: SO_KEEPALIVE with the system's settings, as Istio's empty tcp_keepalive",
      { tcp: { tcpKeepalive: {} } },
      { timeSeconds: 0, intervalSeconds: 0, probes: 0 },
    ],
    [
      "every field",
      { tcp: { tcpKeepalive: { time: "10m", interval: "75s", probes: 3 } } },
      { timeSeconds: 600, intervalSeconds: 75, probes: 3 },
    ],
    [
      "durations cut to whole seconds, as Istio passes Duration.Seconds",
      { tcp: { tcpKeepalive: { time: "2500ms", interval: "999ms" } } },
      { timeSeconds: 2, intervalSeconds: 0, probes: 0 },
    ],
  ];
  for (const [name, pool, want] of cases) it(name, () => assert.deepEqual(tcpKeepaliveOf(pool), want));
});

describe("http2KeepaliveOf", () => {
  const cases: [string, ConnectionPoolSettings | undefined, ReturnType<typeof http2KeepaliveOf>][] = [
    ["no pool", undefined, undefined],
    ["no http2KeepAlive", { http: { maxRetries: 1 } }, undefined],
    [
      "interval and timeout",
      { http: { http2KeepAlive: { interval: "30s", timeout: "1500ms" } } },
      { intervalMs: 30000, timeoutMs: 1500 },
    ],
    [
      "without a timeout (rejected by validation): none",
      { http: { http2KeepAlive: { interval: "30s" } } },
      undefined,
    ],
    [
      "without an interval (rejected by validation): none",
      { http: { http2KeepAlive: { timeout: "5s" } } },
      undefined,
    ],
  ];
  for (const [name, pool, want] of cases) it(name, () => assert.deepEqual(http2KeepaliveOf(pool), want));
});

describe("outlierDetectionOf", () => {
  const defaults = {
    consecutive5xx: 5,
    consecutiveGatewayFailure: 0,
    consecutiveLocalOriginFailure: 0,
    splitExternalLocalOriginErrors: false,
    intervalMs: 10000,
    baseEjectionTimeMs: 30000,
    maxEjectionTimeMs: 300000,
    maxEjectionPercent: 10,
    healthyPanicThreshold: 0,
  };
  const cases: [string, OutlierDetection | undefined, ReturnType<typeof outlierDetectionOf>][] = [
    ["absent: off", undefined, undefined],
    ["empty: Envoy's defaults, panic off (Istio)", {}, defaults],
    [
      "everything set",
      {
        consecutive5xxErrors: 0,
        consecutiveGatewayErrors: 2,
        consecutiveLocalOriginFailures: 3,
        splitExternalLocalOriginErrors: true,
        interval: "1s",
        baseEjectionTime: "2m",
        maxEjectionPercent: 100,
        minHealthPercent: 40,
      },
      {
        ...defaults,
        consecutive5xx: 0,
        consecutiveGatewayFailure: 2,
        consecutiveLocalOriginFailure: 3,
        splitExternalLocalOriginErrors: true,
        intervalMs: 1000,
        baseEjectionTimeMs: 120000,
        maxEjectionPercent: 100,
        healthyPanicThreshold: 40,
      },
    ],
    [
      "split without a local-origin count: Envoy's 5",
      { splitExternalLocalOriginErrors: true },
      { ...defaults, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 5 },
    ],
  ];
  for (const [name, od, want] of cases) it(name, () => assert.deepEqual(outlierDetectionOf(od), want));
});

describe("ringHashOf", () => {
  const cases: [string, LoadBalancerSettings | undefined, ReturnType<typeof ringHashOf>][] = [
    ["simple only", { simple: "RANDOM" }, undefined],
    ["Envoy's default size", { consistentHash: { httpHeaderName: "x-user" } }, { minimumRingSize: 1024 }],
    [
      "ringHash.minimumRingSize",
      { consistentHash: { ringHash: { minimumRingSize: 4096 } } },
      { minimumRingSize: 4096 },
    ],
    [
      "maglev table size as the ring size",
      { consistentHash: { maglev: { tableSize: 65537 } } },
      { minimumRingSize: 65537 },
    ],
    ["deprecated minimumRingSize", { consistentHash: { minimumRingSize: 2048 } }, { minimumRingSize: 2048 }],
    // Istio's ApplyRingHashLoadBalancer looks at the ring settings only, never at the key.
    ["no key: a ring all the same", { consistentHash: {} }, { minimumRingSize: 1024 }],
    [
      "a ring larger than Envoy's maximum is capped",
      { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 100_000_000 } } },
      { minimumRingSize: 8388608 },
    ],
  ];
  for (const [name, lb, want] of cases) it(name, () => assert.deepEqual(ringHashOf(lb), want));
});

describe("hashPolicyOf", () => {
  const cases: [string, ConsistentHashLB | undefined, ReturnType<typeof hashPolicyOf>][] = [
    ["none", undefined, undefined],
    ["header, lower-cased", { httpHeaderName: "X-User" }, { kind: "header", name: "x-user" }],
    [
      "cookie with path and ttl",
      { httpCookie: { name: "user", path: "/", ttl: "1h" }, ringHash: { minimumRingSize: 4096 } },
      { kind: "cookie", name: "user", path: "/", ttlSeconds: 3600 },
    ],
    [
      "cookie attributes in order; an empty or missing value stays empty",
      {
        httpCookie: {
          name: "user",
          ttl: "60s",
          attributes: [
            { name: "SameSite", value: "Strict" },
            { name: "Secure", value: "" },
            { name: "Partitioned" },
          ],
        },
      },
      {
        kind: "cookie",
        name: "user",
        ttlSeconds: 60,
        attributes: [
          { name: "SameSite", value: "Strict" },
          { name: "Secure", value: "" },
          { name: "Partitioned", value: "" },
        ],
      },
    ],
    [
      "cookie attributes a header cannot carry, or without a name, are left out",
      {
        httpCookie: {
          name: "user",
          ttl: "60s",
          attributes: [{ name: "", value: "x" }, { name: "Domain", value: "a\r\nb" }, { name: "Max\u0000" }],
        },
      },
      { kind: "cookie", name: "user", ttlSeconds: 60 },
    ],
    [
      "cookie without ttl: never set by the proxy",
      { httpCookie: { name: "user" } },
      { kind: "cookie", name: "user" },
    ],
    ["source IP", { useSourceIp: true, maglev: { tableSize: 65537 } }, { kind: "source-ip" }],
    ["query parameter", { httpQueryParameterName: "u", minimumRingSize: 2048 }, { kind: "query", name: "u" }],
    ["no key", {}, undefined],
    [
      "useSourceIp false hashes on nothing, as Envoy's connection properties without source_ip",
      { useSourceIp: false },
      undefined,
    ],
  ];
  for (const [name, ch, want] of cases) it(name, () => assert.deepEqual(hashPolicyOf(ch), want));
});

/** The clusters built for a Gateway on port 80, a VirtualService with `http` rules, and `destinationRule`. */
/** Where an inline data source came from (`Secret ns/name["key"]`). */
const originOf = (d: DataSource | undefined) => (d !== undefined && "origin" in d ? d.origin : undefined);

function clustersFor(http: string, destinationRule: string): readonly Cluster[] {
  return translateWith(http, destinationRule).config.clusters;
}

/** {@link clustersFor}'s whole translation: the configuration and the issues found. */
function translateWith(http: string, destinationRule: string): ReturnType<typeof buildProxyConfig> {
  const docs = parseAllDocuments(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
${http}---
${destinationRule}`).map((d) => d.toJSON() as Resource);
  return buildProxyConfig(docs, { namespace: "istio-system", labels: { istio: "ingressgateway" } });
}

describe("traffic policy layers in clusters", () => {
  it("a subset's connectionPool, outlierDetection and loadBalancer replace the rule's whole; a port-level entry replaces its policy wholesale (Istio's MergeSubsetTrafficPolicy)", () => {
    const clusters = clustersFor(
      `
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web, subset: a}}]
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: web, subset: b}}]
  - match: [{uri: {prefix: /c}}]
    route: [{destination: {host: web, port: {number: 9090}}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 5}, http: {http2MaxRequests: 50, useClientProtocol: true}}
    outlierDetection: {consecutive5xxErrors: 7}
    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
    portLevelSettings:
    - port: {number: 9090}
      connectionPool: {http: {maxRequestsPerConnection: 1}}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      connectionPool: {http: {http1MaxPendingRequests: 3}}
  - name: b
    labels: {version: b}
    trafficPolicy:
      loadBalancer: {simple: RANDOM}
      outlierDetection: {consecutiveGatewayErrors: 2}
`,
    );
    const summary = clusters.map((c) => ({
      name: c.name,
      lbPolicy: c.lbPolicy,
      ring: c.ringHash?.minimumRingSize,
      breakers: c.circuitBreakers,
      perConnection: c.httpProtocolOptions?.maxRequestsPerConnection,
      consecutive5xx: c.outlierDetection?.consecutive5xx,
      gateway: c.outlierDetection?.consecutiveGatewayFailure,
      useClientProtocol: c.useClientProtocol,
    }));
    const U = UNLIMITED;
    assert.deepEqual(summary, [
      {
        name: "outbound|80|a|web.istio-system.svc.cluster.local",
        lbPolicy: "RING_HASH",
        ring: 1024,
        breakers: { maxConnections: U, maxPendingRequests: 3, maxRequests: U, maxRetries: U },
        perConnection: undefined,
        consecutive5xx: 7,
        gateway: 0,
        useClientProtocol: undefined,
      },
      {
        name: "outbound|80|b|web.istio-system.svc.cluster.local",
        lbPolicy: "RANDOM",
        ring: undefined,
        breakers: { maxConnections: 5, maxPendingRequests: U, maxRequests: 50, maxRetries: U },
        perConnection: undefined,
        consecutive5xx: 5,
        gateway: 2,
        useClientProtocol: true,
      },
      {
        name: "outbound|80||web.istio-system.svc.cluster.local",
        lbPolicy: "RING_HASH",
        ring: 1024,
        breakers: { maxConnections: 5, maxPendingRequests: U, maxRequests: 50, maxRetries: U },
        perConnection: undefined,
        consecutive5xx: 7,
        gateway: 0,
        useClientProtocol: true,
      },
      {
        name: "outbound|9090||web.istio-system.svc.cluster.local",
        lbPolicy: "LEAST_REQUEST",
        ring: undefined,
        breakers: { maxConnections: U, maxPendingRequests: U, maxRequests: U, maxRetries: U },
        perConnection: 1,
        consecutive5xx: undefined,
        gateway: undefined,
        useClientProtocol: undefined,
      },
    ]);
  });

  it("tcpKeepalive on every cluster of its level; http2KeepAlive only on clusters that speak HTTP/2 upstream, as Istio writes it into the HTTP/2 options", () => {
    const clusters = clustersFor(
      `
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web, subset: a}}]
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: web, subset: b}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    connectionPool:
      tcp: {tcpKeepalive: {time: 30s}}
      http: {h2UpgradePolicy: UPGRADE, http2KeepAlive: {interval: 10s, timeout: 2s}}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      connectionPool: {http: {http2KeepAlive: {interval: 1s, timeout: 1s}}}
  - name: b
    labels: {version: b}
    trafficPolicy:
      connectionPool:
        tcp: {tcpKeepalive: {probes: 4}}
        http: {useClientProtocol: true, http2KeepAlive: {interval: 1s, timeout: 1s}}
`,
    );
    assert.deepEqual(
      clusters.map((c) => ({
        name: c.name,
        upstreamProtocol: c.upstreamProtocol,
        tcpKeepalive: c.tcpKeepalive,
        http2ConnectionKeepalive: c.http2ConnectionKeepalive,
      })),
      [
        // The subset's pool replaces the rule's whole: no tcpKeepalive, no upgrade, so no PINGs.
        {
          name: "outbound|80|a|web.istio-system.svc.cluster.local",
          upstreamProtocol: "HTTP/1.1",
          tcpKeepalive: undefined,
          http2ConnectionKeepalive: undefined,
        },
        // useClientProtocol: Istio's fresh downstream-protocol options carry no PINGs.
        {
          name: "outbound|80|b|web.istio-system.svc.cluster.local",
          upstreamProtocol: "HTTP/1.1",
          tcpKeepalive: { timeSeconds: 0, intervalSeconds: 0, probes: 4 },
          http2ConnectionKeepalive: undefined,
        },
        {
          name: "outbound|80||web.istio-system.svc.cluster.local",
          upstreamProtocol: "HTTP/2",
          tcpKeepalive: { timeSeconds: 30, intervalSeconds: 0, probes: 0 },
          http2ConnectionKeepalive: { intervalMs: 10000, timeoutMs: 2000 },
        },
      ],
    );
  });

  it("proxyProtocol: a subset's replaces the rule's, port-level settings leave it, and {} is V1 (Istio's MergeTrafficPolicy)", () => {
    const clusters = clustersFor(
      `
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web, subset: a}}]
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: web, subset: b}}]
  - match: [{uri: {prefix: /c}}]
    route: [{destination: {host: web, port: {number: 9090}}}]
  - match: [{uri: {prefix: /d}}]
    route: [{destination: {host: other}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    proxyProtocol: {version: V2}
    portLevelSettings:
    - port: {number: 9090}
      connectionPool: {http: {maxRequestsPerConnection: 1}}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      proxyProtocol: {}
  - name: b
    labels: {version: b}
    trafficPolicy:
      connectionPool: {http: {http1MaxPendingRequests: 3}}
`,
    );
    assert.deepEqual(
      clusters.map((c) => [c.name, c.proxyProtocol]),
      [
        ["outbound|80|a|web.istio-system.svc.cluster.local", "V1"],
        ["outbound|80|b|web.istio-system.svc.cluster.local", "V2"],
        ["outbound|80||other.istio-system.svc.cluster.local", undefined],
        ["outbound|80||web.istio-system.svc.cluster.local", "V2"],
        ["outbound|9090||web.istio-system.svc.cluster.local", "V2"],
      ],
    );
  });

  it("connectTimeout, h2UpgradePolicy, simple and tls follow the same merge: from one level each, never field by field", () => {
    const clusters = clustersFor(
      `
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web, subset: a}}]
  - match: [{uri: {prefix: /c}}]
    route: [{destination: {host: web, port: {number: 9090}}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    connectionPool: {tcp: {connectTimeout: 5s}}
    loadBalancer: {simple: ROUND_ROBIN}
    tls: {mode: SIMPLE, sni: web.example}
    portLevelSettings:
    - port: {number: 9090}
      loadBalancer: {simple: RANDOM}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
`,
    );
    assert.deepEqual(
      clusters.map((c) => ({
        name: c.name,
        connectTimeoutMs: c.connectTimeoutMs,
        lbPolicy: c.lbPolicy,
        upstreamProtocol: c.upstreamProtocol,
        sni: c.tls?.sni,
      })),
      [
        // The subset's pool replaces the rule's whole (no 5 s); loadBalancer and tls come from the rule.
        {
          name: "outbound|80|a|web.istio-system.svc.cluster.local",
          connectTimeoutMs: 10000,
          lbPolicy: "ROUND_ROBIN",
          upstreamProtocol: "HTTP/2",
          sni: "web.example",
        },
        {
          name: "outbound|80||web.istio-system.svc.cluster.local",
          connectTimeoutMs: 5000,
          lbPolicy: "ROUND_ROBIN",
          upstreamProtocol: "HTTP/1.1",
          sni: "web.example",
        },
        // The port-level entry replaces the whole policy: its own loadBalancer, default pool, no TLS.
        {
          name: "outbound|9090||web.istio-system.svc.cluster.local",
          connectTimeoutMs: 10000,
          lbPolicy: "RANDOM",
          upstreamProtocol: "HTTP/1.1",
          sni: undefined,
        },
      ],
    );
  });

  it("upstream tls.credentialName as kubernetes://name and kubernetes://namespace/name, with the -cacert companion", () => {
    const clusters = clustersFor(
      `
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web, subset: a}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
`,
      `
apiVersion: v1
kind: Secret
metadata: {name: client, namespace: istio-system}
stringData: {tls.crt: CERT, tls.key: KEY}
---
apiVersion: v1
kind: Secret
metadata: {name: client-cacert, namespace: istio-system}
stringData: {ca.crt: CA}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: "kubernetes://istio-system/client"}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      tls: {mode: SIMPLE, credentialName: "kubernetes://client"}
`,
    );
    assert.deepEqual(
      clusters.map((c) => [
        c.name,
        originOf(c.tls?.certificate?.certificateChain),
        originOf(c.tls?.caCertificates),
      ]),
      [
        [
          "outbound|80|a|web.istio-system.svc.cluster.local",
          undefined,
          'Secret istio-system/client-cacert["ca.crt"]',
        ],
        [
          "outbound|80||web.istio-system.svc.cluster.local",
          'Secret istio-system/client["tls.crt"]',
          'Secret istio-system/client-cacert["ca.crt"]',
        ],
      ],
    );
  });

  it("upstream SIMPLE tls.credentialName needs only the -cacert Secret; MUTUAL needs the key pair's Secret too", () => {
    // Istio's SDS reads a DestinationRule's CA from <name>-cacert, else <name> (GetCaCert), and
    // its client key pair from <name>: egress-gateway-tls-origination-sds creates only the first.
    const rule = (mode: string) => `
apiVersion: v1
kind: Secret
metadata: {name: client-cacert, namespace: istio-system}
stringData: {ca.crt: CA}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: istio-system}
spec:
  host: web
  trafficPolicy:
    tls: {mode: ${mode}, credentialName: client}
`;
    const http = "  - route: [{destination: {host: web, port: {number: 80}}}]\n";
    const simple = translateWith(http, rule("SIMPLE"));
    assert.deepEqual(
      [simple.issues, simple.config.clusters.map((c) => [c.tls?.mode, originOf(c.tls?.caCertificates)])],
      [[], [["SIMPLE", 'Secret istio-system/client-cacert["ca.crt"]']]],
    );
    const mutual = translateWith(http, rule("MUTUAL"));
    assert.deepEqual(
      mutual.issues.map((i) => [i.code, i.path, i.message]),
      [
        [
          "IGW6016",
          "spec.trafficPolicy.tls.credentialName",
          'must name a Secret in the proxy\'s namespace "istio-system" (got "client")',
        ],
      ],
    );
    assert.equal(mutual.config.clusters[0]?.tls?.certificate, undefined);
  });
});
