import assert from "node:assert/strict";
import { test } from "node:test";
import type { CorsPolicyConfig, FaultPolicy, RouteMatch } from "../../istio/translate/proxy-config";
import { evaluateCors } from "./cors";
import { decideFault } from "./fault";
import { forward, request, route } from "./fixtures";
import { decideMirrors, shadowAuthority } from "./mirror";
import { compileRoute } from "./route-config";
import { pickWeightedCluster, seededRandom } from "./weighted-cluster";

const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

test("pickWeightedCluster: boundaries of relative weights", () => {
  const r = compileRoute(
    route("r", {
      action: forward([
        ["v1", 80],
        ["v2", 20],
      ]),
    }),
  );
  const pick = (x: number) => pickWeightedCluster(r, () => x)?.cluster.cluster;
  assert.deepEqual([pick(0), pick(0.7999), pick(0.8), pick(0.9999999)], ["v1", "v1", "v2", "v2"]);
});

test("pickWeightedCluster: 80/20 over 10000 seeded draws", () => {
  const r = compileRoute(
    route("r", {
      action: forward([
        ["v1", 80],
        ["v2", 20],
      ]),
    }),
  );
  const random = seededRandom(42);
  const counts = { v1: 0, v2: 0 } as Record<string, number>;
  for (let i = 0; i < 10_000; i++) counts[pickWeightedCluster(r, random)!.cluster.cluster]++;
  assert.deepEqual(counts, { v1: 8010, v2: 1990 });
});

test("pickWeightedCluster: one destination, and none for redirects", () => {
  const one = compileRoute(route("r", { action: forward([["only", 1]]) }));
  const redirect = compileRoute(route("r", { action: { kind: "redirect", uri: "/", responseCode: 301 } }));
  assert.equal(pickWeightedCluster(one, () => 0.99)?.cluster.cluster, "only");
  assert.equal(
    pickWeightedCluster(redirect, () => 0.5),
    undefined,
  );
});

const faultCases: [string, FaultPolicy, number[], ReturnType<typeof decideFault>][] = [
  ["delay always", { delay: { fixedDelayMs: 5000, percentage: 100 } }, [0.99], { delayMs: 5000 }],
  ["delay never at 0%", { delay: { fixedDelayMs: 5000, percentage: 0 } }, [0], {}],
  ["delay 10%: drawn below", { delay: { fixedDelayMs: 7, percentage: 10 } }, [0.0999], { delayMs: 7 }],
  ["delay 10%: drawn at the edge", { delay: { fixedDelayMs: 7, percentage: 10 } }, [0.1], {}],
  [
    "abort http",
    { abort: { httpStatus: 503, percentage: 100 } },
    [0.5],
    { abort: { kind: "http", status: 503 } },
  ],
  [
    "abort grpc",
    { abort: { grpcStatus: "UNAVAILABLE", percentage: 100 } },
    [0.5],
    { abort: { kind: "grpc", grpcStatus: 14 } },
  ],
  [
    "abort 0.1%",
    { abort: { httpStatus: 400, percentage: 0.1 } },
    [0.00099],
    { abort: { kind: "http", status: 400 } },
  ],
  [
    "delay and abort drawn independently",
    { delay: { fixedDelayMs: 1, percentage: 50 }, abort: { httpStatus: 500, percentage: 50 } },
    [0.6, 0.2],
    { abort: { kind: "http", status: 500 } },
  ],
];

for (const [name, fault, draws, want] of faultCases) {
  test(`decideFault: ${name}`, () => {
    assert.deepEqual(decideFault(compileRoute(route("r", { fault })), sequence(...draws)), want);
  });
}

test("decideMirrors: each mirror drawn on its own percentage", () => {
  const r = compileRoute(
    route("r", {
      action: forward([["c", 1]], {
        mirrors: [
          { cluster: "m1", percentage: 100 },
          { cluster: "m2", percentage: 50 },
          { cluster: "m3", percentage: 50 },
        ],
      }),
    }),
  );
  assert.deepEqual(decideMirrors(r, sequence(0.9, 0.3, 0.7)), ["m1", "m2"]);
  assert.deepEqual(["a.com", "a.com:8080", "[::1]:80", "[::1]"].map(shadowAuthority), [
    "a.com-shadow",
    "a.com-shadow:8080",
    "[::1]-shadow:80",
    "[::1]-shadow",
  ]);
});

