import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthorizationPolicy, AuthorizationPolicySpec } from "../model";
import { pathTemplateProblem, validateAuthorizationPolicy } from "./authorization-policy";

function ap(spec: AuthorizationPolicySpec | undefined, namespace = "istio-system"): AuthorizationPolicy {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "ingress-policy", namespace },
    ...(spec === undefined ? {} : { spec }),
  };
}

type Finding = [code: string, path: string, message: string];

const check = (policy: AuthorizationPolicy): Finding[] =>
  validateAuthorizationPolicy(policy).map((i) => [i.code, i.path, i.message]);

const cases: Array<[name: string, policy: AuthorizationPolicy, expected: Finding[]]> = [
  [
    "the authz-ingress task's remoteIpBlocks allow-list",
    ap({
      selector: { matchLabels: { app: "istio-ingressgateway" } },
      action: "ALLOW",
      rules: [{ from: [{ source: { remoteIpBlocks: ["1.2.3.4", "5.6.7.0/24"] } }] }],
    }),
    [],
  ],
  ["allow-nothing: spec {}", ap({}), []],
  ["allow-nothing: no spec at all", ap(undefined), []],
  [
    "a bad CIDR block and a bad address",
    ap({ rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/33", "1.2.3"] } }] }] }),
    [
      [
        "IGW5211",
        "spec.rules[0].from[0].source.ipBlocks[0]",
        'must be a CIDR block such as "10.0.0.0/8" (got "10.0.0.0/33")',
      ],
      ["IGW5211", "spec.rules[0].from[0].source.ipBlocks[1]", 'must be an IP address (got "1.2.3")'],
    ],
  ],
  [
    "selector with targetRefs",
    ap({
      selector: { matchLabels: { app: "gw" } },
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }],
    }),
    [
      [
        "IGW5201",
        "spec.targetRefs",
        "must not be set with selector: only one of selector, targetRef and targetRefs may be set",
      ],
    ],
  ],
  [
    "DENY with an empty list of rules (no rules to Istio)",
    ap({ action: "DENY", rules: [] }),
    [
      [
        "IGW5204",
        "spec.rules",
        'must be set when action is "DENY": a DENY policy without rules never applies; add an empty rule {} to deny every request',
      ],
    ],
  ],
  [
    "CUSTOM without provider, and with principals",
    ap({ action: "CUSTOM", rules: [{ from: [{ source: { principals: ["a/b"] } }] }] }),
    [
      ["IGW5205", "spec.provider.name", 'must not be empty when action is "CUSTOM"'],
      ["IGW5206", "spec.rules[0].from[0].source.principals", 'is not supported when action is "CUSTOM"'],
    ],
  ],
  [
    "provider with ALLOW",
    ap({ provider: { name: "ext" }, rules: [{}] }),
    [["IGW5207", "spec.provider", 'must not be set when action is not "CUSTOM" (got action "ALLOW")']],
  ],
  [
    "empty from, a source without fields, an operation without fields",
    ap({ rules: [{ from: [] }, { from: [{ source: {} }], to: [{ operation: {} }] }] }),
    [
      ["IGW5208", "spec.rules[0].from", "must not be empty when set"],
      [
        "IGW5209",
        "spec.rules[1].from[0].source",
        "must set at least one of principals, notPrincipals, requestPrincipals, notRequestPrincipals, namespaces, notNamespaces, serviceAccounts, notServiceAccounts, trustDomains, notTrustDomains, ipBlocks, notIpBlocks, remoteIpBlocks, notRemoteIpBlocks",
      ],
      [
        "IGW5209",
        "spec.rules[1].to[0].operation",
        "must set at least one of hosts, notHosts, ports, notPorts, methods, notMethods, paths, notPaths",
      ],
    ],
  ],
  [
    "bad ports, an empty method, a misplaced {**}",
    ap({
      rules: [
        { to: [{ operation: { ports: ["8080", "70000", "http"], methods: [""], paths: ["/{**}/{*}"] } }] },
      ],
    }),
    [
      ["IGW5212", "spec.rules[0].to[0].operation.methods[0]", "must not be empty"],
      [
        "IGW5213",
        "spec.rules[0].to[0].operation.ports[1]",
        'must be a port number from 0 to 65535 (got "70000")',
      ],
      [
        "IGW5213",
        "spec.rules[0].to[0].operation.ports[2]",
        'must be a port number from 0 to 65535 (got "http")',
      ],
      [
        "IGW5214",
        "spec.rules[0].to[0].operation.paths[0]",
        'must have {**} as its last operator (got "/{**}/{*}")',
      ],
    ],
  ],
  [
    "when: unknown key, key without [name], no values, bad remote.ip",
    ap({
      rules: [
        {
          when: [
            { key: "request.host", values: ["a"] },
            { key: "request.headers", values: ["a"] },
            { key: "source.ip" },
            { key: "remote.ip", notValues: ["300.1.1.1"] },
            { key: "constructor", values: ["x"] },
          ],
        },
      ],
    }),
    [
      [
        "IGW5215",
        "spec.rules[0].when[0].key",
        'must be an attribute Istio knows (source.ip, remote.ip, request.headers[name], destination.port, connection.sni, ...) (got "request.host")',
      ],
      ["IGW5215", "spec.rules[0].when[1].key", 'must have the form a[b] (got "request.headers")'],
      ["IGW5215", "spec.rules[0].when[2]", 'must set values or notValues for key "source.ip"'],
      ["IGW5211", "spec.rules[0].when[3].notValues[0]", 'must be an IP address (got "300.1.1.1")'],
      [
        "IGW5215",
        "spec.rules[0].when[4].key",
        'must be an attribute Istio knows (source.ip, remote.ip, request.headers[name], destination.port, connection.sni, ...) (got "constructor")',
      ],
    ],
  ],
  [
    "serviceAccounts with namespaces; a wildcard service account",
    ap({ rules: [{ from: [{ source: { namespaces: ["foo"], serviceAccounts: ["foo/*"] } }] }] }),
    [
      [
        "IGW5210",
        "spec.rules[0].from[0].source.serviceAccounts",
        "must not be set together with principals or namespaces",
      ],
      [
        "IGW5216",
        "spec.rules[0].from[0].source.serviceAccounts[0]",
        'must not have a wildcard (got "foo/*")',
      ],
    ],
  ],
  [
    "a DENY rule with only HTTP fields (Istio's warning)",
    ap({ action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }] }),
    [
      [
        "IGW5217",
        "spec.rules[0]",
        "uses only HTTP attributes in a DENY rule: it denies all traffic to TCP ports under the policy's scope; name the ports in to.operation.ports to keep TCP traffic",
      ],
    ],
  ],
  [
    "a wildcard selector label",
    ap({ selector: { matchLabels: { app: "*" } } }),
    [
      [
        "IGW5202",
        "spec.selector.matchLabels.app",
        'must be a label without wildcards, and its key not empty (got "app=*")',
      ],
    ],
  ],
];

describe("validateAuthorizationPolicy", () => {
  for (const [name, policy, expected] of cases) {
    it(name, () => assert.deepEqual(check(policy), expected));
  }
});

describe("pathTemplateProblem (Istio's CheckValidPathTemplate)", () => {
  const table: Array<[string, string | undefined]> = [
    ["/api/*", undefined],
    ["/api/{*}/items", undefined],
    ["/static/{**}", undefined],
    ["/{*}/{**}", undefined],
    ["/{**}/{*}", "must have {**} as its last operator"],
    ["/api/{id}", "must not have { or } beyond a {*} or {**} segment"],
    ["/a b/{*}", `must have literal segments of letters, digits and -._~%!$&'()+,;:@= (segment "a b")`],
  ];
  for (const [path, expected] of table) it(path, () => assert.equal(pathTemplateProblem(path), expected));
});
