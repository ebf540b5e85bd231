/**
 * Istio's own samples, translated and routed: what the sample documentation promises for each
 * request. The YAML is copied from istio/istio `samples/` and the istio.io secure-ingress task.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../../istio/model";
import { buildProxyConfig } from "../../istio/translate/build-proxy-config";
import type { ProxyConfig } from "../../istio/translate/proxy-config";
import { request } from "./fixtures";
import { compileRouteConfig } from "./route-config";
import { routeRequest } from "./route-match";
import { pickWeightedCluster, seededRandom } from "./weighted-cluster";

const BOOKINFO = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - "*"
  gateways:
  - bookinfo-gateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    - uri:
        exact: /login
    - uri:
        exact: /logout
    - uri:
        prefix: /api/v1/products
    route:
    - destination:
        host: productpage
        port:
          number: 9080
`;

const REVIEWS_80_20 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 80
    - destination:
        host: reviews
        subset: v2
      weight: 20
`;

const SECURE_INGRESS = `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: httpbin-credential # must be the same as secret
    hosts:
    - httpbin.example.com
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        prefix: /status
    - uri:
        prefix: /delay
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
`;

const proxy = { namespace: "istio-system", labels: { istio: "ingressgateway" } };

function configOf(yaml: string): ProxyConfig {
  const { config, issues } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    proxy,
  );
  assert.deepEqual(issues, []);
  return config;
}

function outcome(
  config: ProxyConfig,
  target: string,
  authority = "bookinfo.example.com",
  scheme = "http",
): string {
  const chain = config.listeners[0].filterChains[0];
  const compiled = compileRouteConfig(chain.httpConnectionManager!.routeConfig);
  const d = routeRequest(compiled, request(target, { authority, scheme }));
  if (d.kind !== "matched") return d.kind;
  return `${d.route.route.name} -> ${d.route.clusters.map((c) => c.cluster.cluster).join(" ")}`;
}

test("bookinfo: /productpage, /login, /logout exact and /static, /api/v1/products prefix go to productpage; others 404", () => {
  const config = configOf(BOOKINFO);
  const to = (n: number) => `default.bookinfo.0.${n} -> outbound|9080||productpage.default.svc.cluster.local`;
  const cases: [string, string][] = [
    ["/productpage", to(0)],
    ["/productpage?u=normal", to(0)],
    ["/static/bootstrap/css/bootstrap.min.css", to(1)],
    ["/staticx", to(1)],
    ["/login", to(2)],
    ["/logout", to(3)],
    ["/api/v1/products/0/reviews", to(4)],
    ["/productpage/", "no-route"],
    ["/", "no-route"],
    ["/reviews", "no-route"],
    ["/Productpage", "no-route"],
  ];
  assert.deepEqual(
    cases.map(([target]) => [target, outcome(config, target)]),
    cases,
  );
  assert.equal(config.listeners[0].name, "0.0.0.0_8080");
});

test("reviews 80/20: a seeded random sends 80% to v1 and 20% to v2", () => {
  // The sample is mesh-only (no `gateways`); bound to an ingress Gateway here to route it.
  const yaml = `${REVIEWS_80_20.replace("  http:", "  gateways: [istio-system/gw]\n  http:")}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
`;
  const config = configOf(yaml);
  const compiled = compileRouteConfig(config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig);
  const d = routeRequest(
    compiled,
    request("/reviews/0", { authority: "reviews.default.svc.cluster.local:80" }),
  );
  assert.equal(d.kind, "matched");
  if (d.kind !== "matched") return;
  const random = seededRandom(2026);
  const counts: Record<string, number> = {};
  for (let i = 0; i < 10_000; i++) {
    const c = pickWeightedCluster(d.route, random)!.cluster.cluster;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  assert.deepEqual(counts, {
    "outbound|80|v1|reviews.default.svc.cluster.local": 7956,
    "outbound|80|v2|reviews.default.svc.cluster.local": 2044,
  });
});

test("secure ingress: SNI httpbin.example.com terminated with the credential, /status and /delay routed", () => {
  const secret = `
apiVersion: v1
kind: Secret
metadata: {name: httpbin-credential, namespace: istio-system}
type: kubernetes.io/tls
stringData: {tls.crt: CERT, tls.key: KEY}
---`;
  const config = configOf(secret + SECURE_INGRESS);
  const chain = config.listeners[0].filterChains[0];
  assert.deepEqual(
    [config.listeners[0].name, chain.name, chain.serverNames, chain.tls?.credentialName],
    [
      "0.0.0.0_443",
      "https.443.https.mygateway.default",
      ["httpbin.example.com"],
      "istio-system/httpbin-credential",
    ],
  );
  assert.deepEqual(
    ["/status/418", "/delay/1", "/headers"].map((p) => outcome(config, p, "httpbin.example.com", "https")),
    [
      "default.httpbin.0.0 -> outbound|8000||httpbin.default.svc.cluster.local",
      "default.httpbin.0.1 -> outbound|8000||httpbin.default.svc.cluster.local",
      "no-route",
    ],
  );
  assert.equal(outcome(config, "/status/418", "other.example.com", "https"), "no-virtual-host");
});
