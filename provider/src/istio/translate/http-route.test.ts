import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import type { Issue } from "../validate/issue";
import { buildProxyConfig } from "./build-proxy-config";
import type { Cluster, HashPolicy, Route } from "./proxy-config";

function routes(
  http: string,
  serverExtra = "",
  documents = "",
): { routes: readonly Route[]; clusters: readonly Cluster[]; issues: string[] } {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]${serverExtra}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [a.com]
  gateways: [istio-system/gw]
  http:
${http}${documents === "" ? "" : `---\n${documents}`}`;
  const { config, issues } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway", version: "v1" } },
  );
  const vhosts = config.listeners[0]?.filterChains[0]?.httpConnectionManager?.routeConfig.virtualHosts ?? [];
  return {
    routes: vhosts.find((v) => v.domains[0] === "a.com")?.routes ?? [],
    clusters: config.clusters,
    issues: issues.map((i: Issue) => `${i.severity} ${i.code} ${i.path}: ${i.message}`),
  };
}

const none = { set: [], add: [], remove: [] };

/** Gateway `istio-system/gw`, serving every host over HTTP on port 80, and a document separator. */
const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
`;

test("redirect: FROM_REQUEST_PORT becomes the server port; the scheme's default port is dropped; code defaults to 301", () => {
  const { routes: r } = routes(`
  - match: [{uri: {prefix: /a}}]
    redirect: {uri: /b, derivePort: FROM_REQUEST_PORT}
  - match: [{uri: {prefix: /c}}]
    redirect: {scheme: https, port: 443, redirectCode: 308}
  - match: [{uri: {prefix: /d}}]
    redirect: {prefixRewrite: /e, authority: b.com, port: 8443}
  - directResponse: {status: 418, body: {string: teapot}}
`);
  assert.deepEqual(
    r.map((x) => x.action),
    [
      { kind: "redirect", uri: "/b", responseCode: 301 },
      { kind: "redirect", scheme: "https", responseCode: 308 },
      { kind: "redirect", prefixRewrite: "/e", authority: "b.com", port: 8443, responseCode: 301 },
      { kind: "directResponse", status: 418, body: { inlineString: "teapot" } },
    ],
  );
});

test("redirect codes and direct response statuses Envoy cannot send drop their rule, as Envoy would refuse Istio's route", () => {
  const { routes: r, issues } = routes(`
  - match: [{uri: {prefix: /a}}]
    redirect: {uri: /b, redirectCode: 300}
  - match: [{uri: {prefix: /c}}]
    redirect: {scheme: https, redirectCode: 399}
  - match: [{uri: {prefix: /d}}]
    redirect: {uri: /e, redirectCode: 303}
  - match: [{uri: {prefix: /f}}]
    directResponse: {status: 600}
  - directResponse: {status: 599}
`);
  assert.deepEqual(
    r.map((x) => x.action),
    [
      { kind: "redirect", uri: "/e", responseCode: 303 },
      { kind: "directResponse", status: 599 },
    ],
  );
  const refused = (at: string, allowed: string, got: number): string =>
    `error IGW6024 spec.http[${at}: must be ${allowed} for Envoy, which refuses the route configuration Istio builds for it: the rule is dropped (got ${got})`;
  assert.deepEqual(issues, [
    refused("0].redirect.redirectCode", "301, 302, 303, 307 or 308", 300),
    refused("1].redirect.redirectCode", "301, 302, 303, 307 or 308", 399),
    refused("3].directResponse.status", "200 to 599", 600),
  ]);
});

