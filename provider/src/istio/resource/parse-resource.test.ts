import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fullDestinationRule,
  fullGateway,
  fullServiceEntry,
  fullVirtualService,
} from "../schema/samples.fixture";
import { isSupportedKind, parseResource, refOf } from ".";

type Finding = [code: string, path: string, message: string];

function findings(obj: unknown): Finding[] {
  return parseResource(obj).issues.map((i) => [i.code, i.path, i.message]);
}

const gw = (spec: unknown) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "Gateway",
  metadata: { name: "gw", namespace: "istio-system" },
  spec,
});
const vs = (spec: unknown) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "vs" },
  spec,
});
const server = (extra: object = {}) => ({
  port: { number: 80, protocol: "HTTP", name: "http" },
  hosts: ["*"],
  ...extra,
});

const cases: Array<[name: string, input: unknown, expected: Finding[]]> = [
  ["null", null, [["IGW1000", "", "must be an object (got null)"]]],
  ["an array", [1, 2], [["IGW1000", "", "must be an object (got [1,2])"]]],
  ["a number", 42, [["IGW1000", "", "must be an object (got 42)"]]],
  [
    "no apiVersion or kind",
    {},
    [
      ["IGW1003", "kind", "required"],
      ["IGW1003", "apiVersion", "required"],
    ],
  ],
  ["non-string kind", { apiVersion: "v1", kind: 7 }, [["IGW1005", "kind", "must be a string (got 7)"]]],
  [
    "an unsupported kind",
    { apiVersion: "apps/v1", kind: "Deployment" },
    [
      [
        "IGW1002",
        "kind",
        'must be one of "Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "AuthorizationPolicy", "RequestAuthentication", "Secret", "Service", "Pod" (got "Deployment")',
      ],
    ],
  ],
  [
    "an unserved Istio version",
    { ...gw({}), apiVersion: "networking.istio.io/v2" },
    [
      [
        "IGW1001",
        "apiVersion",
        'must be one of "networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3" for kind "Gateway" (got "networking.istio.io/v2")',
      ],
    ],
  ],
  [
    "a core kind in an Istio group",
    { apiVersion: "networking.istio.io/v1", kind: "Secret", metadata: {} },
    [["IGW1001", "apiVersion", 'must be one of "v1" for kind "Secret" (got "networking.istio.io/v1")']],
  ],
  [
    "metadata and spec missing",
    { apiVersion: "networking.istio.io/v1", kind: "Gateway" },
    [
      ["IGW1003", "metadata", "required"],
      ["IGW1003", "spec", "required"],
    ],
  ],
  [
    "a server with a bad port, unknown fields and a bad TLS block",
    gw({
      servers: [
        {
          port: { number: -1, protocol: 3, name: "x", nmae: "typo" },
          hosts: "a.example.com",
          tls: {
            mode: "FOO",
            minProtocolVersion: "TLSV1_4",
            credentialNames: ["a", "b"],
            tlsCertificates: [{}],
          },
        },
      ],
      selectr: {},
    }),
    [
      ["IGW1006", "spec.servers[0].port.number", "must be an integer from 0 to 4294967295 (got -1)"],
      ["IGW1005", "spec.servers[0].port.protocol", "must be a string (got 3)"],
      ["IGW1004", "spec.servers[0].port.nmae", "unknown field"],
      ["IGW1005", "spec.servers[0].hosts", 'must be an array (got "a.example.com")'],
      [
        "IGW1007",
        "spec.servers[0].tls.mode",
        'must be one of "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL" (got "FOO")',
      ],
      [
        "IGW1007",
        "spec.servers[0].tls.minProtocolVersion",
        'must be one of "TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3" (got "TLSV1_4")',
      ],
      ["IGW1009", "spec.servers[0].tls", "only one of credentialNames or tlsCertificates may be set"],
      ["IGW1004", "spec.selectr", "unknown field"],
    ],
  ],
  [
    "port fields required",
    gw({
      servers: [
        { port: {}, hosts: [] },
        { hosts: ["*"] },
        { port: { number: 1, protocol: "HTTP", name: "a" } },
      ],
    }),
    [
      ["IGW1003", "spec.servers[0].port.number", "required"],
      ["IGW1003", "spec.servers[0].port.protocol", "required"],
      ["IGW1003", "spec.servers[0].port.name", "required"],
      ["IGW1003", "spec.servers[1].port", "required"],
      ["IGW1003", "spec.servers[2].hosts", "required"],
    ],
  ],
  [
    "port number above uint32, fractional targetPort",
    gw({ servers: [server({ port: { number: 4294967296, protocol: "HTTP", name: "a", targetPort: 1.5 } })] }),
    [
      ["IGW1006", "spec.servers[0].port.number", "must be an integer from 0 to 4294967295 (got 4294967296)"],
      ["IGW1006", "spec.servers[0].port.targetPort", "must be an integer from 0 to 4294967295 (got 1.5)"],
    ],
  ],
  [
    "too many and too few certificates",
    gw({
      servers: [
        server({ tls: { credentialNames: ["a", "b", "c"] } }),
        server({ tls: { tlsCertificates: [] } }),
      ],
    }),
    [
      ["IGW1008", "spec.servers[0].tls.credentialNames", "must have at most 2 items (got 3)"],
      ["IGW1008", "spec.servers[1].tls.tlsCertificates", "must have at least 1 item (got 0)"],
    ],
  ],
  [
    "credentialName with credentialNames",
    gw({ servers: [server({ tls: { mode: "SIMPLE", credentialName: "a", credentialNames: ["b"] } })] }),
    [["IGW1009", "spec.servers[0].tls", "only one of credentialName or credentialNames may be set"]],
  ],
  [
    "credentialName with tlsCertificates is the webhook's to report (as in Istio's CRD)",
    gw({ servers: [server({ tls: { mode: "SIMPLE", credentialName: "a", tlsCertificates: [{}] } })] }),
    [],
  ],
  [
    "VirtualService oneofs, required destinations and enums",
    vs({
      hosts: ["a.example.com"],
      http: [
        {
          match: [
            {
              uri: { exact: "/a", prefix: "/" },
              headers: { "x-user": { regex: 1 }, "x-both": { exact: "", regex: "" } },
              queryParams: { q: { exact: "1", prefix: "1", regex: "1" } },
              withoutHeaders: { "x-w": { prefix: "a", exact: "b" } },
            },
          ],
          route: [{ weight: 1.5 }],
          redirect: { port: 80, derivePort: "FROM_REQUEST_PORT", redirectCode: -301 },
          directResponse: { body: { string: "a", bytes: "YQ==" } },
          fault: {
            abort: { httpStatus: 503, grpcStatus: "UNAVAILABLE", http2Error: "x" },
            delay: { fixedDelay: "1s", exponentialDelay: "1s" },
          },
          corsPolicy: { allowOrigins: [{ exact: "a", regex: "b" }], unmatchedPreflights: "DROP" },
          mirror: {},
          mirrors: [{}],
        },
      ],
      tls: [{ match: [{}], route: [{ destination: { host: "a" } }] }, { route: [] }],
      tcp: [{ route: [{ destination: { host: "t", port: { number: "80" } } }] }],
    }),
    [
      ["IGW1009", "spec.http[0].match[0].uri", "only one of exact, prefix or regex may be set"],
      ["IGW1005", 'spec.http[0].match[0].headers["x-user"].regex', "must be a string (got 1)"],
      ["IGW1009", 'spec.http[0].match[0].headers["x-both"]', "only one of exact, prefix or regex may be set"],
      ["IGW1009", "spec.http[0].match[0].queryParams.q", "only one of exact, prefix or regex may be set"],
      [
        "IGW1009",
        'spec.http[0].match[0].withoutHeaders["x-w"]',
        "only one of exact, prefix or regex may be set",
      ],
      ["IGW1003", "spec.http[0].route[0].destination", "required"],
      [
        "IGW1006",
        "spec.http[0].route[0].weight",
        "must be an integer from -2147483648 to 2147483647 (got 1.5)",
      ],
      ["IGW1006", "spec.http[0].redirect.redirectCode", "must be an integer from 0 to 4294967295 (got -301)"],
      ["IGW1009", "spec.http[0].redirect", "only one of port or derivePort may be set"],
      ["IGW1003", "spec.http[0].directResponse.status", "required"],
      ["IGW1009", "spec.http[0].directResponse.body", "only one of string or bytes may be set"],
      ["IGW1009", "spec.http[0].fault.delay", "only one of fixedDelay or exponentialDelay may be set"],
      ["IGW1009", "spec.http[0].fault.abort", "only one of httpStatus, grpcStatus or http2Error may be set"],
      ["IGW1003", "spec.http[0].mirror.host", "required"],
      ["IGW1003", "spec.http[0].mirrors[0].destination", "required"],
      ["IGW1009", "spec.http[0].corsPolicy.allowOrigins[0]", "only one of exact, prefix or regex may be set"],
      [
        "IGW1007",
        "spec.http[0].corsPolicy.unmatchedPreflights",
        'must be one of "UNSPECIFIED", "FORWARD", "IGNORE" (got "DROP")',
      ],
      ["IGW1003", "spec.tls[0].match[0].sniHosts", "required"],
      ["IGW1003", "spec.tls[1].match", "required"],
      [
        "IGW1006",
        "spec.tcp[0].route[0].destination.port.number",
        'must be an integer from 0 to 4294967295 (got "80")',
      ],
    ],
  ],
  [
    "a bad duration is not a shape finding (the VirtualService rules report it)",
    vs({ hosts: ["a"], http: [{ timeout: "0s", route: [{ destination: { host: "a" } }] }] }),
    [],
  ],
  [
    "unknown DestinationRule fields pass, modelled ones are typed",
    {
      ...fullDestinationRule,
      spec: {
        host: "reviews",
        workloadSelector: { matchLabels: {} },
        trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 }, loadBalancer: { simple: "FASTEST" } },
        subsets: [{ labels: { v: 1 } }],
      },
    },
    [
      [
        "IGW1007",
        "spec.trafficPolicy.loadBalancer.simple",
        'must be one of "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST" (got "FASTEST")',
      ],
      ["IGW1003", "spec.subsets[0].name", "required"],
      ["IGW1005", "spec.subsets[0].labels.v", "must be a string (got 1)"],
    ],
  ],
  [
    "ServiceEntry types",
    {
      ...fullServiceEntry,
      spec: {
        ports: [{ number: 70000.5, name: "a" }],
        resolution: "STATICK",
        endpoints: [{ ports: { a: -1 } }],
      },
    },
    [
      ["IGW1003", "spec.hosts", "required"],
      ["IGW1006", "spec.ports[0].number", "must be an integer from 0 to 4294967295 (got 70000.5)"],
      [
        "IGW1007",
        "spec.resolution",
        'must be one of "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS" (got "STATICK")',
      ],
      ["IGW1006", "spec.endpoints[0].ports.a", "must be an integer from 0 to 4294967295 (got -1)"],
    ],
  ],
  [
    "direct response bytes must be base64",
    vs({ hosts: ["a"], http: [{ directResponse: { status: 200, body: { bytes: "not base64!" } } }] }),
    [["IGW1005", "spec.http[0].directResponse.body.bytes", 'must be base64-encoded (got "not base64!")']],
  ],
  [
    "ServiceEntry list sizes are Istio's CRD bounds",
    {
      ...fullServiceEntry,
      spec: { hosts: [], addresses: Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) },
    },
    [
      ["IGW1008", "spec.hosts", "must have at least 1 item (got 0)"],
      ["IGW1008", "spec.addresses", "must have at most 256 items (got 257)"],
    ],
  ],
  [
    "Service targetPort is a number or a name",
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: {
        ports: [
          { port: 80, targetPort: true },
          { port: 80, targetPort: "http" },
        ],
      },
    },
    [["IGW1005", "spec.ports[0].targetPort", "must be an integer or a port name (got true)"]],
  ],
  ["status is the API server's and is not checked", { ...fullGateway, status: { anything: [1, 2] } }, []],
  [
    "an unknown top-level field of a Gateway",
    { ...fullGateway, specs: {} },
    [["IGW1004", "specs", "unknown field"]],
  ],
  [
    "a long value is shortened",
    gw({ servers: [server({ name: 1, bind: { a: "x".repeat(100) } })] }),
    [
      ["IGW1005", "spec.servers[0].bind", "must be a string (got an object)"],
      ["IGW1005", "spec.servers[0].name", "must be a string (got 1)"],
    ],
  ],
];

