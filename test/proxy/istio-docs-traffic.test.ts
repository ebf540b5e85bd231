// Istio's traffic-management tasks (istio.io, docs/tasks/traffic-management/) end to end through
// the gateway, each with the task's own rules (support/traffic-task-yaml.ts) and asserting what the
// task shows. Most of those rules have no `gateways:`, so they bind to the mesh and an ingress
// gateway never applies them; that is checked first. To exercise them at the gateway they are bound
// to it (`bindToGateway`), the only change made to them; ServiceEntries with labelled loopback
// endpoints stand in for the services' pods.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { checkInputs } from "../../provider/src/cli/check";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { listenOnLoopback, startEchoBackend, startTcpEcho } from "./support/backends";
import type { CurlResponse } from "./support/curl";
import { curl, request } from "./support/curl";
import { documents } from "./support/istio-yaml";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import {
  CIRCUIT_BREAKING_DESTINATION_RULE,
  DESTINATION_RULE_ALL,
  MIRRORING_DEFAULT_ROUTING,
  TCP_ECHO_20_V2,
  TIMEOUTS_RATINGS_DELAY,
  TIMEOUTS_REVIEWS_HALF_SECOND,
  TIMEOUTS_REVIEWS_V2,
  VIRTUAL_SERVICE_ALL_V1,
  VIRTUAL_SERVICE_RATINGS_TEST_ABORT,
  VIRTUAL_SERVICE_RATINGS_TEST_DELAY,
  VIRTUAL_SERVICE_REVIEWS_50_V3,
  VIRTUAL_SERVICE_REVIEWS_TEST_V2,
  VIRTUAL_SERVICE_REVIEWS_V3,
  bindToGateway,
  mirroringToV2,
  serviceOfPods,
  tcpEchoPods,
} from "./support/traffic-task-yaml";

/** The name a task's short host (`reviews`) stands for, and the Host a client of the gateway sends. */
const fqdn = (service: string) => `${service}.default.svc.cluster.local`;

/**
 * How far a count of `n` draws, each a success with probability `p`, may stray from `n * p`: five
 * standard deviations of the binomial distribution, so that a correct split fails the assertion
 * less than once in a million runs, while one that ignored the weights fails it every time.
 */
function binomialTolerance(n: number, p: number): number {
  return Math.ceil(5 * Math.sqrt(n * p * (1 - p)));
}

