import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import type { Issue } from "../validate/issue";
import type { BuildResult } from "./build-proxy-config";
import { buildProxyConfig } from "./build-proxy-config";
import type { ProxyConfig, RouteAction } from "./proxy-config";

const proxy = { namespace: "istio-system", labels: { istio: "ingressgateway", app: "gw" } };

function load(yaml: string): Resource[] {
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Resource);
}

function build(yaml: string, p: Parameters<typeof buildProxyConfig>[1] = proxy): BuildResult {
  return buildProxyConfig(load(yaml), p);
}

function describeAction(a: RouteAction): string {
  switch (a.kind) {
    case "route":
      return a.clusters.map((c) => `${c.cluster}${a.clusters.length > 1 ? `@${c.weight}` : ""}`).join(" ");
    case "redirect":
      return `redirect ${JSON.stringify({ ...a, kind: undefined })}`;
    case "directResponse":
      return `direct ${a.status}`;
  }
}

/** One line per listener, filter chain, virtual host and route. */
function summarize(config: ProxyConfig): string[] {
  const out: string[] = [];
  for (const l of config.listeners) {
    out.push(`listener ${l.name} port=${l.port}${l.tlsInspector ? " tls" : ""}`);
    for (const c of l.filterChains) {
      out.push(
        `  chain ${c.name} ${c.transport}${c.serverNames.length ? ` sni=${c.serverNames.join(",")}` : ""}`,
      );
      for (const vh of c.httpConnectionManager?.routeConfig.virtualHosts ?? []) {
        out.push(`    vhost ${vh.name} ${vh.domains.join(",")}${vh.requireTls ? " requireTls" : ""}`);
        for (const r of vh.routes) {
          const m = r.match;
          const uri =
            m.uri === undefined
              ? "*"
              : `${m.uri.kind}:${"value" in m.uri ? m.uri.value : "regex" in m.uri ? m.uri.regex : ""}`;
          out.push(`      ${r.name} ${uri} -> ${describeAction(r.action)}`);
        }
      }
      if (c.tcpProxy) out.push(`    tcp -> ${c.tcpProxy.clusters.map((x) => x.cluster).join(" ")}`);
    }
  }
  return out;
}

const issueLines = (issues: readonly Issue[]) =>
  issues.map(
    (i) =>
      `${i.severity} ${i.code} ${i.resource.kind} ${i.resource.namespace}/${i.resource.name} ${i.path}: ${i.message}`,
  );

const gateway = (name: string, servers: string, extra = "") => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: istio-system${extra}}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}
---`;

test("bookinfo: one plain HTTP listener, a * virtual host, one route per match", () => {
  const { config, issues } = build(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: {exact: /productpage}
    - uri: {prefix: /static}
    route:
    - destination: {host: productpage, port: {number: 9080}}
`);
  assert.deepEqual(issues, []);
  assert.deepEqual(summarize(config), [
    "listener 0.0.0.0_8080 port=8080",
    "  chain http.8080 http",
    "    vhost *:8080 *",
    "      default.bookinfo.0.0 exact:/productpage -> outbound|9080||productpage.default.svc.cluster.local",
    "      default.bookinfo.0.1 prefix:/static -> outbound|9080||productpage.default.svc.cluster.local",
  ]);
  assert.deepEqual(config.clusters, [
    {
      name: "outbound|9080||productpage.default.svc.cluster.local",
      host: "productpage.default.svc.cluster.local",
      port: 9080,
      subset: "",
      subsetLabels: {},
      type: "STRICT_DNS",
      endpoints: [{ address: "productpage.default.svc.cluster.local", port: 9080, weight: 1 }],
      connectTimeoutMs: 10000,
      lbPolicy: "LEAST_REQUEST",
      upstreamProtocol: "HTTP/1.1",
      sources: [],
    },
  ]);
  const route =
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts[0].routes[0];
  const none = { set: [], add: [], remove: [] };
  assert.deepEqual(route, {
    // Bookinfo's rules have no names: Istio's route name is empty, and this one made here.
    name: "default.bookinfo.0.0",
    unnamed: true,
    decoratorOperation: "productpage.default.svc.cluster.local:9080/productpage",
    match: {
      ignoreUriCase: false,
      headers: [],
      withoutHeaders: [],
      queryParams: [],
      uri: { kind: "exact", value: "/productpage" },
    },
    action: {
      kind: "route",
      clusters: [
        {
          cluster: "outbound|9080||productpage.default.svc.cluster.local",
          weight: 1,
          headers: { request: none, response: none },
        },
      ],
      retries: {
        attempts: 2,
        retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
        backoffMs: 25,
        previousHosts: true,
      },
      mirrors: [],
      destinationHeadersLast: true,
    },
    headers: { request: none, response: none },
    metadata: { virtualService: "default/bookinfo", ruleIndex: 0, matchIndex: 0 },
  });
  assert.ok(Object.isFrozen(config.listeners[0].filterChains[0].serverNames));
  assert.ok(Object.isFrozen(route.match));
});