test("forward: weights, rewrites, authority from headers, header operations, timeout, retries, fault, mirrors, CORS", () => {
  const { routes: r, issues } = routes(`
  - name: main
    match:
    - uri: {prefix: /api}
      ignoreUriCase: true
      method: {exact: GET}
      headers: {X-User: {exact: jason}, x-any: {}, x-star: {regex: "*"}}
      withoutHeaders: {x-bot: {prefix: "y"}}
      queryParams: {v: {regex: "[0-9]+"}}
    rewrite: {uri: /v2}
    headers:
      request:
        set: {host: rewritten.com, X-B: "2", x-a: "%HOSTNAME%"}
        add: {x-c: "3"}
        remove: [x-secret, ":path"]
      response: {set: {x-served-by: "%UPSTREAM_METADATA(x)%"}}
    route:
    - destination: {host: api, subset: v1}
      weight: 90
      headers: {request: {set: {":authority": dest.com}}}
    - destination: {host: api, subset: v2}
      weight: 10
    timeout: 5s
    retries: {attempts: 3, retryOn: "5xx,503", perTryTimeout: 1500ms, backoff: 100ms, retryIgnorePreviousHosts: false}
    fault:
      delay: {fixedDelay: 2s, percentage: {value: 10}}
      abort: {httpStatus: 503}
    mirror: {host: shadow}
    mirrorPercentage: {value: 25.5}
    corsPolicy:
      allowOrigins: [{exact: "https://a.com"}]
      allowMethods: [GET]
      maxAge: 24h
      unmatchedPreflights: IGNORE
  - match: [{uri: {regex: "/re/(.*)"}}]
    rewrite: {uriRegexRewrite: {match: "/re/(.*)", rewrite: "/\\\\1"}, authority: x.com}
    retries: {attempts: 0}
    route: [{destination: {host: api}}]
`);
  assert.deepEqual(issues, [
    'warning IGW6013 spec.http[0].headers.response.set["x-served-by"]: uses Envoy formatters the proxy does not support, sent literally (got "UPSTREAM_METADATA")',
    'warning IGW6014 spec.http[0].route[0].destination.subset: must name a subset of a DestinationRule for "api.default.svc.cluster.local" visible to namespace "istio-system" (got "v1")',
    'warning IGW6014 spec.http[0].route[1].destination.subset: must name a subset of a DestinationRule for "api.default.svc.cluster.local" visible to namespace "istio-system" (got "v2")',
  ]);
  assert.deepEqual(r[0], {
    name: "main",
    // Several destinations: the VirtualService's name and the server's port name the operation.
    decoratorOperation: "vs:80/api*",
    match: {
      ignoreUriCase: true,
      uri: { kind: "prefix", value: "/api" },
      method: { kind: "exact", value: "GET" },
      headers: [
        { name: "x-any", match: { kind: "present" } },
        { name: "x-star", match: { kind: "present" } },
        { name: "x-user", match: { kind: "exact", value: "jason" } },
      ],
      withoutHeaders: [{ name: "x-bot", match: { kind: "prefix", value: "y" } }],
      queryParams: [{ name: "v", match: { kind: "regex", regex: "[0-9]+" } }],
    },
    action: {
      kind: "route",
      clusters: [
        {
          cluster: "outbound|80|v1|api.default.svc.cluster.local",
          weight: 90,
          headers: { request: none, response: none },
          authority: "dest.com",
        },
        {
          cluster: "outbound|80|v2|api.default.svc.cluster.local",
          weight: 10,
          headers: { request: none, response: none },
        },
      ],
      rewrite: { uri: "/v2", authority: "rewritten.com" },
      timeoutMs: 5000,
      retries: {
        attempts: 3,
        retryOn: "5xx,503",
        backoffMs: 100,
        perTryTimeoutMs: 1500,
        previousHosts: false,
      },
      mirrors: [{ cluster: "outbound|80||shadow.default.svc.cluster.local", percentage: 25.5 }],
    },
    headers: {
      request: {
        set: [
          ["x-b", "2"],
          ["x-a", "%HOSTNAME%"],
        ],
        add: [["x-c", "3"]],
        remove: ["x-secret"],
      },
      response: { set: [["x-served-by", "%UPSTREAM_METADATA(x)%"]], add: [], remove: [] },
    },
    fault: { delay: { fixedDelayMs: 2000, percentage: 10 }, abort: { httpStatus: 503, percentage: 0 } },
    cors: {
      allowOrigins: [{ kind: "exact", value: "https://a.com" }],
      allowMethods: ["GET"],
      allowHeaders: [],
      exposeHeaders: [],
      maxAgeSeconds: 86400,
      allowCredentials: false,
      unmatchedPreflights: "IGNORE",
    },
    metadata: { virtualService: "default/vs", ruleIndex: 0, matchIndex: 0 },
  });
  assert.deepEqual(r[1].action, {
    kind: "route",
    clusters: [
      {
        cluster: "outbound|80||api.default.svc.cluster.local",
        weight: 1,
        headers: { request: none, response: none },
      },
    ],
    rewrite: { uriRegex: { pattern: "/re/(.*)", substitution: "/\\1" }, authority: "x.com" },
    mirrors: [],
    destinationHeadersLast: true,
  });
});

