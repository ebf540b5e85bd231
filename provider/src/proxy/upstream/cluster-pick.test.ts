import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Cluster } from "../../istio/translate/proxy-config";
import { ProxyMetrics } from "../observability/metrics";
import type { UpstreamEndpoint } from "./cluster-manager";
import { HOST_RESELECTIONS, UpstreamPools, buildClusters, leastRequestPick } from "./cluster-manager";
import { EndpointResolver } from "./endpoint-resolver";
import { HashRing, hashString } from "./hash-ring";

/** Three endpoints, the first twice as heavy (its copies stand side by side in the pick's list). */
const BASE: Cluster = {
  name: "outbound|80||reviews.test",
  host: "reviews.test",
  port: 80,
  subset: "",
  subsetLabels: {},
  type: "STATIC",
  endpoints: [
    { address: "127.0.0.1", port: 9001, weight: 2 },
    { address: "127.0.0.1", port: 9002, weight: 1 },
    { address: "127.0.0.1", port: 9003, weight: 1 },
  ],
  connectTimeoutMs: 10_000,
  lbPolicy: "ROUND_ROBIN",
  upstreamProtocol: "HTTP/1.1",
  sources: [],
};

const OUTLIER: Cluster["outlierDetection"] = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 0,
  consecutiveLocalOriginFailure: 0,
  splitExternalLocalOriginErrors: false,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 100,
  healthyPanicThreshold: 0,
};

describe("a retry's pick avoids the endpoints tried (Envoy's previous_hosts predicate)", () => {
  const pools = new UpstreamPools();
  const metrics = new ProxyMetrics({ namespace: "istio-system", workload: "istio-ingressgateway" });
  after(() => pools.close());
  const build = async (c: Partial<Cluster>) =>
    (await buildClusters([{ ...BASE, ...c }], new EndpointResolver([]), pools, metrics, "istio-system")).get(
      BASE.name,
    )!;
  const port = (e: UpstreamEndpoint | undefined) => e?.hostPort.split(":")[1];

  for (const [name, policy] of [
    ["round robin", {}],
    ["round robin with outlier detection", { outlierDetection: OUTLIER }],
  ] as const) {
    it(`${name}: never an endpoint tried while another is left`, async () => {
      const cluster = await build(policy);
      const [heavy, light] = [cluster.endpoints[0]!, cluster.endpoints[3]!];
      for (let i = 0; i < 200; i++) {
        assert.notEqual(port(cluster.pick(undefined, [heavy])), "9001");
        assert.equal(port(cluster.pick(undefined, [heavy, light])), "9002");
      }
    });
  }

  it("random: draws again, so an endpoint tried comes up only when six draws in a row give it", async () => {
    const cluster = await build({ lbPolicy: "RANDOM" });
    const heavy = cluster.endpoints[0]!;
    let again = 0;
    for (let i = 0; i < 2000; i++) if (cluster.pick(undefined, [heavy]) === heavy) again++;
    // Half the list is the heavy endpoint: 2000 / 2^6, about 31 expected; 1000 without drawing again.
    assert.ok(again < 100, `${again} of 2000`);
  });

  it("round robin without a retry goes on in turn, copies of a weight included", async () => {
    const cluster = await build({});
    assert.deepEqual(
      Array.from({ length: 8 }, () => port(cluster.pick())),
      ["9001", "9002", "9003", "9001", "9001", "9002", "9003", "9001"],
    );
  });

  it(`gives up after ${HOST_RESELECTIONS} picks again: the last pick stands`, async () => {
    const cluster = await build({});
    const all = [cluster.endpoints[0]!, cluster.endpoints[2]!, cluster.endpoints[3]!];
    // Every endpoint tried: the pick is one of them, and the turn moved on by six places.
    const before = port(cluster.pick());
    const picked = port(cluster.pick(undefined, all));
    const after = port(cluster.pick());
    assert.deepEqual([before, picked, after], ["9001", "9003", "9001"]);
  });

  it("a ring walks on from the request's entry, and stays there without endpoints tried", async () => {
    const cluster = await build({ lbPolicy: "RING_HASH", ringHash: { minimumRingSize: 1024 } });
    const ring = new HashRing(cluster.endpoints, 1024);
    let moved = 0;
    for (let u = 0; u < 50; u++) {
      const h = hashString(`user-${u}`);
      const first = cluster.pick(h)!;
      assert.equal(first, ring.pick(h));
      assert.equal(cluster.pick(h), first);
      // The first of the next five entries that is another endpoint; else the fifth, as on
      // Envoy's ring, where a run of one endpoint's entries can outlast the picks again.
      const next = [1, 2, 3, 4, 5].map((skip) => ring.pick(h, skip)!);
      const expected = next.find((e) => e !== first) ?? next[4];
      const retry = cluster.pick(h, [first]);
      assert.equal(retry, expected);
      if (retry !== first) moved++;
    }
    assert.ok(moved >= 40, `${moved} of 50 moved`);
  });
});

describe("least request (Istio's default): the less busy of two endpoints drawn at random", () => {
  /** An endpoint with `active` requests in flight. */
  const endpoint = (name: string, active: number) =>
    ({ hostPort: name, activeRequests: () => active }) as unknown as UpstreamEndpoint;
  const [idle, busy, busier] = [endpoint("idle", 0), endpoint("busy", 3), endpoint("busier", 5)];
  /** A random source giving `draws` in turn, as indexes into a list of `n`. */
  const drawing = (n: number, draws: number[]) => {
    let i = 0;
    return () => (draws[i++]! + 0.5) / n;
  };

  it("takes the one with fewer requests in flight, the first drawn on a tie", () => {
    const list = [idle, busy, busier];
    assert.equal(leastRequestPick(list, undefined, drawing(3, [1, 0])), idle);
    assert.equal(leastRequestPick(list, undefined, drawing(3, [0, 2])), idle);
    assert.equal(leastRequestPick(list, undefined, drawing(3, [2, 1])), busy);
    assert.equal(leastRequestPick(list, undefined, drawing(3, [1, 1])), busy);
    const twin = endpoint("twin", 0);
    assert.equal(leastRequestPick([idle, twin], undefined, drawing(2, [1, 0])), twin);
  });

  it("draws again while the pick is an endpoint already tried, up to the limit", () => {
    const list = [idle, busy, busier];
    // idle (tried) wins the first pair; the second pair gives busy.
    assert.equal(leastRequestPick(list, [idle], drawing(3, [0, 2, 1, 2])), busy);
    // Every pick is idle: after the picks again the last stands.
    const always = Array.from({ length: 2 * (HOST_RESELECTIONS + 1) }, () => 0);
    assert.equal(leastRequestPick(list, [idle], drawing(3, always)), idle);
  });
});
