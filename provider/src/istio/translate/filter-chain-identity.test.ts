import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import { buildProxyConfig } from "./build-proxy-config";
import { filterChainIdentity } from "./filter-chain-identity";

const proxy = { namespace: "istio-system", labels: { istio: "ingressgateway" } };

/** Every chain's identity, by `<listener>/<chain>`, in the configuration `yaml` translates to. */
function identities(yaml: string): Map<string, string> {
  const resources = parseAllDocuments(yaml).map((d) => d.toJSON() as Resource);
  const out = new Map<string, string>();
  const config = buildProxyConfig(resources, proxy).config;
  for (const l of config.listeners) {
    for (const c of l.filterChains) out.set(`${l.name}/${c.name}`, filterChainIdentity(l, c, config.rbac));
  }
  return out;
}

const secret = (cert: string) => `apiVersion: v1
kind: Secret
metadata: {name: cred, namespace: istio-system}
stringData: {tls.crt: ${cert}, tls.key: KEY}
`;

const gateway = (httpsTls: string, httpsHosts: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [${httpsHosts}]
    tls: {mode: SIMPLE, credentialName: cred${httpsTls}}
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
`;

const rules = (path: string, weights: [number, number]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: ${path}}}]
    route: [{destination: {host: web}}]
  tcp:
  - route:
    - {destination: {host: tcp-echo, port: {number: 9000}}, weight: ${weights[0]}}
    - {destination: {host: tcp-echo-v2, port: {number: 9000}}, weight: ${weights[1]}}
`;

const base = {
  tls: "",
  hosts: "a.example.com",
  cert: "CERT",
  path: "/",
  weights: [100, 0] as [number, number],
  policy: "",
};
type Variant = typeof base;

const config = (v: Variant) =>
  [gateway(v.tls, v.hosts), secret(v.cert), rules(v.path, v.weights), v.policy].join("---\n");

const denyClient = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-client, namespace: istio-system}
spec:
  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.0.0.1"]}}]}]
`;

/** The chains a change leaves different, by `<listener>/<chain>`. */
function changedBy(change: Partial<Variant>): string[] {
  const before = identities(config(base));
  const after = identities(config({ ...base, ...change }));
  assert.deepEqual([...after.keys()], [...before.keys()]);
  return [...before].filter(([name, identity]) => after.get(name) !== identity).map(([name]) => name);
}

const HTTP = "0.0.0.0_8080/http.8080";
const HTTPS = "0.0.0.0_8443/https.8443.https.gw.istio-system";
const TCP = "0.0.0.0_31400/tcp.31400";

test("what changes a filter chain, as Envoy compares chains on an in-place update", () => {
  const table: [string, Partial<Variant>, string[]][] = [
    ["an http rule (RDS)", { path: "/api" }, []],
    ["a Secret's certificate (SDS)", { cert: "ROTATED" }, []],
    ["a tcp rule's weights (inline in tcp_proxy)", { weights: [80, 20] }, [TCP]],
    ["the TLS settings of an HTTPS server", { tls: ", minProtocolVersion: TLSV1_3" }, [HTTPS]],
    ["the hosts of an HTTPS server (its SNI match)", { hosts: "b.example.com" }, [HTTPS]],
    ["an AuthorizationPolicy (the RBAC filters are inline)", { policy: denyClient }, [HTTP, HTTPS, TCP]],
  ];
  for (const [what, change, changed] of table) assert.deepEqual(changedBy(change), changed, what);
});

test("a chain's identity does not depend on the order of its configuration's keys", () => {
  const chain = {
    name: "tcp.1",
    serverNames: [],
    transport: "tcp" as const,
    servers: [],
    tcpProxy: {
      clusters: [{ cluster: "c", weight: 1 }],
      metadata: { virtualService: "ns/vs", block: "tcp" as const, ruleIndex: 0, matchIndex: -1 },
    },
  };
  const reordered = {
    tcpProxy: {
      metadata: { matchIndex: -1, ruleIndex: 0, block: "tcp" as const, virtualService: "ns/vs" },
      clusters: [{ weight: 1, cluster: "c" }],
    },
    transport: "tcp" as const,
    serverNames: [],
    servers: [],
    name: "tcp.1",
  };
  const listener = { port: 1, tlsInspector: false };
  assert.equal(filterChainIdentity(listener, reordered), filterChainIdentity(listener, chain));
  assert.notEqual(
    filterChainIdentity({ port: 1, tlsInspector: true }, chain),
    filterChainIdentity(listener, chain),
  );
});
