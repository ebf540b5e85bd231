import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import type { Issue } from "../validate/issue";
import { buildProxyConfig } from "./build-proxy-config";

function build(yaml: string) {
  return buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway" } },
  );
}

/** Gateway `gw` of namespace `ns`, serving every host over HTTP on port 80, and a separator. */
const gateway = (ns: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${ns}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
`;

const issueLines = (issues: readonly Issue[]) =>
  issues.map(
    (i) =>
      `${i.severity} ${i.code} ${i.resource.kind} ${i.resource.namespace}/${i.resource.name} ${i.path}: ${i.message}`,
  );

test("clusters: ServiceEntry endpoints by subset, DestinationRule policies, literal IPs, missing subsets", () => {
  const { config, issues } = build(`
${gateway("istio-system")}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /se}}]
    route:
    - {destination: {host: api.internal, subset: v1}, weight: 3}
    - {destination: {host: api.internal, subset: v2}, weight: 1}
    - {destination: {host: api.internal, subset: v3}, weight: 0}
  - match: [{uri: {prefix: /dns}}]
    route: [{destination: {host: ext.example.com}}]
  - match: [{uri: {prefix: /ip}}]
    route: [{destination: {host: 10.0.0.9, port: {number: 8080}}}]
  - match: [{uri: {prefix: /nosubset}}]
    route: [{destination: {host: cart, subset: v9}}]
  - route: [{destination: {host: cart, port: {number: 9000}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.internal]
  ports: [{number: 443, name: https, protocol: TLS, targetPort: 8443}]
  resolution: STATIC
  endpoints:
  - {address: 10.1.0.1, labels: {version: v1}}
  - {address: 10.1.0.2, labels: {version: v1}, ports: {https: 9443}, weight: 5}
  - {address: 10.1.0.3, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: shop}
spec:
  hosts: [ext.example.com]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: shop}
spec:
  host: api.internal
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}
    connectionPool: {tcp: {connectTimeout: 2s}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, tls: {mode: ISTIO_MUTUAL}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hidden, namespace: other}
spec:
  host: cart.shop.svc.cluster.local
  exportTo: ["."]
  subsets: [{name: v9, labels: {v: "9"}}]
`);
  assert.deepEqual(issueLines(issues), [
    'error IGW6015 DestinationRule shop/api spec.subsets[1].trafficPolicy.tls.mode: must not be "ISTIO_MUTUAL": it needs Istio\'s mesh identity, which this proxy does not have, so requests go to the destination in plain text (got "ISTIO_MUTUAL")',
    'warning IGW6014 VirtualService shop/vs spec.http[3].route[0].destination.subset: must name a subset of a DestinationRule for "cart.shop.svc.cluster.local" visible to namespace "istio-system" (got "v9")',
  ]);
  assert.deepEqual(
    config.clusters.map((c) => [
      c.name,
      c.type,
      c.endpoints.map((e) => `${e.address}:${e.port}/${e.weight}`).join(" "),
      c.tls?.mode ?? "-",
      c.connectTimeoutMs,
      c.lbPolicy,
      c.sources.join("; "),
    ]),
    [
      [
        "outbound|443|v1|api.internal",
        "STATIC",
        "10.1.0.1:8443/1 10.1.0.2:9443/5",
        "SIMPLE",
        2000,
        "LEAST_REQUEST",
        "ServiceEntry shop/api; DestinationRule shop/api",
      ],
      [
        "outbound|443|v2|api.internal",
        "STATIC",
        "10.1.0.3:8443/1",
        "-",
        2000,
        "ROUND_ROBIN",
        "ServiceEntry shop/api; DestinationRule shop/api",
      ],
      [
        "outbound|443||ext.example.com",
        "STRICT_DNS",
        "ext.example.com:443/1",
        "-",
        10000,
        "LEAST_REQUEST",
        "ServiceEntry shop/ext",
      ],
      ["outbound|8080||10.0.0.9", "STATIC", "10.0.0.9:8080/1", "-", 10000, "LEAST_REQUEST", ""],
      // No cluster for the subset no DestinationRule defines, as in Istio: its route gets 503 NC.
      [
        "outbound|9000||cart.shop.svc.cluster.local",
        "STRICT_DNS",
        "cart.shop.svc.cluster.local:9000/1",
        "-",
        10000,
        "LEAST_REQUEST",
        "",
      ],
    ],
  );
  // No sni in the rule: Istio's auto_sni and auto_san_validation (the request's authority).
  assert.deepEqual(config.clusters[0].tls, {
    mode: "SIMPLE",
    autoSanValidation: true,
    subjectAltNames: [],
    insecureSkipVerify: false,
    alpn: [],
    caCertificates: { filename: "/etc/ca.pem" },
  });
  assert.deepEqual(config.clusters[0].subsetLabels, { version: "v1" });
  const se =
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts[0].routes[0].action;
  assert.deepEqual(se.kind === "route" ? se.clusters.map((c) => [c.cluster, c.weight]) : [], [
    ["outbound|443|v1|api.internal", 3],
    ["outbound|443|v2|api.internal", 1],
  ]);
});

test("clusters: upstream protocol from the ServiceEntry port and the DestinationRule's h2UpgradePolicy", () => {
  const { config, issues } = build(`
