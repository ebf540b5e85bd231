import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Cluster } from "../../istio/translate/proxy-config";
import { ProxyMetrics } from "../observability/metrics";
import type { ClusterRuntime } from "./cluster-manager";
import { UpstreamPools, buildClusters } from "./cluster-manager";
import { activateClusters, carriedState, samePolicy } from "./cluster-state";
import { EndpointResolver } from "./endpoint-resolver";

const BASE: Cluster = {
  name: "outbound|80||reviews.test",
  host: "reviews.test",
  port: 80,
  subset: "",
  subsetLabels: {},
  type: "STATIC",
  endpoints: [
    { address: "127.0.0.1", port: 9001, weight: 1 },
    { address: "127.0.0.1", port: 9002, weight: 1 },
  ],
  connectTimeoutMs: 10_000,
  lbPolicy: "ROUND_ROBIN",
  circuitBreakers: {
    maxConnections: 1,
    maxPendingRequests: 1,
    maxRequests: 4294967295,
    maxRetries: 4294967295,
  },
  outlierDetection: {
    consecutive5xx: 1,
    consecutiveGatewayFailure: 0,
    consecutiveLocalOriginFailure: 0,
    splitExternalLocalOriginErrors: false,
    intervalMs: 10_000,
    baseEjectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 100,
    healthyPanicThreshold: 0,
  },
  upstreamProtocol: "HTTP/1.1",
  sources: ["DestinationRule istio-system/reviews"],
};

describe("samePolicy", () => {
  const cases: [string, Partial<Cluster>, boolean][] = [
    ["nothing changed", {}, true],
    [
      "other endpoints, subset labels and sources",
      {
        endpoints: [{ address: "127.0.0.1", port: 9003, weight: 2 }],
        subsetLabels: { version: "v2" },
        sources: [],
      },
      true,
    ],
    ["a breaker threshold", { circuitBreakers: { ...BASE.circuitBreakers!, maxPendingRequests: 2 } }, false],
    ["no breakers", { circuitBreakers: undefined }, false],
    ["an outlier setting", { outlierDetection: { ...BASE.outlierDetection!, intervalMs: 5000 } }, false],
    ["a ring", { lbPolicy: "RING_HASH", ringHash: { minimumRingSize: 1024 } }, false],
    [
      "upstream TLS",
      {
        tls: {
          mode: "SIMPLE",
          sni: "reviews.test",
          autoSanValidation: false,
          subjectAltNames: [],
          insecureSkipVerify: false,
          alpn: [],
        },
      },
      false,
    ],
    [
      "HTTP protocol options",
      {
        httpProtocolOptions: {
          idleTimeoutMs: 1000,
          maxRequestsPerConnection: 0,
          maxConcurrentStreams: 0,
          maxConnectionDurationMs: 0,
        },
      },
      false,
    ],
    ["the upstream protocol", { upstreamProtocol: "HTTP/2" }, false],
    ["the connect timeout", { connectTimeoutMs: 1000 }, false],
    ["TCP proxy limits", { tcpProxy: { idleTimeoutMs: 0, maxConnectionDurationMs: 1000 } }, false],
    ["the cluster type", { type: "STRICT_DNS" }, false],
  ];
  for (const [name, change, same] of cases) {
    it(`${same ? "same" : "changed"}: ${name}`, () => {
      const other = { ...BASE, ...change } as Cluster;
      assert.deepEqual([samePolicy(BASE, other), samePolicy(other, BASE)], [same, same]);
    });
  }

  it("an equal copy made apart is the same policy", () => {
    const copy = JSON.parse(JSON.stringify(BASE)) as Cluster;
    assert.equal(samePolicy(BASE, copy), true);
  });
});

describe("carrying cluster state over a reload", () => {
  const pools = new UpstreamPools();
  const resolver = new EndpointResolver([]);
  const metrics = new ProxyMetrics({ namespace: "istio-system", workload: "istio-ingressgateway" });
  after(() => pools.close());
  const build = (clusters: Cluster[], previous?: ReadonlyMap<string, ClusterRuntime>) =>
    buildClusters(clusters, resolver, pools, metrics, "istio-system", previous);

  it("same policy: the breaker and the outlier state go on, following the endpoints once activated", async () => {
    const first = await build([BASE]);
    activateClusters(first);
    const old = first.get(BASE.name)!;
    const [a, b] = [old.endpoints[0]!, old.endpoints[1]!];
    old.outlier!.observe(a, { kind: "response", status: 503 });
    assert.equal(old.breaker!.admit({ admitted() {} }, true), "go");
    const moved: Cluster = {
      ...BASE,
      endpoints: [...BASE.endpoints, { address: "127.0.0.1", port: 9003, weight: 1 }],
    };
    const second = await build([moved], first);
    const next = second.get(BASE.name)!;
    assert.deepEqual(carriedState(moved, first), { breaker: old.breaker, outlier: old.outlier });
    assert.equal(next.breaker, old.breaker);
    assert.equal(next.outlier, old.outlier);
    // The slot taken on the old runtime still counts: the next request waits.
    assert.deepEqual([next.breaker!.active, next.breaker!.admit({ admitted() {} }, true)], [1, "queued"]);
    assert.equal(next.outlier!.hostCount, 2);
    activateClusters(second);
    const c = next.endpoints[2]!;
    assert.deepEqual(
      [
        next.outlier!.hostCount,
        next.outlier!.isEjected(a),
        next.outlier!.isEjected(b),
        next.outlier!.isEjected(c),
      ],
      [3, true, false, false],
    );
    assert.deepEqual(
      Array.from({ length: 4 }, () => next.pick()!.hostPort),
      ["127.0.0.1:9003", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9002"],
    );
  });

  it("a changed policy starts afresh; a cluster absent from the serving configuration too", async () => {
    const first = await build([BASE]);
    activateClusters(first);
    const old = first.get(BASE.name)!;
    old.outlier!.observe(old.endpoints[0]!, { kind: "response", status: 503 });
    const changed: Cluster = { ...BASE, circuitBreakers: { ...BASE.circuitBreakers!, maxConnections: 2 } };
    const second = await build([changed], first);
    const next = second.get(BASE.name)!;
    assert.equal(carriedState(changed, first), undefined);
    assert.deepEqual(
      [
        next.breaker === old.breaker,
        next.outlier === old.outlier,
        next.breaker!.active,
        next.outlier!.ejectedCount,
      ],
      [false, false, 0, 0],
    );
    const renamed: Cluster = { ...BASE, name: "outbound|80|v1|reviews.test" };
    assert.equal(carriedState(renamed, first), undefined);
    assert.equal(carriedState(BASE, undefined), undefined);
  });

  it("a configuration built but never activated leaves the serving detector watching its own endpoints", async () => {
    const first = await build([BASE]);
    activateClusters(first);
    const fewer: Cluster = { ...BASE, endpoints: [BASE.endpoints[1]!] };
    const refused = await build([fewer], first);
    assert.equal(refused.get(BASE.name)!.outlier, first.get(BASE.name)!.outlier);
    assert.equal(first.get(BASE.name)!.outlier!.hostCount, 2);
  });
});
