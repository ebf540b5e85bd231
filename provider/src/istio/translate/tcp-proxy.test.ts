import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import { buildProxyConfig } from "./build-proxy-config";
import type { TcpHashPolicy } from "./proxy-config";

/** DestinationRules in `default` for hosts `tcp<x>`: `a` hashes on the source IP, `h` on a header. */
const RULES = [
  [
    "a",
    `trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
  subsets:
  - {name: plain, labels: {v: plain}}
  - {name: balanced, labels: {v: balanced}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}`,
  ],
  [
    "h",
    `trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
  subsets:
  - {name: sourced, labels: {v: sourced}, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}}`,
  ],
  [
    "p",
    "trafficPolicy: {portLevelSettings: [{port: {number: 9000}, loadBalancer: {consistentHash: {useSourceIp: true}}}]}",
  ],
]
  .map(
    ([x, spec]) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tcp${x}, namespace: default}
spec:
  host: tcp${x}
  ${spec}
`,
  )
  .join("---\n");

test("a TCP proxy hashes on the client's address as Istio's maybeSetHashPolicy sets it, from the first destination's rule", () => {
  const cases: [string, string, readonly TcpHashPolicy[] | undefined][] = [
    ["the rule's useSourceIp", "[{destination: {host: tcpa}}]", [{ kind: "source-ip" }]],
    [
      "a subset without a load balancer: the rule's",
      "[{destination: {host: tcpa, subset: plain}}]",
      [{ kind: "source-ip" }],
    ],
    ["a subset's load balancer decides alone", "[{destination: {host: tcpa, subset: balanced}}]", undefined],
    [
      "a subset hashing on the source IP",
      "[{destination: {host: tcph, subset: sourced}}]",
      [{ kind: "source-ip" }],
    ],
    [
      "several destinations: the first one's rule at its top level, subsets aside",
      "[{destination: {host: tcph, subset: sourced}, weight: 50}, {destination: {host: tcpa}, weight: 50}]",
      undefined,
    ],
    [
      "several destinations, the first hashing",
      "[{destination: {host: tcpa, subset: balanced}, weight: 50}, {destination: {host: tcph}, weight: 50}]",
      [{ kind: "source-ip" }],
    ],
    ["another key is no TCP hash", "[{destination: {host: tcph}}]", undefined],
    ["port-level settings are not read", "[{destination: {host: tcpp, port: {number: 9000}}}]", undefined],
  ];
  const servers = cases
    .map((_, i) => `  - port: {number: ${9100 + i}, name: tcp-${i}, protocol: TCP}\n    hosts: ["*"]\n`)
    .join("");
  const rules = cases
    .map(([, route], i) => `  - match: [{port: ${9100 + i}}]\n    route: ${route}\n`)
    .join("");
  const yaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  tcp:
${rules}---
${RULES}`;
  const { config } = buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    { namespace: "istio-system", labels: { istio: "ingressgateway" } },
  );
  assert.deepEqual(
    cases.map((_, i) => {
      const listener = config.listeners.find((l) => l.port === 9100 + i);
      return listener?.filterChains[0]?.tcpProxy?.hashPolicy;
    }),
    cases.map(([, , want]) => want),
  );
  // The clusters keep their load balancer: a ring hash wherever the rule's settings hash.
  assert.deepEqual(
    config.clusters.map((c) => [c.name, c.lbPolicy]),
    [
      ["outbound|9000||tcpp.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9100||tcpa.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9101|plain|tcpa.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9102|balanced|tcpa.default.svc.cluster.local", "RANDOM"],
      ["outbound|9103|sourced|tcph.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9104|sourced|tcph.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9104||tcpa.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9105|balanced|tcpa.default.svc.cluster.local", "RANDOM"],
      ["outbound|9105||tcph.default.svc.cluster.local", "RING_HASH"],
      ["outbound|9106||tcph.default.svc.cluster.local", "RING_HASH"],
    ],
  );
});