test("matches that cannot apply: JWT claims, a missing delegate, invalid RE2, sourceLabels and sourceNamespace against the proxy", () => {
  const { routes: r, issues } = routes(`
  - match: [{headers: {"@request.auth.claims.sub": {exact: me}}}, {uri: {regex: "(a"}}, {sourceLabels: {version: v2}}, {sourceLabels: {version: v1}, sourceNamespace: istio-system, uri: {exact: /ok}}]
    route: [{destination: {host: a}}]
  - delegate: {name: child}
  - route: [{destination: {host: b}}]
`);
  assert.deepEqual(issues, [
    'warning IGW6011 spec.http[1].delegate: must name a VirtualService without hosts: the rule is skipped (got "default/child")',
    'warning IGW6012 spec.http[0].match[0].headers["@request.auth.claims.sub"]: matches a JWT claim, which the proxy does not route on (RequestAuthentication validates tokens, but routing by their claims is not supported): the match never applies (got "@request.auth.claims.sub")',
    'error IGW6018 spec.http[0].match[1].uri.regex: must be a valid RE2 regular expression: missing closing ) in "(a" (got "(a")',
  ]);
  assert.deepEqual(
    r.map((x) => `${x.name} ${x.metadata.ruleIndex}/${x.metadata.matchIndex}`),
    ["default.vs.0.3 0/3", "default.vs.2.-1 2/-1"],
  );
});

test("a rewrite that would put a space, a control character or a character beyond Latin-1 in the path is kept, with a warning", () => {
  const { routes: r, issues } = routes(`
  - match: [{uri: {prefix: /a}}]
    rewrite: {uri: "/with space"}
    route: [{destination: {host: a}}]
  - match: [{uri: {prefix: /b}}]
    rewrite: {uriRegexRewrite: {match: "^/b(.*)", rewrite: '/b c/\\1'}}
    route: [{destination: {host: b}}]
  - match: [{uri: {prefix: /c}}]
    rewrite: {uri: "/\u65e5\u672c"}
    route: [{destination: {host: c}}]
  - rewrite: {uri: "/fine%20encoded/caf\u00e9"}
    route: [{destination: {host: d}}]
`);
  assert.deepEqual(issues, [
    'warning IGW6022 spec.http[0].rewrite.uri: must not contain spaces, control characters or characters beyond Latin-1 (percent-encode them), which no request line can carry: requests on the route get 500 (got "/with space")',
    'warning IGW6022 spec.http[1].rewrite.uriRegexRewrite.rewrite: must not contain spaces, control characters or characters beyond Latin-1 (percent-encode them), which no request line can carry: requests on the route get 500 (got "/b c/\\\\1")',
    'warning IGW6022 spec.http[2].rewrite.uri: must not contain spaces, control characters or characters beyond Latin-1 (percent-encode them), which no request line can carry: requests on the route get 500 (got "/\u65e5\u672c")',
  ]);
  assert.deepEqual(
    r.map((x) => (x.action.kind === "route" ? x.action.rewrite : undefined)),
    [
      { uri: "/with space" },
      { uriRegex: { pattern: "^/b(.*)", substitution: "/b c/\\1" } },
      { uri: "/\u65e5\u672c" },
      { uri: "/fine%20encoded/caf\u00e9" },
    ],
  );
});