test("Gateways whose selector does not match the proxy are reported and not served", () => {
  const { config, issues } = build(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: other, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`);
  assert.deepEqual(config.listeners, []);
  assert.deepEqual(issueLines(issues), [
    'info IGW6001 Gateway istio-system/other spec.selector: must be contained in the proxy\'s labels "app=gw,istio=ingressgateway" for this proxy to serve the Gateway (got "istio=egressgateway")',
  ]);
});

test("binding: exportTo, namespace-scoped server hosts, host intersection, nothing bound is a 404 blackhole", () => {
  const { config, issues } = build(`${gateway(
    "gw",
    `  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com", "prod/*.prod.com", "./local.com"]`,
  )}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.example.com, b.prod.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: a}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: p, namespace: prod}
spec:
  hosts: [b.prod.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: p}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hidden, namespace: default}
spec:
  hosts: [c.example.com]
  gateways: [istio-system/gw]
  exportTo: ["."]
  http:
  - route: [{destination: {host: h}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: local, namespace: istio-system}
spec:
  hosts: [local.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: l}}]
`);
  assert.deepEqual(issues, []);
  assert.deepEqual(summarize(config), [
    "listener 0.0.0.0_80 port=80",
    "  chain http.80 http",
    "    vhost a.example.com:80 a.example.com",
    "      default.a.0.-1 * -> outbound|80||a.default.svc.cluster.local",
    "    vhost b.prod.com:80 b.prod.com",
    "      prod.p.0.-1 * -> outbound|80||p.prod.svc.cluster.local",
    "    vhost local.com:80 local.com",
    "      istio-system.local.0.-1 * -> outbound|80||l.istio-system.svc.cluster.local",
  ]);

  const empty = build(gateway("gw", `  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]`));
  assert.deepEqual(summarize(empty.config), [
    "listener 0.0.0.0_80 port=80",
    "  chain http.80 http",
    "    vhost blackhole:80 *",
  ]);
});

test("merging: servers on one port, VirtualServices in creation order, catch-alls last, match.port and match.gateways", () => {
  const { config, issues } =
    build(`${gateway("gw", `  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]`)}
${gateway("gw2", `  - port: {number: 80, name: http2, protocol: HTTP2}\n    hosts: ["b.com"]`)}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: istio-system, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [a.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /new}}]
    route: [{destination: {host: new}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: istio-system, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [a.com, b.com]
  gateways: [gw, gw2]
  http:
  - name: ports
    match:
    - {port: 443, uri: {prefix: /tls}}
    - {gateways: [gw2], uri: {prefix: /only-gw2}}
    - {name: m, uri: {prefix: /any}}
    route: [{destination: {host: old}}]
  - route: [{destination: {host: fallback}}]
  - route: [{destination: {host: unreachable}}]
`);
  assert.deepEqual(issues, []);
  assert.deepEqual(summarize(config), [
    "listener 0.0.0.0_80 port=80",
    "  chain http.80 http",
    "    vhost a.com:80 a.com",
    "      ports.m prefix:/any -> outbound|80||old.istio-system.svc.cluster.local",
    "      istio-system.newer.0.0 prefix:/new -> outbound|80||new.istio-system.svc.cluster.local",
    "      istio-system.older.1.-1 * -> outbound|80||fallback.istio-system.svc.cluster.local",
    // b.com is reached through both servers: the routes of each binding are appended (as in
    // Istio), then the catch-alls are moved last.
    "    vhost b.com:80 b.com",
    "      ports.m prefix:/any -> outbound|80||old.istio-system.svc.cluster.local",
    "      ports prefix:/only-gw2 -> outbound|80||old.istio-system.svc.cluster.local",
    "      ports.m prefix:/any -> outbound|80||old.istio-system.svc.cluster.local",
    "      istio-system.older.1.-1 * -> outbound|80||fallback.istio-system.svc.cluster.local",
    "      istio-system.older.1.-1 * -> outbound|80||fallback.istio-system.svc.cluster.local",
  ]);
  assert.equal(config.listeners[0].filterChains[0].httpConnectionManager!.codec, "auto");
});

test("the result is deterministic, versioned by content, deeply frozen, and listens on the mapped port", () => {
  const yaml = `${gateway("gw", `  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]\n  - port: {number: 8443, name: tcp, protocol: TCP}\n    hosts: ["*"]\n    bind: 127.0.0.1`)}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
  tcp: [{route: [{destination: {host: db, port: {number: 5432}}}]}]
`;
  const mapped = { ...proxy, portMap: (p: number) => (p < 1024 ? p + 8000 : p) };
  const a = build(yaml, mapped);
  const b = build(yaml, mapped);
  const c = build(yaml.replace("host: web", "host: web2"), mapped);
  assert.deepEqual(a, b);
  assert.equal(a.config.version, b.config.version);
  assert.notEqual(a.config.version, c.config.version);
  assert.match(a.config.version, /^[0-9a-f]{16}$/);
  assert.deepEqual(
    a.config.listeners.map((l) => [
      l.name,
      l.address,
      l.port,
      l.listenPort,
      l.filterChains.map((f) => f.name),
    ]),
    [
      ["0.0.0.0_8080", "0.0.0.0", 80, 8080, ["http.8080"]],
      ["127.0.0.1_8443", "127.0.0.1", 8443, 8443, ["tcp.8443"]],
    ],
  );
  const frozen = (v: unknown): boolean =>
    v === null || typeof v !== "object" || (Object.isFrozen(v) && Object.values(v as object).every(frozen));
  assert.ok(frozen(a));
  assert.throws(() => (a.config.listeners as unknown as unknown[]).push(1), TypeError);
});