/** How many of `answers` each backend gave (by `x-backend`, else by status). */
function tally(answers: readonly CurlResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of answers) {
    const key = r.headers["x-backend"] ?? String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Milliseconds `run` took, with its result. */
async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

/**
 * A Node.js timer may fire a few milliseconds before the wall-clock delay it was given has passed
 * (libuv measures from the start of the event loop's turn), so lower bounds allow this much.
 */
const TIMER_SLACK_MS = 20;

/**
 * A gateway on the task's files: the Bookinfo (or httpbin) Gateway and what `apply` writes, from a
 * file the proxy reloads, as `kubectl apply` would change the cluster step by step.
 */
class TaskGateway {
  readonly dir = new ConfigDir();
  readonly access: Record<string, unknown>[] = [];
  readonly logs: string[] = [];
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  proxy!: GatewayProxy;
  /** The port the Gateway's server listens on. */
  port = 0;

  /** Starts the proxy on `docs`, serving Gateway port `port`. */
  async start(port: number, docs: readonly string[]): Promise<void> {
    const file = this.dir.write("applied.yaml", documents(...docs));
    this.proxy = await startFileProxy([file], [port], [], this.logs, jsonLinesSink(this.access));
    this.port = this.proxy.boundPorts().get(port)!;
  }

  /** Replaces the configuration with `docs` and waits until the proxy serves it. */
  async apply(docs: readonly string[]): Promise<void> {
    this.dir.write("applied.yaml", documents(...docs));
    assert.equal(await this.proxy.reload(), true, this.logs.join("\n"));
  }

  /** A GET of `path` on `service`'s name, over a kept-alive connection. */
  get(service: string, path: string, headers: Record<string, string> = {}): Promise<CurlResponse> {
    return request(`http://127.0.0.1:${this.port}${path}`, { host: fqdn(service), ...headers }, this.agent);
  }

  /** `count` GETs of `path` on `service`, one after another. */
  async getMany(
    count: number,
    service: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<CurlResponse[]> {
    const answers: CurlResponse[] = [];
    for (let i = 0; i < count; i++) answers.push(await this.get(service, path, headers));
    return answers;
  }

  /** The access-log line of the request to `path` (waiting for its batch). */
  logged(path: string): Promise<Record<string, unknown>> {
    return loggedLine(this.access, path);
  }

  /** Stops the proxy and removes its files. */
  async close(): Promise<void> {
    this.agent.destroy();
    await this.proxy.close();
    this.dir.dispose();
  }
}

/** Starts an echo backend per name, keeping them in `list` for `after()`. */
async function echoes(list: Backend[], ...names: string[]): Promise<Backend[]> {
  const started: Backend[] = [];
  for (const name of names) started.push(await startEchoBackend(name));
  list.push(...started);
  return started;
}

/** Closes every backend of `list`. */
async function closeAll(list: readonly Backend[]): Promise<void> {
  for (const b of list) await b.close();
}

/** The Gateway documents of an Istio sample, its VirtualServices left out. */
function gatewayOf(sampleName: string): string {
  return sample(sampleName)
    .split(/^---\n/m)
    .filter((doc) => /^kind: Gateway$/m.test(doc))
    .join("---\n");
}

describe("request-routing task: all to v1, then user jason to reviews v2", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  let base: string[];
  before(async () => {
    const [productpage, reviews1, reviews2, reviews3, ratings, details] = await echoes(
      backends,
      "productpage-v1",
      "reviews-v1",
      "reviews-v2",
      "reviews-v3",
      "ratings-v1",
      "details-v1",
    );
    base = [
      // The gateway of the Bookinfo sample, as the task's set-up applies it.
      sample("bookinfo-gateway.yaml"),
      DESTINATION_RULE_ALL,
      serviceOfPods("productpage", 9080, [{ port: productpage!.port, version: "v1" }]),
      serviceOfPods("reviews", 9080, [
        { port: reviews1!.port, version: "v1" },
        { port: reviews2!.port, version: "v2" },
        { port: reviews3!.port, version: "v3" },
      ]),
      serviceOfPods("ratings", 9080, [{ port: ratings!.port, version: "v1" }]),
      serviceOfPods("details", 9080, [{ port: details!.port, version: "v1" }]),
    ];
    await gw.start(8080, base);
  });
  after(async () => {
    await gw.close();
    await closeAll(backends);
  });

  it("leaves the task's rules as written to the mesh: the gateway answers 404 NR for their hosts", async () => {
    // Applied as the task applies them: no `gateways:`, so they bind to `mesh` only.
    await gw.apply([...base, VIRTUAL_SERVICE_ALL_V1, VIRTUAL_SERVICE_REVIEWS_TEST_V2]);
    const r = await gw.get("reviews", "/reviews/mesh-only", { "end-user": "jason" });
    assert.deepEqual([r.status, r.headers["x-igw-error-code"], r.body], [404, "IGW_ERR_NO_ROUTE", ""]);
    const line = await gw.logged("/reviews/mesh-only");
    assert.deepEqual(
      [line["response_flags"], line["response_code_details"], line["upstream_cluster"]],
      ["NR", "route_not_found", null],
    );
    // The sample's own rule, bound to the gateway, still serves the product page.
    const page = await gw.get("productpage", "/productpage");
    assert.deepEqual([page.status, page.headers["x-backend"]], [200, "productpage-v1"]);
  });

  it("istio-gateway analyze finds nothing to report in them, as istioctl analyze finds nothing", () => {
    // Istio's analyzers do not flag a rule that binds to the mesh only: that is what most rules
    // are for. (Its webhook and analyzers would flag the rules bound to a Gateway that is missing.)
    const text = documents(sample("bookinfo-gateway.yaml"), DESTINATION_RULE_ALL, VIRTUAL_SERVICE_ALL_V1);
    const report = checkInputs([{ name: "-", text }], { analyze: true, strict: true });
    assert.deepEqual(
      [report.findings, report.checked],
      [[], { Gateway: 1, VirtualService: 5, DestinationRule: 4 }],
    );
  });

  it('leaves rules that name "mesh" in gateways to the mesh too', async () => {
    await gw.apply([...base, bindToGateway(VIRTUAL_SERVICE_ALL_V1, "mesh")]);
    const r = await gw.get("reviews", "/reviews/named-mesh");
    assert.deepEqual([r.status, r.headers["x-igw-error-code"]], [404, "IGW_ERR_NO_ROUTE"]);
  });

  it("virtual-service-all-v1.yaml, bound to the gateway: every service answers from its v1", async () => {
    // Adapted: `gateways: [bookinfo-gateway]` added to each rule; hosts and routes as in the task.
    await gw.apply([...base, bindToGateway(VIRTUAL_SERVICE_ALL_V1, "bookinfo-gateway")]);
    for (const service of ["productpage", "reviews", "ratings", "details"]) {
      const answers = await gw.getMany(10, service, `/${service}/0`);
      assert.deepEqual(tally(answers), { [`${service}-v1`]: 10 }, service);
    }
  });

  it("virtual-service-reviews-test-v2.yaml, bound: end-user jason gets reviews v2, anyone else v1", async () => {
    // Adapted: `gateways: [bookinfo-gateway]` added; applied after all-v1, as in the task.
    await gw.apply([
      ...base,
      bindToGateway(VIRTUAL_SERVICE_ALL_V1, "bookinfo-gateway"),
      bindToGateway(VIRTUAL_SERVICE_REVIEWS_TEST_V2, "bookinfo-gateway"),
    ]);
    assert.deepEqual(tally(await gw.getMany(10, "reviews", "/reviews/0", { "end-user": "jason" })), {
      "reviews-v2": 10,
    });
    assert.deepEqual(tally(await gw.getMany(10, "reviews", "/reviews/0")), { "reviews-v1": 10 });
    // `exact` compares the whole value, case and all, as Envoy's string matcher does.
    for (const user of ["Jason", "jason2", "json"]) {
      const r = await gw.get("reviews", "/reviews/0", { "end-user": user });
      assert.equal(r.headers["x-backend"], "reviews-v1", user);
    }
  });
});

describe("fault-injection task: a 7 s delay, then an HTTP 500 abort, for user jason", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  let ratings: Backend;
  let base: string[];
  before(async () => {
    const [reviews1, reviews2, ratings1] = await echoes(backends, "reviews-v1", "reviews-v2", "ratings-v1");
    ratings = ratings1!;
    // Adapted: `gateways: [bookinfo-gateway]` added to the task's rules (all-v1, reviews-test-v2).
    base = [
      sample("bookinfo-gateway.yaml"),
      DESTINATION_RULE_ALL,
      serviceOfPods("reviews", 9080, [
        { port: reviews1!.port, version: "v1" },
        { port: reviews2!.port, version: "v2" },
      ]),
      serviceOfPods("ratings", 9080, [{ port: ratings.port, version: "v1" }]),
      bindToGateway(VIRTUAL_SERVICE_ALL_V1, "bookinfo-gateway"),
      bindToGateway(VIRTUAL_SERVICE_REVIEWS_TEST_V2, "bookinfo-gateway"),
    ];
    await gw.start(8080, [...base, bindToGateway(VIRTUAL_SERVICE_RATINGS_TEST_DELAY, "bookinfo-gateway")]);
  });
  after(async () => {
    await gw.close();
    await closeAll(backends);
  });

  it("virtual-service-ratings-test-delay.yaml, bound: jason's call to ratings waits 7 s, then goes through", async () => {
    const before = ratings.hits.count;
    const jason = timed(() => gw.get("ratings", "/ratings/jason", { "end-user": "jason" }));
    // Another user is not delayed: answered while jason's request is still held, before ratings saw it.
    const other = await gw.get("ratings", "/ratings/other");
    assert.deepEqual(
      [other.status, other.headers["x-backend"], ratings.hits.count],
      [200, "ratings-v1", before + 1],
    );
    const { value: r, ms } = await jason;
    // The gateway's routes have no timeout (Istio's default), so it waits out the whole delay; in the
    // task it is productpage's own 3 s timeout, in the mesh, that gives up first.
    assert.deepEqual([r.status, r.headers["x-backend"], ratings.hits.count], [200, "ratings-v1", before + 2]);
    assert.ok(ms >= 7000 - TIMER_SLACK_MS && ms < 10_000, `answered after ${ms} ms`);
    const line = await gw.logged("/ratings/jason");
    assert.deepEqual([line["response_code"], line["response_flags"]], [200, "DI"]);
  });

  it("virtual-service-ratings-test-abort.yaml, bound: jason gets Envoy's 500 fault filter abort, others ratings", async () => {
    await gw.apply([...base, bindToGateway(VIRTUAL_SERVICE_RATINGS_TEST_ABORT, "bookinfo-gateway")]);
    const before = ratings.hits.count;
    const r = await curl([
      "-H",
      `Host: ${fqdn("ratings")}`,
      "-H",
      "end-user: jason",
      `http://127.0.0.1:${gw.port}/ratings/abort`,
    ]);
    assert.deepEqual(
      [r.status, r.body, r.headers["content-type"], r.headers["x-igw-error-code"], r.headers["server"]],
      [500, "fault filter abort", "text/plain", undefined, "istio-envoy"],
    );
    assert.equal(ratings.hits.count, before);
    const line = await gw.logged("/ratings/abort");
    assert.deepEqual(
      [
        line["response_code"],
        line["response_flags"],
        line["response_code_details"],
        line["upstream_cluster"],
      ],
      [500, "FI", "fault_filter_abort", `outbound|9080|v1|${fqdn("ratings")}`],
    );
    const other = await gw.get("ratings", "/ratings/0", { "end-user": "someone" });
    assert.deepEqual([other.status, other.headers["x-backend"]], [200, "ratings-v1"]);
  });
});