describe("parseResource", () => {
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(findings(input), expected));
  }

  it("returns the input itself, typed, when the shape is valid", () => {
    for (const sample of [fullGateway, fullVirtualService, fullDestinationRule, fullServiceEntry]) {
      const parsed = parseResource(sample);
      assert.deepEqual(parsed.issues, []);
      assert.equal(parsed.resource, sample);
    }
  });

  it("keeps unmodelled DestinationRule fields in the resource", () => {
    const dr = {
      ...fullDestinationRule,
      spec: { ...fullDestinationRule.spec, workloadSelector: { matchLabels: {} } },
    };
    assert.deepEqual(parsed(dr), dr);
  });

  it("returns no resource when the shape is wrong, and names the resource in each finding", () => {
    const result = parseResource(gw({ servers: [{}] }), { defaultNamespace: "ignored" });
    assert.equal(result.resource, undefined);
    assert.deepEqual(result.ref, { kind: "Gateway", namespace: "istio-system", name: "gw" });
    assert.deepEqual(result.issues[0], {
      severity: "error",
      code: "IGW1003",
      istioCode: "IST0106",
      resource: { kind: "Gateway", namespace: "istio-system", name: "gw" },
      path: "spec.servers[0].port",
      message: "required",
    });
  });

  it("uses the default namespace for objects without one", () => {
    assert.deepEqual(parseResource(vs({}), { defaultNamespace: "prod" }).ref, {
      kind: "VirtualService",
      namespace: "prod",
      name: "vs",
    });
  });

  it("reports an object whose getters throw instead of throwing", () => {
    const hostile = {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: {},
      get spec(): unknown {
        throw new Error("boom");
      },
    };
    assert.deepEqual(findings(hostile), [["IGW1000", "", "could not be read (boom)"]]);
  });
});