${gateway("istio-system")}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /h2}}]
    route: [{destination: {host: h2.internal, port: {number: 8080}}}]
  - match: [{uri: {prefix: /grpc}}]
    route: [{destination: {host: h2.internal, port: {number: 9090}}}]
  - match: [{uri: {prefix: /plain}}]
    route: [{destination: {host: h2.internal, port: {number: 8000}}}]
  - match: [{uri: {prefix: /up}}]
    route: [{destination: {host: up.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /down}}]
    route: [{destination: {host: up.internal, port: {number: 81}}}]
  - route: [{destination: {host: cart, port: {number: 80}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h2, namespace: shop}
spec:
  hosts: [h2.internal]
  ports:
  - {number: 8080, name: web, protocol: HTTP2}
  - {number: 9090, name: grpc-api}
  - {number: 8000, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints: [{address: 10.1.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: up, namespace: shop}
spec:
  hosts: [up.internal]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 81, name: http-b, protocol: HTTP}
  resolution: STATIC
  endpoints: [{address: 10.1.0.2}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: up, namespace: shop}
spec:
  host: up.internal
  trafficPolicy:
    connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
    portLevelSettings:
    - port: {number: 81}
      connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}
`);
  assert.deepEqual(issueLines(issues), []);
  assert.deepEqual(
    config.clusters.map((c) => [c.name, c.upstreamProtocol]),
    [
      ["outbound|8000||h2.internal", "HTTP/1.1"],
      ["outbound|8080||h2.internal", "HTTP/2"],
      ["outbound|80||cart.shop.svc.cluster.local", "HTTP/1.1"],
      ["outbound|80||up.internal", "HTTP/2"],
      ["outbound|81||up.internal", "HTTP/1.1"],
      ["outbound|9090||h2.internal", "HTTP/2"],
    ],
  );
});

test("DestinationRule lookup follows pilot: the proxy's namespace, then the service's, then the root's", () => {
  const rule = (name: string, namespace: string, host: string, extra = "") => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  host: "${host}"
  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 1s}}}
${extra}`;
  const yaml = (proxyNs: string) => `
${gateway(proxyNs)}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: bookinfo}
spec:
  hosts: ["*"]
  gateways: [${proxyNs}/gw]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: a, port: {number: 80}}}]
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: b, port: {number: 80}}}]
  - match: [{uri: {prefix: /c}}]
    route: [{destination: {host: c, port: {number: 80}}}]
  - route: [{destination: {host: d, port: {number: 80}}}]
${rule("a-root", "istio-system", "a.bookinfo.svc.cluster.local")}${rule("a-svc", "bookinfo", "a.bookinfo.svc.cluster.local")}${rule("b-other", "other", "b.bookinfo.svc.cluster.local")}${rule("c-root-private", "istio-system", "c.bookinfo.svc.cluster.local", '  exportTo: ["."]\n')}${rule("c-svc", "bookinfo", "c.bookinfo.svc.cluster.local")}${rule("d-root", "istio-system", "d.bookinfo.svc.cluster.local")}${rule("any-ingress", "ingress", "*.bookinfo.svc.cluster.local")}`;
  const sources = (proxyNs: string) =>
    buildProxyConfig(
      parseAllDocuments(yaml(proxyNs)).map((d) => d.toJSON() as Resource),
      { namespace: proxyNs, labels: { istio: "ingressgateway" } },
    ).config.clusters.map((c) => `${c.host}: ${c.sources.join("; ") || "-"}`);
  // In the root namespace: its private rules first, then the service's namespace, then the root's
  // exported ones; a rule in an unrelated namespace never applies.
  assert.deepEqual(sources("istio-system"), [
    "a.bookinfo.svc.cluster.local: DestinationRule bookinfo/a-svc",
    "b.bookinfo.svc.cluster.local: -",
    "c.bookinfo.svc.cluster.local: DestinationRule istio-system/c-root-private",
    "d.bookinfo.svc.cluster.local: DestinationRule istio-system/d-root",
  ]);
  // In another namespace, its own rules win, a wildcard over an exact host elsewhere.
  assert.deepEqual(sources("ingress"), [
    "a.bookinfo.svc.cluster.local: DestinationRule ingress/any-ingress",
    "b.bookinfo.svc.cluster.local: DestinationRule ingress/any-ingress",
    "c.bookinfo.svc.cluster.local: DestinationRule ingress/any-ingress",
    "d.bookinfo.svc.cluster.local: DestinationRule ingress/any-ingress",
  ]);
});