describe("traffic-shifting task: all to v1, then 50% to v3, then all to v3", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  let base: string[];
  before(async () => {
    const [v1, v2, v3] = await echoes(backends, "reviews-v1", "reviews-v2", "reviews-v3");
    base = [
      sample("bookinfo-gateway.yaml"),
      DESTINATION_RULE_ALL,
      serviceOfPods("reviews", 9080, [
        { port: v1!.port, version: "v1" },
        { port: v2!.port, version: "v2" },
        { port: v3!.port, version: "v3" },
      ]),
      // Adapted: `gateways: [bookinfo-gateway]` added to every rule of the task.
      bindToGateway(VIRTUAL_SERVICE_ALL_V1, "bookinfo-gateway"),
    ];
    await gw.start(8080, base);
  });
  after(async () => {
    await gw.close();
    await closeAll(backends);
  });

  it("virtual-service-all-v1.yaml: every request to v1", async () => {
    assert.deepEqual(tally(await gw.getMany(20, "reviews", "/reviews/0")), { "reviews-v1": 20 });
  });

  it("virtual-service-reviews-50-v3.yaml: v1 and v3 share the requests by halves, v2 gets none", async () => {
    await gw.apply([...base, bindToGateway(VIRTUAL_SERVICE_REVIEWS_50_V3, "bookinfo-gateway")]);
    const n = 200;
    const counts = tally(await gw.getMany(n, "reviews", "/reviews/0"));
    assert.deepEqual(Object.keys(counts).sort(), ["reviews-v1", "reviews-v3"]);
    assert.equal(counts["reviews-v1"]! + counts["reviews-v3"]!, n);
    const tolerance = binomialTolerance(n, 0.5);
    assert.ok(Math.abs(counts["reviews-v1"]! - n / 2) <= tolerance, JSON.stringify(counts));
  });

  it("virtual-service-reviews-v3.yaml: every request to v3", async () => {
    await gw.apply([...base, bindToGateway(VIRTUAL_SERVICE_REVIEWS_V3, "bookinfo-gateway")]);
    assert.deepEqual(tally(await gw.getMany(20, "reviews", "/reviews/0")), { "reviews-v3": 20 });
  });
});

