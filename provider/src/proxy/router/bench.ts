/**
 * Figures for the README: translation and route compilation at scale, per-request routing cost,
 * and hostile inputs. Run: `npx tsx provider/src/proxy/router/bench.ts`. Every loop is bounded.
 */
import type { Resource } from "../../istio/model";
import { buildProxyConfig } from "../../istio/translate/build-proxy-config";
import type { RouteConfig } from "../../istio/translate/proxy-config";
import { request, route, virtualHost } from "./fixtures";
import { compileRouteConfig } from "./route-config";
import { routeRequest } from "./route-match";

function time<T>(f: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = f();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

const HOSTS = 1000;
const resources: Resource[] = [
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: "istio-system" },
    spec: {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    },
  },
];
for (let i = 0; i < HOSTS; i++) {
  resources.push({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: `vs${i}`, namespace: "default" },
    spec: {
      hosts: [`h${i}.example.com`],
      gateways: ["istio-system/gw"],
      http: [
        { match: [{ uri: { exact: "/exact" } }], route: [{ destination: { host: `s${i}` } }] },
        {
          match: [{ uri: { prefix: "/api/" }, headers: { "x-v": { exact: "2" } } }],
          route: [{ destination: { host: `s${i}-v2` } }],
        },
        { match: [{ uri: { regex: "/items/[0-9]+" } }], route: [{ destination: { host: `s${i}` } }] },
        { match: [{ uri: { prefix: "/static" } }], route: [{ destination: { host: `s${i}` } }] },
        { route: [{ destination: { host: `s${i}` } }] },
      ],
    },
  });
}

const [built, buildMs] = time(() =>
  buildProxyConfig(resources, { namespace: "istio-system", labels: { istio: "ingressgateway" } }),
);
const routeConfig = built.config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig;
const [compiled, compileMs] = time(() => compileRouteConfig(routeConfig));
console.log(
  `translate ${HOSTS} VirtualServices x 5 rules: ${buildMs.toFixed(0)} ms (${built.config.clusters.length} clusters)`,
);
console.log(
  `compile route config (${routeConfig.virtualHosts.length} virtual hosts): ${compileMs.toFixed(0)} ms`,
);

const N = 200_000;
const reqs = [
  request("/exact", { authority: "h500.example.com" }),
  request("/items/12345", { authority: "h999.example.com:80" }),
  request("/other", { authority: "h1.example.com" }),
];
let matched = 0;
const [, routeMs] = time(() => {
  for (let i = 0; i < N; i++) if (routeRequest(compiled, reqs[i % reqs.length]).kind === "matched") matched++;
});
console.log(
  `route ${N} requests: ${routeMs.toFixed(0)} ms, ${((routeMs * 1000) / N).toFixed(2)} µs/request (${matched} matched)`,
);

const hostile: RouteConfig = {
  name: "hostile",
  virtualHosts: [
    virtualHost(
      ["*"],
      Array.from({ length: 100 }, (_, i) =>
        route(`r${i}`, { match: { uri: { kind: "regex", regex: `(a+)+(b|c|${i})$` } } }),
      ),
    ),
  ],
};
const hostileCompiled = compileRouteConfig(hostile);
const longPath = "/" + "a".repeat(64 * 1024) + "!";
const [, hostileMs] = time(() => routeRequest(hostileCompiled, request(longPath)));
console.log(
  `100 backtracking-prone regex routes vs a 64 KiB path: ${hostileMs.toFixed(0)} ms for one request (no match)`,
);