test("httpsRedirect marks the virtual host; nothing bound to another host yields its own redirect host", () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.com, "./b.com"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [a.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: a}}]
`;
  const { config } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway" } },
  );
  assert.deepEqual(
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts.map((v) => [
      v.name,
      v.domains,
      v.requireTls,
      v.routes.length,
    ]),
    [
      ["a.com:80", ["a.com"], true, 1],
      ["b.com:80", ["b.com"], true, 0],
    ],
  );
});

test("delegation: delegate rules narrowed by the root's matches, inheriting what they do not set", () => {
  const yaml = `${GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: default}
spec:
  hosts: [a.com]
  gateways: [istio-system/gw]
  http:
  - name: reviews
    match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews, namespace: team}
    timeout: 3s
  - name: hidden
    delegate: {name: hidden, namespace: team}
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: team}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /reviews/v2}, headers: {x-v: {exact: "2"}}}]
    route: [{destination: {host: reviews, subset: v2}}]
    timeout: 1s
  - name: outside
    match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hidden, namespace: team}
spec:
  exportTo: ["."]
  http:
  - route: [{destination: {host: secret}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: team}
spec:
  host: reviews
  subsets: [{name: v2, labels: {version: v2}}]
`;
  const { config, issues } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway" } },
  );
  assert.deepEqual(
    issues.map((i) => `${i.code} ${i.resource.namespace}/${i.resource.name} ${i.path}: ${i.message}`),
    [
      'IGW6021 team/reviews spec.http[1].match: must fit inside a match of the delegating rule "default/root" spec.http[0]: the rule is skipped (got [{"uri":{"prefix":"/ratings"}}])',
      'IGW6011 default/root spec.http[1].delegate: must name a VirtualService exported to namespace "default": the rule is skipped (got "team/hidden")',
    ],
  );
  const routes =
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts[0].routes;
  assert.deepEqual(
    routes.map((r) => [
      r.name,
      JSON.stringify(r.match.uri) ?? "*",
      r.match.headers.map((h) => h.name).join(","),
      r.action.kind === "route" ? `${r.action.clusters[0].cluster} ${r.action.timeoutMs ?? "-"}` : "",
      JSON.stringify(r.metadata),
    ]),
    [
      [
        "reviews-v2",
        '{"kind":"prefix","value":"/reviews/v2"}',
        "x-v",
        "outbound|80|v2|reviews.team.svc.cluster.local 1000",
        '{"virtualService":"default/root","ruleIndex":0,"matchIndex":0,"delegate":{"virtualService":"team/reviews","ruleIndex":0}}',
      ],
      [
        "reviews",
        '{"kind":"prefix","value":"/reviews"}',
        "",
        "outbound|80||reviews.team.svc.cluster.local 3000",
        '{"virtualService":"default/root","ruleIndex":0,"matchIndex":0,"delegate":{"virtualService":"team/reviews","ruleIndex":2}}',
      ],
      [
        "default.root.2.-1",
        "*",
        "",
        "outbound|80||web.default.svc.cluster.local -",
        '{"virtualService":"default/root","ruleIndex":2,"matchIndex":-1}',
      ],
    ],
  );
});

test("delegation: a delegate's match.gateways names Gateways of its own namespace, as pilot resolves them", () => {
  const yaml = `${GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: istio-system}
spec:
  hosts: [dg.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /}}]
    delegate: {name: leaf, namespace: bookinfo}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: leaf, namespace: bookinfo}
spec:
  http:
  - name: own-gw
    match: [{uri: {prefix: /g}, gateways: [gw]}]
    route: [{destination: {host: a}}]
  - name: root-gw
    match: [{uri: {prefix: /g}, gateways: [istio-system/gw]}]
    route: [{destination: {host: b}}]
  - name: last
    route: [{destination: {host: c}}]