describe("tcp-traffic-shifting task: port 31400 all to tcp-echo v1, then 20% to v2", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  let base: string[];
  before(async () => {
    // The task's tcp-echo servers answer each line with their name before it.
    const one = await startTcpEcho("one ");
    const two = await startTcpEcho("two ");
    backends.push(one, two);
    base = [
      // The task's rules as they are: they name the gateway themselves.
      sample("tcp-echo-all-v1.yaml"),
      tcpEchoPods(one.port, two.port),
    ];
    await gw.start(31400, base);
  });
  after(async () => {
    await gw.close();
    await closeAll(backends);
  });

  /** Opens a connection, sends one line, and returns the echo's name for it (`one` or `two`). */
  async function echoName(): Promise<string> {
    const socket = net.connect(gw.port, "127.0.0.1");
    await once(socket, "connect");
    socket.write("hello\n");
    let answer = "";
    // "one hello\n" may come in pieces; each piece is at least a byte, so this ends.
    while (!answer.endsWith("\n")) {
      const [data] = (await once(socket, "data")) as [Buffer];
      answer += data.toString();
    }
    socket.destroy();
    assert.match(answer, /^(one|two) hello\n$/);
    return answer.slice(0, 3);
  }

  /** The echo names of `n` connections, one after another, counted. */
  async function connections(n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const name = await echoName();
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  it("tcp-echo-all-v1.yaml: every connection reaches v1", async () => {
    assert.deepEqual(await connections(20), { one: 20 });
  });

  it("tcp-echo-20-v2.yaml: connections split 80/20 between v1 and v2", async () => {
    await gw.apply([...base, TCP_ECHO_20_V2]);
    const n = 200;
    const counts = await connections(n);
    assert.equal((counts["one"] ?? 0) + (counts["two"] ?? 0), n, JSON.stringify(counts));
    const tolerance = binomialTolerance(n, 0.2);
    assert.ok(Math.abs((counts["two"] ?? 0) - n * 0.2) <= tolerance, JSON.stringify(counts));
  });
});