const cors: CorsPolicyConfig = {
  allowOrigins: [
    { kind: "exact", value: "https://a.com" },
    { kind: "regex", regex: "https://.*\\.b\\.com" },
  ],
  allowMethods: ["GET", "POST"],
  allowHeaders: ["x-token"],
  exposeHeaders: ["x-id"],
  maxAgeSeconds: 86400,
  allowCredentials: true,
  unmatchedPreflights: "FORWARD",
};

const preflight = (origin: string) =>
  request("/", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

const corsCases: [string, CorsPolicyConfig, ReturnType<typeof request>, ReturnType<typeof evaluateCors>][] = [
  ["no Origin", cors, request("/"), { kind: "none" }],
  [
    "preflight from an allowed origin",
    cors,
    preflight("https://a.com"),
    {
      kind: "preflight",
      status: 200,
      headers: [
        ["access-control-allow-origin", "https://a.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-allow-methods", "GET,POST"],
        ["access-control-allow-headers", "x-token"],
        ["access-control-max-age", "86400"],
        // Added on the way out, as Envoy's cors filter adds it to any answer to an allowed origin.
        ["access-control-expose-headers", "x-id"],
      ],
    },
  ],
  [
    "actual request from an allowed origin",
    cors,
    request("/", { method: "POST", headers: { origin: "https://x.b.com" } }),
    {
      kind: "forward",
      responseHeaders: [
        ["access-control-allow-origin", "https://x.b.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-expose-headers", "x-id"],
      ],
    },
  ],
  [
    "preflight from another origin, forwarded",
    cors,
    preflight("https://evil.com"),
    { kind: "forward", responseHeaders: [] },
  ],
  [
    "preflight from another origin, IGNORE: answered with the policy's headers but the origin",
    { ...cors, unmatchedPreflights: "IGNORE" },
    preflight("https://evil.com"),
    {
      kind: "preflight",
      status: 200,
      headers: [
        ["access-control-allow-credentials", "true"],
        ["access-control-allow-methods", "GET,POST"],
        ["access-control-allow-headers", "x-token"],
        ["access-control-max-age", "86400"],
      ],
    },
  ],
  [
    "allowMethods and allowHeaders of * name back what the preflight asked for",
    { ...cors, allowMethods: ["*"], allowHeaders: ["*"] },
    request("/", {
      method: "OPTIONS",
      headers: {
        origin: "https://a.com",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "x-custom,content-type",
      },
    }),
    {
      kind: "preflight",
      status: 200,
      headers: [
        ["access-control-allow-origin", "https://a.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-allow-methods", "PUT"],
        ["access-control-allow-headers", "x-custom,content-type"],
        ["access-control-max-age", "86400"],
        ["access-control-expose-headers", "x-id"],
      ],
    },
  ],
  [
    "a * among other methods is written as it is",
    { ...cors, allowMethods: ["GET", "*"], allowHeaders: [] },
    preflight("https://a.com"),
    {
      kind: "preflight",
      status: 200,
      headers: [
        ["access-control-allow-origin", "https://a.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-allow-methods", "GET,*"],
        ["access-control-max-age", "86400"],
        ["access-control-expose-headers", "x-id"],
      ],
    },
  ],
  [
    "OPTIONS without Access-Control-Request-Method is not a preflight",
    cors,
    request("/", { method: "OPTIONS", headers: { origin: "https://a.com" } }),
    {
      kind: "forward",
      responseHeaders: [
        ["access-control-allow-origin", "https://a.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-expose-headers", "x-id"],
      ],
    },
  ],
  [
    "an origin condition matching * allows every origin",
    { ...cors, allowOrigins: [{ kind: "exact", value: "*" }], allowCredentials: false, exposeHeaders: [] },
    request("/", { headers: { origin: "https://any.org" } }),
    { kind: "forward", responseHeaders: [["access-control-allow-origin", "https://any.org"]] },
  ],
];

for (const [name, policy, req, want] of corsCases) {
  test(`evaluateCors: ${name}`, () => {
    assert.deepEqual(evaluateCors(compileRoute(route("r", { cors: policy })), req), want);
  });
}

test("evaluateCors: a route without a policy", () => {
  const m: Partial<RouteMatch> = {};
  assert.deepEqual(evaluateCors(compileRoute(route("r", { match: m })), preflight("https://a.com")), {
    kind: "none",
  });
});
