import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DestinationRule, DestinationRuleSpec } from "../model";
import { destinationRuleCodes, subsetNameProblem, validateDestinationRule } from "./destination-rule";

function dr(
  spec: Partial<DestinationRuleSpec> & Record<string, unknown>,
  namespace = "default",
): DestinationRule {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "reviews", namespace },
    spec: { host: "reviews", ...spec } as DestinationRuleSpec,
  };
}

type Finding = [code: string, path: string, message: string];

const check = (rule: DestinationRule): Finding[] =>
  validateDestinationRule(rule).map((i) => [i.code, i.path, i.message]);

const cases: Array<[name: string, rule: DestinationRule, expected: Finding[]]> = [
  // IGW5001 host
  ["a short host", dr({ host: "reviews" }), []],
  ["a wildcard host", dr({ host: "*.example.com" }), []],
  ["an empty host", dr({ host: "" }), [["IGW5001", "spec.host", 'must not be empty (got "")']]],
  [
    "a host with a namespace prefix",
    dr({ host: "ns/reviews" }),
    [
      [
        "IGW5001",
        "spec.host",
        'first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-" (got "ns/reviews" in "ns/reviews")',
      ],
    ],
  ],
  [
    "an IP address host",
    dr({ host: "10.0.0.1" }),
    [["IGW5001", "spec.host", 'top-level domain must not be all-numeric (got "1" in "10.0.0.1")']],
  ],
  // IGW5002 / IGW5003 subset names
  ["valid, distinct subset names", dr({ subsets: [{ name: "v1" }, { name: "V2-canary" }] }), []],
  [
    "an invalid subset name",
    dr({ subsets: [{ name: "v1.0" }, { name: "" }] }),
    [
      [
        "IGW5002",
        "spec.subsets[0].name",
        'must be a DNS-1123 label: letters, digits and "-", not starting or ending with "-", at most 63 characters (got "v1.0")',
      ],
      ["IGW5002", "spec.subsets[1].name", 'must not be empty (got "")'],
    ],
  ],
  [
    "a repeated subset name",
    dr({ subsets: [{ name: "v1" }, { name: "v2" }, { name: "v1" }] }),
    [["IGW5003", "spec.subsets[2].name", 'must be unique: subsets[0] has the same name (got "v1")']],
  ],
  // IGW5004 subset labels
  [
    "valid subset labels",
    dr({ subsets: [{ name: "v1", labels: { "app.kubernetes.io/version": "v1", empty: "" } }] }),
    [],
  ],
  [
    "invalid subset labels",
    dr({ subsets: [{ name: "v1", labels: { "bad key!": "v1", version: "-v1" } }] }),
    [
      [
        "IGW5004",
        'spec.subsets[0].labels["bad key!"]',
        'must be a label key: [<DNS prefix>/]<name>, the name alphanumeric with "-", "_" or "." inside (got "bad key!")',
      ],
      [
        "IGW5004",
        "spec.subsets[0].labels.version",
        'must be a label value: empty, or letters and digits with "-", "_" or "." inside, at most 63 characters (got "-v1")',
      ],
    ],
  ],
  // IGW5005-5008 exportTo
  ["exportTo to the own namespace and another", dr({ exportTo: [".", "prod"] }), []],
  [
    "an invalid exportTo entry and ~",
    dr({ exportTo: ["Not_A_Namespace", "~"] }),
    [
      [
        "IGW5005",
        "spec.exportTo[0]",
        'must be ".", "*" or a namespace name (a DNS-1123 label) (got "Not_A_Namespace")',
      ],
      [
        "IGW5005",
        "spec.exportTo[1]",
        'must not be "~" (visible to no one), which only ServiceEntries allow (got "~")',
      ],
    ],
  ],
  [
    "exportTo repeating the own namespace",
    dr({ exportTo: ["default", "."] }),
    [
      [
        "IGW5006",
        "spec.exportTo[1]",
        'must not repeat the own namespace: "." and "default" are the same (got ".")',
      ],
    ],
  ],
  [
    "exportTo mixing * with a namespace",
    dr({ exportTo: ["*", "prod"] }),
    [["IGW5007", "spec.exportTo", 'must be "*" alone or list no "*" (got ["*","prod"])']],
  ],
  [
    "a workloadSelector rule exported to its namespace",
    dr({ workloadSelector: { matchLabels: { app: "a" } }, exportTo: ["."] }),
    [],
  ],
  [
    "a workloadSelector rule exported elsewhere",
    dr({ workloadSelector: { matchLabels: { app: "a" } }, exportTo: ["prod"] }),
    [
      [
        "IGW5008",
        "spec.exportTo",
        'must only list the own namespace when workloadSelector is set (got ["prod"])',
      ],
    ],
  ],
  // IGW5009 / IGW5010 traffic policies
  [
    "a policy with an unmodelled field",
    dr({ trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } as never }),
    [],
  ],
  [
    "an empty traffic policy, at the top and in a subset",
    dr({ trafficPolicy: {}, subsets: [{ name: "v1", trafficPolicy: {} }] }),
    [
      [
        "IGW5009",
        "spec.trafficPolicy",
        "must set at least one of loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol, retryBudget (got {})",
      ],
      [
        "IGW5009",
        "spec.subsets[0].trafficPolicy",
        "must set at least one of loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol, retryBudget (got {})",
      ],
    ],
  ],
  [
    "tunnel with proxyProtocol",
    dr({ trafficPolicy: { tunnel: { protocol: "CONNECT" }, proxyProtocol: { version: "V1" } } as never }),
    [["IGW5010", "spec.trafficPolicy", "only one of tunnel or proxyProtocol may be set"]],
  ],
  // IGW5011 port-level settings
  [
    "a port-level policy",
    dr({
      trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: "RANDOM" } }] },
    }),
    [],
  ],
  [
    "port-level policies without port or settings",
    dr({
      trafficPolicy: {
        portLevelSettings: [{ loadBalancer: { simple: "RANDOM" } }, { port: { number: 80 } }],
      },
    }),
    [
      ["IGW5011", "spec.trafficPolicy.portLevelSettings[0].port", "required"],
      [
        "IGW5011",
        "spec.trafficPolicy.portLevelSettings[1]",
        "must set at least one of loadBalancer, connectionPool, outlierDetection, tls besides port",
      ],
    ],
  ],
  // IGW5012-5015 connection pools
  [
    "a full connection pool",
    dr({
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 0, connectTimeout: "250ms", idleTimeout: "500us" },
          http: { maxRetries: 0, idleTimeout: "1h", h2UpgradePolicy: "UPGRADE", useClientProtocol: false },
        },
      },
    }),
    [],
  ],
  [
    "an empty connection pool",
    dr({ trafficPolicy: { connectionPool: {} } }),
    [["IGW5012", "spec.trafficPolicy.connectionPool", "must set tcp or http (got {})"]],
  ],
  [
    "negative limits",
    dr({
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: -1 },
          http: {
            http1MaxPendingRequests: -2,
            http2MaxRequests: -3,
            maxRequestsPerConnection: -4,
            maxRetries: -5,
          },
        },
      },
    }),
    [
      [
        "IGW5013",
        "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests",
        "must not be negative (got -2)",
      ],
      ["IGW5013", "spec.trafficPolicy.connectionPool.http.http2MaxRequests", "must not be negative (got -3)"],
      [
        "IGW5013",
        "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection",
        "must not be negative (got -4)",
      ],
      ["IGW5013", "spec.trafficPolicy.connectionPool.http.maxRetries", "must not be negative (got -5)"],
      ["IGW5013", "spec.trafficPolicy.connectionPool.tcp.maxConnections", "must not be negative (got -1)"],
    ],
  ],
  [
    "bad durations",
    dr({
      trafficPolicy: {
        connectionPool: {
          tcp: { connectTimeout: "0s", idleTimeout: "1.5ms" },
          http: { idleTimeout: "soon" },
        },
      },
    }),
    [
      [
        "IGW5014",
        "spec.trafficPolicy.connectionPool.http.idleTimeout",
        'must be a duration such as "10s", "1.5s" or "250ms" (got "soon")',
      ],
      ["IGW5014", "spec.trafficPolicy.connectionPool.tcp.connectTimeout", 'must be at least 1ms (got "0s")'],
      [
        "IGW5014",
        "spec.trafficPolicy.connectionPool.tcp.idleTimeout",
        'must be a whole number of milliseconds (got "1.5ms")',
      ],
    ],
  ],
  [
    "useClientProtocol with UPGRADE",
    dr({
      trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: "UPGRADE", useClientProtocol: true } } },
    }),
    [
      [
        "IGW5015",
        "spec.trafficPolicy.connectionPool.http.useClientProtocol",
        'must not be true when h2UpgradePolicy is "UPGRADE" (got true)',
      ],
    ],
  ],
  // IGW5016-5018 upstream TLS
  [
    "SIMPLE with a credential",
    dr({ trafficPolicy: { tls: { mode: "SIMPLE", credentialName: "c", sni: "a" } } }),
    [],
  ],
  [
    "MUTUAL with files",
    dr({ trafficPolicy: { tls: { mode: "MUTUAL", clientCertificate: "/c", privateKey: "/k" } } }),
    [],
  ],
  [
    "a credential with files",
    dr({
      trafficPolicy: {
        tls: { mode: "MUTUAL", credentialName: "c", clientCertificate: "/c", caCrl: "/crl" } as never,
      },
    }),
    [
      [
        "IGW5016",
        "spec.trafficPolicy.tls",
        "must not set clientCertificate, caCrl when credentialName is set: the credential supplies them",
      ],
    ],
  ],
  [
    "MUTUAL without client certificate or key",
    dr({ subsets: [{ name: "v1", trafficPolicy: { tls: { mode: "MUTUAL" } } }] }),
    [
      [
        "IGW5017",
        "spec.subsets[0].trafficPolicy.tls.clientCertificate",
        'required when tls.mode is "MUTUAL" and credentialName is not set',
      ],
      [
        "IGW5017",
        "spec.subsets[0].trafficPolicy.tls.privateKey",
        'required when tls.mode is "MUTUAL" and credentialName is not set',
      ],
    ],
  ],
  [
    "insecureSkipVerify alone",
    dr({ trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } }),
    [],
  ],
  [
    "insecureSkipVerify with what verification uses",
    dr({
      trafficPolicy: {
        tls: { mode: "SIMPLE", insecureSkipVerify: true, caCertificates: "/ca", subjectAltNames: [] },
      },
    }),
    [
      [
        "IGW5018",
        "spec.trafficPolicy.tls.insecureSkipVerify",
        'must not be true with caCertificates, subjectAltNames set when tls.mode is "SIMPLE" (got true)',
      ],
    ],
  ],
  // IGW5019 / IGW5020 workloadSelector
  ["a workloadSelector with labels", dr({ workloadSelector: { matchLabels: { app: "web" } } }), []],
  [
    "a workloadSelector with an empty key and a wildcard",
    dr({ workloadSelector: { matchLabels: { "": "x", app: "web-*" } } }),
    [
      ["IGW5019", 'spec.workloadSelector.matchLabels[""]', 'must not be empty (got "")'],
      ["IGW5019", "spec.workloadSelector.matchLabels.app", 'must not contain a wildcard (got "app=web-*")'],
    ],
  ],
  [
    "a workloadSelector without labels",
    dr({ workloadSelector: {} }),
    [
      [
        "IGW5020",
        "spec.workloadSelector.matchLabels",
        "selects every workload in the namespace when empty (got {})",
      ],
    ],
  ],
  // IGW5021-5023 fields the model leaves out but Istio checks
  [
    "connection pool fields outside the model",
    dr({
      trafficPolicy: {
        connectionPool: {
          http: { maxConcurrentStreams: -1, http2KeepAlive: { timeout: "5s" } },
          tcp: { maxConnectionDuration: "0.5ms", tcpKeepalive: { time: "1h", interval: "0s" } },
        },
      } as never,
    }),
    [
      [
        "IGW5013",
        "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams",
        "must not be negative (got -1)",
      ],
      ["IGW5021", "spec.trafficPolicy.connectionPool.http.http2KeepAlive.interval", "required"],
      [
        "IGW5014",
        "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration",
        'must be at least 1ms (got "0.5ms")',
      ],
      [
        "IGW5014",
        "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.interval",
        'must be at least 1ms (got "0s")',
      ],
    ],
  ],
  [
    "outlier detection",
    dr({
      trafficPolicy: {
        outlierDetection: {
          baseEjectionTime: "30s",
          interval: "10s",
          consecutive5xxErrors: 5,
          maxEjectionPercent: 50,
          minHealthPercent: 0,
          splitExternalLocalOriginErrors: true,
          consecutiveLocalOriginFailures: 3,
        },
      } as never,
    }),
    [],
  ],
  [
    "outlier detection out of range, deprecated and ineffective",
    dr({
      subsets: [
        {
          name: "v1",
          trafficPolicy: {
            outlierDetection: {
              consecutiveErrors: 5,
              consecutiveLocalOriginFailures: 2,
              interval: "0s",
              maxEjectionPercent: 101,
            },
          } as never,
        },
      ],
    }),
    [
      [
        "IGW5023",
        "spec.subsets[0].trafficPolicy.outlierDetection.consecutiveErrors",
        "is deprecated: use consecutiveGatewayErrors or consecutive5xxErrors instead",
      ],
      [
        "IGW5022",
        "spec.subsets[0].trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
        "has no effect unless splitExternalLocalOriginErrors is true (got 2)",
      ],
      [
        "IGW5014",
        "spec.subsets[0].trafficPolicy.outlierDetection.interval",
        'must be at least 1ms (got "0s")',
      ],
      [
        "IGW5022",
        "spec.subsets[0].trafficPolicy.outlierDetection.maxEjectionPercent",
        "must be a percentage from 0 to 100 (got 101)",
      ],
    ],
  ],
  // IGW5024-5028 load balancer
  [
    "consistent hash by cookie with a ring size, and by maglev on a port",
    dr({
      trafficPolicy: {
        loadBalancer: {
          consistentHash: {
            httpCookie: { name: "user", path: "/", ttl: "0s" },
            ringHash: { minimumRingSize: 2048 },
          },
        },
        portLevelSettings: [
          {
            port: { number: 80 },
            loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } },
          },
        ],
      },
    }),
    [],
  ],
  [
    "simple with consistentHash, two hash keys, ringHash with maglev",
    dr({
      trafficPolicy: {
        loadBalancer: {
          simple: "ROUND_ROBIN",
          consistentHash: {
            httpHeaderName: "x-user",
            useSourceIp: true,
            ringHash: { minimumRingSize: 1024 },
            maglev: { tableSize: 65537 },
          },
        },
      },
    }),
    [
      [
        "IGW5024",
        "spec.trafficPolicy.loadBalancer.consistentHash",
        "must not be set with simple: only one of simple, consistentHash (got simple and consistentHash)",
      ],
      [
        "IGW5024",
        "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp",
        "must not be set with httpHeaderName: only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName (got httpHeaderName and useSourceIp)",
      ],
      [
        "IGW5024",
        "spec.trafficPolicy.loadBalancer.consistentHash.maglev",
        "must not be set with ringHash: only one of ringHash, maglev (got ringHash and maglev)",
      ],
    ],
  ],
  [
    "a cookie without a name, the deprecated ring size with maglev, maglev table sizes",
    dr({
      trafficPolicy: {
        loadBalancer: {
          consistentHash: { httpCookie: { name: "" }, minimumRingSize: 1024, maglev: { tableSize: 65536 } },
        },
      },
      subsets: [
        { name: "a", trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, maglev: {} } } } },
        {
          name: "b",
          trafficPolicy: {
            loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 5000011 } } },
          },
        },
      ],
    }),
    [
      ["IGW5025", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "required"],
      [
        "IGW5027",
        "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize",
        "is deprecated: use ringHash.minimumRingSize instead",
      ],
      [
        "IGW5028",
        "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize",
        "must not be set with maglev (got 1024)",
      ],
      [
        "IGW5026",
        "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
        "must be a prime number (got 65536)",
      ],
      ["IGW5026", "spec.subsets[0].trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "required"],
      [
        "IGW5026",
        "spec.subsets[1].trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
        "must be less than 5000011 (got 5000011)",
      ],
    ],
  ],
  [
    "cookie attributes without a name, or named twice",
    dr({
      trafficPolicy: {
        loadBalancer: {
          consistentHash: {
            httpCookie: {
              name: "session",
              ttl: "60s",
              // As a YAML file may hold them: the third attribute has no name at all.
              attributes: [
                { name: "SameSite", value: "Lax" },
                { name: "" },
                { value: "x" },
                { name: "SameSite" },
              ] as never,
            },
          },
        },
      },
    }),
    [
      ["IGW5029", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[1].name", "required"],
      ["IGW5029", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[2].name", "required"],
      [
        "IGW5029",
        "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[3].name",
        'must differ from the other attributes\' names (got "SameSite")',
      ],
    ],
  ],
];

describe("validateDestinationRule", () => {
  for (const [name, rule, expected] of cases) {
    it(name, () => assert.deepEqual(check(rule), expected));
  }

  it("names the resource and takes severity from the table", () => {
    const [issue] = validateDestinationRule(dr({ host: "" }, "prod"));
    assert.deepEqual(issue, {
      severity: "error",
      code: "IGW5001",
      istioCode: "IST0106",
      resource: { kind: "DestinationRule", namespace: "prod", name: "reviews" },
      path: "spec.host",
      message: 'must not be empty (got "")',
    });
  });

  it("exercises every code of its table", () => {
    const used = new Set(cases.flatMap(([, , expected]) => expected.map(([code]) => code)));
    assert.deepEqual([...used].sort(), Object.keys(destinationRuleCodes).sort());
  });

  it("tells subset names apart", () => {
    assert.equal(subsetNameProblem("v1"), undefined);
    assert.equal(
      subsetNameProblem("a".repeat(64)),
      `must be a DNS-1123 label: letters, digits and "-", not starting or ending with "-", at most 63 characters (got "${"a".repeat(64)}")`,
    );
  });
});