describe("request-timeouts task: reviews v2 waits on a 2 s ratings delay, then times out at 0.5 s", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  /** What reviews v2 was sent, and its calls to ratings still running. */
  const reviewsV2Requests: http.IncomingHttpHeaders[] = [];
  const ratingsCalls: Promise<unknown>[] = [];
  let base: string[];
  before(async () => {
    const [reviews1, ratings1] = await echoes(backends, "reviews-v1", "ratings-v1");
    // Reviews v2 calls ratings for each request, as in Bookinfo; here through the gateway, which
    // applies the ratings rule that the task has the caller's sidecar apply.
    const server = http.createServer((req, res) => {
      reviewsV2Requests.push(req.headers);
      req.resume();
      const call = gw.get("ratings", "/ratings/0").then(
        (ratings) => {
          const body = JSON.stringify({ name: "reviews-v2", ratings: ratings.headers["x-backend"] });
          res.writeHead(200, { "x-backend": "reviews-v2", "content-type": "application/json" }).end(body);
        },
        () => res.destroy(),
      );
      ratingsCalls.push(call);
    });
    const reviews2 = { ...(await listenOnLoopback(server)), hits: { count: 0 } };
    backends.push(reviews2);
    base = [
      sample("bookinfo-gateway.yaml"),
      DESTINATION_RULE_ALL,
      serviceOfPods("reviews", 9080, [
        { port: reviews1!.port, version: "v1" },
        { port: reviews2.port, version: "v2" },
      ]),
      serviceOfPods("ratings", 9080, [{ port: ratings1!.port, version: "v1" }]),
      // Adapted: `gateways: [bookinfo-gateway]` added to each of the task's rules.
      bindToGateway(VIRTUAL_SERVICE_ALL_V1, "bookinfo-gateway"),
      bindToGateway(TIMEOUTS_REVIEWS_V2, "bookinfo-gateway"),
      bindToGateway(TIMEOUTS_RATINGS_DELAY, "bookinfo-gateway"),
    ];
    await gw.start(8080, base);
  });
  after(async () => {
    await Promise.allSettled(ratingsCalls);
    await gw.close();
    await closeAll(backends);
  });

  it("without a timeout, reviews answers whole after the 2 s ratings delay", async () => {
    const { value: r, ms } = await timed(() => gw.get("reviews", "/reviews/slow"));
    assert.deepEqual([r.status, JSON.parse(r.body)], [200, { name: "reviews-v2", ratings: "ratings-v1" }]);
    assert.ok(ms >= 2000 - TIMER_SLACK_MS && ms < 4000, `answered after ${ms} ms`);
  });

  it("timeout: 0.5s: 504 with Envoy's body upstream request timeout after half a second", async () => {
    await gw.apply([...base, bindToGateway(TIMEOUTS_REVIEWS_HALF_SECOND, "bookinfo-gateway")]);
    const seen = reviewsV2Requests.length;
    const { value: r, ms } = await timed(() =>
      curl(["-H", `Host: ${fqdn("reviews")}`, `http://127.0.0.1:${gw.port}/reviews/timeout`]),
    );
    assert.deepEqual(
      [r.status, r.body, r.headers["content-type"], r.headers["x-igw-error-code"]],
      [504, "upstream request timeout", "text/plain", "IGW_ERR_UPSTREAM_TIMEOUT"],
    );
    assert.ok(ms >= 500 - TIMER_SLACK_MS && ms < 1500, `answered after ${ms} ms`);
    // One attempt, told how long it has, as Envoy's router tells the upstream.
    assert.equal(reviewsV2Requests.length, seen + 1);
    assert.equal(reviewsV2Requests[seen]!["x-envoy-expected-rq-timeout-ms"], "500");
    const line = await gw.logged("/reviews/timeout");
    assert.deepEqual(
      [line["response_code"], line["response_flags"], line["response_code_details"]],
      [504, "UT", "response_timeout"],
    );
  });
});