`;
  const { config } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway" } },
  );
  const routes =
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts[0].routes;
  // "gw" in the delegate is bookinfo/gw, which is not the Gateway served: that match never applies.
  assert.deepEqual(
    routes.map((r) => r.name),
    ["root-gw", "last"],
  );
});

test("a lone destination's header operations: its removals go first with the route's, its authority yields to the route's", () => {
  const { routes: r } = routes(`
  - match: [{uri: {prefix: /one}}]
    headers: {request: {set: {x-b: r}, remove: [x-q]}}
    rewrite: {authority: route.com}
    route:
    - destination: {host: api}
      headers: {request: {set: {host: dest.com, x-a: d}, remove: [x-r]}, response: {remove: [x-s]}}
  - match: [{uri: {prefix: /two}}]
    headers: {request: {remove: [x-q]}}
    route:
    - destination: {host: api}
      weight: 50
      headers: {request: {set: {host: dest.com}, remove: [x-r]}}
    - destination: {host: web}
      weight: 50
`);
  const [one, two] = r;
  assert.deepEqual(one!.headers, {
    request: { set: [["x-b", "r"]], add: [], remove: ["x-q", "x-r"] },
    response: { set: [], add: [], remove: ["x-s"] },
  });
  assert.ok(one!.action.kind === "route");
  assert.deepEqual(one!.action.clusters[0]!.headers, {
    request: { set: [["x-a", "d"]], add: [], remove: [] },
    response: none,
  });
  assert.deepEqual(
    [one!.action.clusters[0]!.authority, one!.action.destinationHeadersLast],
    [undefined, true],
  );
  // Among several, a destination keeps its own operations and authority.
  assert.ok(two!.action.kind === "route");
  assert.deepEqual(two!.headers.request, { set: [], add: [], remove: ["x-q"] });
  assert.deepEqual(
    [two!.action.clusters[0]!.headers.request.remove, two!.action.clusters[0]!.authority],
    [["x-r"], "dest.com"],
  );
  assert.equal(two!.action.destinationHeadersLast, undefined);
});

/** DestinationRules in `default` for the hash policy cases: hosts `svc<x>`, keys named for where they are written. */
const HASHING_RULES = [
  ["a", "trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-a}}}"],
  ["b", "trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: cb, ttl: 10s}}}}"],
  [
    "p",
    "trafficPolicy: {portLevelSettings: [{port: {number: 80}, loadBalancer: {consistentHash: {httpHeaderName: x-port}}}]}",
  ],
  [
    "s",
    `trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-top}}
    portLevelSettings: [{port: {number: 80}, loadBalancer: {consistentHash: {httpHeaderName: x-port}}}]
  subsets:
  - name: plain
    labels: {v: plain}
  - name: hashed
    labels: {v: hashed}
    trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-subset}}}
  - name: ported
    labels: {v: ported}
    trafficPolicy:
      loadBalancer: {consistentHash: {httpHeaderName: x-subset}}
      portLevelSettings: [{port: {number: 80}, loadBalancer: {consistentHash: {httpHeaderName: x-subset-port}}}]
  - name: round
    labels: {v: round}
    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}`,
  ],
  ["k", "trafficPolicy: {loadBalancer: {consistentHash: {ringHash: {minimumRingSize: 2048}}}}"],
  ["n", "trafficPolicy: {loadBalancer: {simple: RANDOM}}"],
]
  .map(
    ([x, spec]) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc${x}, namespace: default}
spec:
  host: svc${x}
  ${spec}
`,
  )
  .join("---\n");

const header = (name: string): HashPolicy => ({ kind: "header", name });