function parsed(obj: unknown): unknown {
  return parseResource(obj).resource;
}

describe("isSupportedKind", () => {
  const table: Array<[unknown, unknown, boolean]> = [
    ["networking.istio.io/v1", "Gateway", true],
    ["networking.istio.io/v1beta1", "VirtualService", true],
    ["networking.istio.io/v1alpha3", "DestinationRule", true],
    ["networking.istio.io/v1", "ServiceEntry", true],
    ["security.istio.io/v1", "AuthorizationPolicy", true],
    ["security.istio.io/v1beta1", "AuthorizationPolicy", true],
    ["networking.istio.io/v1", "AuthorizationPolicy", false],
    ["security.istio.io/v1", "PeerAuthentication", false],
    ["v1", "Secret", true],
    ["v1", "Service", true],
    ["v1", "Pod", true],
    ["networking.istio.io/v1", "Sidecar", false],
    ["networking.istio.io/v2", "Gateway", false],
    ["gateway.networking.k8s.io/v1", "Gateway", false],
    ["apps/v1", "Deployment", false],
    ["v1", "ConfigMap", false],
    [undefined, "Gateway", false],
    ["v1", 3, false],
  ];
  for (const [apiVersion, kind, expected] of table) {
    it(`${String(apiVersion)} ${String(kind)} -> ${expected}`, () =>
      assert.equal(isSupportedKind(apiVersion, kind), expected));
  }
});

describe("refOf", () => {
  const table: Array<[unknown, { kind: string; namespace: string; name: string }]> = [
    [null, { kind: "", namespace: "dflt", name: "" }],
    [{ kind: "Gateway" }, { kind: "Gateway", namespace: "dflt", name: "" }],
    [
      { kind: "Gateway", metadata: { name: "a", namespace: "" } },
      { kind: "Gateway", namespace: "dflt", name: "a" },
    ],
    [
      { kind: 1, metadata: { name: 2, namespace: "ns" } },
      { kind: "", namespace: "ns", name: "" },
    ],
    [
      { kind: "Pod", metadata: [] },
      { kind: "Pod", namespace: "dflt", name: "" },
    ],
  ];
  for (const [obj, expected] of table) {
    it(JSON.stringify(obj), () => assert.deepEqual(refOf(obj, "dflt"), expected));
  }
  it("defaults to the default namespace", () => assert.equal(refOf({}).namespace, "default"));
});