describe("circuit-breaking task: httpbin with one connection and one pending request", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  let httpbin: Backend;
  // The task's load generator opens a connection per concurrent client.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 100 });
  const get = (path: string) =>
    request(`http://127.0.0.1:${gw.port}${path}`, { host: "httpbin.example.com" }, agent);
  before(async () => {
    [httpbin] = await echoes(backends, "httpbin");
    await gw.start(80, [
      // The httpbin sample's Gateway and rule (bound to it already) and the task's DestinationRule.
      sample("httpbin-gateway.yaml"),
      CIRCUIT_BREAKING_DESTINATION_RULE,
      serviceOfPods("httpbin", 8000, [{ port: httpbin.port, version: "v1" }]),
    ]);
  });
  after(async () => {
    agent.destroy();
    await gw.close();
    await closeAll(backends);
  });

  /** `n` requests for `path` at once, answers in the order sent. */
  const atOnce = (n: number, path: string) => Promise.all(Array.from({ length: n }, () => get(path)));

  it("three clients at once: one request in flight, one pending, the third 503 UO x-envoy-overloaded", async () => {
    const hits = httpbin.hits.count;
    const answers = await atOnce(3, "/delay/600?cb=3");
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 503]);
    const overflow = answers.find((r) => r.status === 503)!;
    assert.deepEqual(
      [overflow.body, overflow.headers["x-envoy-overloaded"], overflow.headers["x-igw-error-code"]],
      [
        "upstream connect error or disconnect/reset before headers. reset reason: overflow",
        "true",
        "IGW_ERR_UPSTREAM_OVERFLOW",
      ],
    );
    assert.equal(httpbin.hits.count, hits + 2);
    const path = "/delay/600?cb=3";
    const logged = () => gw.access.filter((l) => l["path"] === path);
    await loggedLineWhere(gw.access, () => logged().length === 3, `three lines for ${path}`);
    assert.deepEqual(
      logged()
        .map((l) => `${String(l["response_code"])} ${String(l["response_flags"])}`)
        .sort(),
      ["200 -", "200 -", "503 UO"],
    );
    const metrics = await curl([`http://127.0.0.1:${gw.proxy.statusPort}/metrics`]);
    assert.match(
      metrics.body,
      /^envoy_cluster_upstream_rq_pending_overflow\{cluster_name="outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local"\} 1$/m,
    );
  });

  it("overflows are the cluster's, not the endpoint's: outlier detection does not eject httpbin for them", async () => {
    const answers = await atOnce(10, "/delay/600?cb=10");
    assert.deepEqual(tally(answers), { httpbin: 2, "503": 8 });
    // Eight 503s in a row, yet the endpoint stays: Envoy's router keeps overflows from outlier detection.
    for (let i = 0; i < 3; i++) assert.equal((await get("/get")).headers["x-backend"], "httpbin");
  });

  it("consecutiveErrors: 1 is ignored, as Istio ignores it: Envoy's default, five 5xx in a row, ejects httpbin", async () => {
    // Istio's webhook warns of the deprecated field; pilot writes nothing of it into the cluster.
    assert.ok(
      gw.logs.some((l) => l.includes("[IGW5023]") && l.includes("outlierDetection.consecutiveErrors")),
      gw.logs.join("\n"),
    );
    // One 503 from httpbin does not eject it...
    assert.deepEqual([(await get("/status/503")).status, (await get("/get")).status], [503, 200]);
    // ...five in a row do (consecutive_5xx's default, which Istio leaves unset), for the task's 3 minutes.
    for (let i = 0; i < 5; i++) {
      const r = await get("/status/503");
      assert.deepEqual([r.status, r.headers["x-backend"]], [503, "httpbin"], `503 number ${i + 1}`);
    }
    const r = await get("/get?after-ejection");
    assert.deepEqual(
      [r.status, r.body, r.headers["x-igw-error-code"]],
      [503, "no healthy upstream", "IGW_ERR_NO_HEALTHY_UPSTREAM"],
    );
    const line = await gw.logged("/get?after-ejection");
    assert.deepEqual([line["response_flags"], line["response_code_details"]], ["UH", "no_healthy_upstream"]);
  });
});