test("hash policies: each destination's consistentHash on the route, by Istio's precedence; retries keep to a lone hashed destination's endpoint", () => {
  const cases: [string, string, readonly HashPolicy[] | undefined, boolean][] = [
    ["a lone hashed destination", "[{destination: {host: svca}}]", [header("x-a")], false],
    [
      "several destinations: every one's policy, in the rule's order, and retries go to other endpoints",
      "[{destination: {host: svca}, weight: 50}, {destination: {host: svcb}, weight: 50}]",
      [header("x-a"), { kind: "cookie", name: "cb", ttlSeconds: 10 }],
      true,
    ],
    [
      "a destination of weight 0 among several adds nothing",
      "[{destination: {host: svca}, weight: 100}, {destination: {host: svcb}, weight: 0}]",
      [header("x-a")],
      true,
    ],
    [
      "a destination whose rule does not hash adds nothing",
      "[{destination: {host: svcn}, weight: 50}, {destination: {host: svca}, weight: 50}]",
      [header("x-a")],
      true,
    ],
    [
      "port-level settings without the destination's port: no hash",
      "[{destination: {host: svcp}}]",
      undefined,
      true,
    ],
    [
      "port-level settings for the destination's port",
      "[{destination: {host: svcp, port: {number: 80}}}]",
      [header("x-port")],
      false,
    ],
    ["the rule's, without a port", "[{destination: {host: svcs}}]", [header("x-top")], false],
    [
      "the rule's port-level over the rule's",
      "[{destination: {host: svcs, port: {number: 80}}}]",
      [header("x-port")],
      false,
    ],
    [
      "the subset's over the rule's port-level",
      "[{destination: {host: svcs, subset: hashed, port: {number: 80}}}]",
      [header("x-subset")],
      false,
    ],
    [
      "the subset's port-level over the subset's",
      "[{destination: {host: svcs, subset: ported, port: {number: 80}}}]",
      [header("x-subset-port")],
      false,
    ],
    [
      "the subset's, without a port",
      "[{destination: {host: svcs, subset: ported}}]",
      [header("x-subset")],
      false,
    ],
    [
      "a subset without a hash of its own: the rule's, whatever the subset's load balancer",
      "[{destination: {host: svcs, subset: round}}]",
      [header("x-top")],
      false,
    ],
    [
      "a consistent hash without a key: no policy, but still a hashed destination",
      "[{destination: {host: svck}}]",
      undefined,
      false,
    ],
  ];
  const http = cases
    .map(([, route], i) => `  - match: [{uri: {prefix: /${i}/}}]\n    route: ${route}\n`)
    .join("");
  const { routes: r, issues } = routes(http, "", HASHING_RULES);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    r.map((route) =>
      route.action.kind === "route" ? [route.action.hashPolicy, route.action.retries?.previousHosts] : [],
    ),
    cases.map(([, , policy, previousHosts]) => [policy, previousHosts]),
  );
  assert.deepEqual(
    r.map((route) => route.name),
    cases.map((_, i) => `default.vs.${i}.0`),
  );
});

test("hash policies: retryIgnorePreviousHosts decides over the hash; retries of 0 attempts stay off", () => {
  const { routes: r } = routes(
    `
  - match: [{uri: {prefix: /moving}}]
    retries: {attempts: 3, retryIgnorePreviousHosts: true}
    route: [{destination: {host: svca}}]
  - match: [{uri: {prefix: /kept}}]
    retries: {attempts: 3}
    route: [{destination: {host: svca}}]
  - match: [{uri: {prefix: /staying}}]
    retries: {attempts: 3, retryIgnorePreviousHosts: false}
    route: [{destination: {host: svca}, weight: 50}, {destination: {host: svcb}, weight: 50}]
  - match: [{uri: {prefix: /none}}]
    retries: {attempts: 0}
    route: [{destination: {host: svca}}]
`,
    "",
    HASHING_RULES,
  );
  assert.deepEqual(
    r.map((route) => (route.action.kind === "route" ? route.action.retries?.previousHosts : "?")),
    [true, false, false, undefined],
  );
});

test("hash policies: the cluster keeps its load balancer, from its port's settings, whatever the route hashes on", () => {
  const { clusters } = routes(
    `
  - match: [{uri: {prefix: /p}}]
    route: [{destination: {host: svcp}}]
  - match: [{uri: {prefix: /k}}]
    route: [{destination: {host: svck}}]
  - match: [{uri: {prefix: /r}}]
    route: [{destination: {host: svcs, subset: round}}]
`,
    "",
    HASHING_RULES,
  );
  assert.deepEqual(
    clusters.map((c) => [c.name, c.lbPolicy, c.ringHash]),
    [
      ["outbound|80|round|svcs.default.svc.cluster.local", "ROUND_ROBIN", undefined],
      ["outbound|80||svck.default.svc.cluster.local", "RING_HASH", { minimumRingSize: 2048 }],
      ["outbound|80||svcp.default.svc.cluster.local", "RING_HASH", { minimumRingSize: 1024 }],
    ],
  );
});