describe("mirroring task: httpbin to v1, with a copy of each request to v2", () => {
  const gw = new TaskGateway();
  const backends: Backend[] = [];
  const v1Seen: Echo[] = [];
  const v2Seen: Echo[] = [];
  let base: string[];
  before(async () => {
    const v1 = await startEchoBackend("httpbin-v1", v1Seen);
    const v2 = await startEchoBackend("httpbin-v2", v2Seen);
    backends.push(v1, v2);
    base = [
      // The task runs in the mesh; the httpbin sample's Gateway stands in for it here.
      gatewayOf("httpbin-gateway.yaml"),
      serviceOfPods("httpbin", 8000, [
        { port: v1.port, version: "v1" },
        { port: v2.port, version: "v2" },
      ]),
      // Adapted: `gateways: [httpbin-gateway]` added to the task's rule.
      bindToGateway(MIRRORING_DEFAULT_ROUTING, "httpbin-gateway"),
    ];
    await gw.start(80, base);
  });
  after(async () => {
    await gw.close();
    await closeAll(backends);
  });

  /** Waits until v2 has seen no new request for 300 ms (a shadow may land after its answer). */
  async function mirrorsSettled(): Promise<number> {
    let last = -1;
    for (let quiet = 0, i = 0; quiet < 6 && i < 200; i++) {
      quiet = v2Seen.length === last ? quiet + 1 : 0;
      last = v2Seen.length;
      await new Promise((r) => setTimeout(r, 50));
    }
    return v2Seen.length;
  }

  it("the default routing policy: every request to v1, none to v2", async () => {
    assert.deepEqual(tally(await gw.getMany(5, "httpbin", "/headers")), { "httpbin-v1": 5 });
    assert.equal(await mirrorsSettled(), 0);
  });

  it("mirror to v2: v1 answers, and v2 gets the same request with Envoy's -shadow authority", async () => {
    await gw.apply([...base, bindToGateway(mirroringToV2(), "httpbin-gateway")]);
    const v1Before = v1Seen.length;
    // The task's client asks for httpbin:8000; the port stays after the shadow suffix, as in Envoy.
    const r = await curl([
      "-H",
      `Host: ${fqdn("httpbin")}:8000`,
      `http://127.0.0.1:${gw.port}/headers?mirror`,
    ]);
    assert.deepEqual(
      [r.status, r.headers["x-backend"], (JSON.parse(r.body) as Echo).name],
      [200, "httpbin-v1", "httpbin-v1"],
    );
    assert.equal(v1Seen.length, v1Before + 1);
    assert.equal(await mirrorsSettled(), 1);
    const shadow = v2Seen[0]!;
    assert.deepEqual(
      [shadow.method, shadow.url, shadow.headers["host"], shadow.headers["x-envoy-internal"]],
      ["GET", "/headers?mirror", `${fqdn("httpbin")}-shadow:8000`, "true"],
    );
    // One access-log line: the client's request. The shadow's answer went nowhere.
    const line = await gw.logged("/headers?mirror");
    assert.deepEqual(
      [line["response_code"], line["upstream_cluster"]],
      [200, `outbound|8000|v1|${fqdn("httpbin")}`],
    );
    assert.equal(gw.access.filter((l) => l["path"] === "/headers?mirror").length, 1);
  });

  it("mirrorPercentage 50 (the task's rule at 50 for 100): about half the requests are copied", async () => {
    await gw.apply([...base, bindToGateway(mirroringToV2("50.0"), "httpbin-gateway")]);
    const before = await mirrorsSettled();
    const n = 200;
    assert.deepEqual(tally(await gw.getMany(n, "httpbin", "/headers?half")), { "httpbin-v1": n });
    const copies = (await mirrorsSettled()) - before;
    assert.ok(Math.abs(copies - n / 2) <= binomialTolerance(n, 0.5), `${copies} of ${n} copied`);
  });
});
