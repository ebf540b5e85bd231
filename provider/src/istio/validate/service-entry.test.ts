import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceEntry, ServiceEntrySpec } from "../model";
import { isCIDR, serviceEntryCodes, validateServiceEntry } from "./service-entry";

const httpPort = { number: 80, protocol: "HTTP", name: "http" };
const tlsPort = { number: 443, protocol: "TLS", name: "tls" };

function se(
  spec: Partial<ServiceEntrySpec> & Record<string, unknown>,
  labels?: Record<string, string>,
): ServiceEntry {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: { name: "external", namespace: "default", ...(labels ? { labels } : {}) },
    spec: { hosts: ["api.example.com"], ports: [httpPort], ...spec } as ServiceEntrySpec,
  };
}

type Finding = [code: string, path: string, message: string];

const check = (entry: ServiceEntry): Finding[] =>
  validateServiceEntry(entry).map((i) => [i.code, i.path, i.message]);

const PROTOCOLS =
  '"HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL"';

const cases: Array<[name: string, entry: ServiceEntry, expected: Finding[]]> = [
  // IGW5101-5103 hosts
  ["a plain external service", se({}), []],
  ["no hosts", se({ hosts: [] }), [["IGW5101", "spec.hosts", "must list at least one host (got [])"]]],
  [
    "host * and an invalid host",
    se({ hosts: ["*", "bad_host.com"] }),
    [
      ["IGW5102", "spec.hosts[0]", 'must not be "*": a ServiceEntry names the hosts it adds (got "*")'],
      [
        "IGW5102",
        "spec.hosts[1]",
        'first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-" (got "bad_host" in "bad_host.com")',
      ],
    ],
  ],
  [
    "a partial wildcard host",
    se({ hosts: ["*api.example.com"] }),
    [
      [
        "IGW5103",
        "spec.hosts[0]",
        'a wildcard must be the whole host or its whole first label, as in "*.example.com" (got "*api.example.com")',
      ],
    ],
  ],
  // IGW5104-5105 addresses
  [
    "IP and CIDR addresses with STATIC",
    se({
      addresses: ["192.0.2.1", "2001:db8::/32"],
      resolution: "STATIC",
      endpoints: [{ address: "192.0.2.2" }],
    }),
    [],
  ],
  [
    "invalid addresses",
    se({ addresses: ["192.0.2.300", "10.0.0.0/33", "10.0.0.0/8/8"] }),
    [
      ["IGW5104", "spec.addresses[0]", 'must be an IP address or a CIDR block (got "192.0.2.300")'],
      ["IGW5104", "spec.addresses[1]", 'must be an IP address or a CIDR block (got "10.0.0.0/33")'],
      ["IGW5104", "spec.addresses[2]", 'must be an IP address or a CIDR block (got "10.0.0.0/8/8")'],
    ],
  ],
  [
    "a CIDR address with DNS resolution",
    se({ addresses: ["10.0.0.0/8"], resolution: "DNS" }),
    [
      [
        "IGW5105",
        "spec.resolution",
        'must be "NONE" or "STATIC" when addresses has a CIDR block (got "DNS")',
      ],
    ],
  ],
  // IGW5106-5109 ports
  ["HTTP and TLS ports", se({ ports: [httpPort, { ...tlsPort, targetPort: 8443 }] }), []],
  [
    "a port name and a port number defined twice",
    se({ ports: [httpPort, { number: 80, protocol: "HTTP", name: "http" }] }),
    [
      ["IGW5106", "spec.ports[1].name", 'must be unique among the ports (got "http")'],
      ["IGW5106", "spec.ports[1].number", "must be unique among the ports (got 80)"],
    ],
  ],
  [
    "a port name that is not a DNS label",
    se({ ports: [{ number: 80, protocol: "HTTP", name: "http_web" }] }),
    [
      [
        "IGW5107",
        "spec.ports[0].name",
        'must be a DNS-1123 label: letters, digits and "-", at most 63 characters (got "http_web")',
      ],
    ],
  ],
  [
    "port numbers out of range",
    se({
      ports: [
        { number: 0, protocol: "HTTP", name: "a" },
        { number: 70000, protocol: "HTTP", name: "b", targetPort: 65536 },
      ],
    }),
    [
      ["IGW5108", "spec.ports[0].number", "must be an integer from 1 to 65535 (got 0)"],
      ["IGW5108", "spec.ports[1].targetPort", "must be an integer from 1 to 65535 (got 65536)"],
      ["IGW5108", "spec.ports[1].number", "must be an integer from 1 to 65535 (got 70000)"],
    ],
  ],
  ["a lower-case protocol", se({ ports: [{ number: 80, protocol: "http", name: "http" }] }), []],
  [
    "an unknown protocol",
    se({ ports: [{ number: 80, protocol: "QUIC", name: "quic" }] }),
    [["IGW5109", "spec.ports[0].protocol", `must be one of ${PROTOCOLS} (got "QUIC")`]],
  ],
  // IGW5110 TCP without addresses
  [
    "a TCP port with DNS resolution (auto-allocated)",
    se({ resolution: "DNS", ports: [{ number: 5432, protocol: "TCP", name: "pg" }] }),
    [],
  ],
  [
    "a TCP port with addresses",
    se({ addresses: ["192.0.2.1"], ports: [{ number: 5432, protocol: "TCP", name: "pg" }] }),
    [],
  ],
  [
    "a TCP port with resolution NONE and no addresses",
    se({ ports: [{ number: 5432, name: "pg" }] }),
    [
      [
        "IGW5110",
        "spec.ports[0]",
        "needs spec.addresses when its protocol is TCP or unset and IP auto-allocation does not apply: TCP traffic cannot be told apart by host",
      ],
    ],
  ],
  [
    "a TCP port when auto-allocation is opted out",
    se(
      { resolution: "DNS", ports: [{ number: 5432, protocol: "TCP", name: "pg" }] },
      {
        "networking.istio.io/enable-autoallocate-ip": "False",
      },
    ),
    [
      [
        "IGW5110",
        "spec.ports[0]",
        "needs spec.addresses when its protocol is TCP or unset and IP auto-allocation does not apply: TCP traffic cannot be told apart by host",
      ],
    ],
  ],
  // IGW5111-5113 endpoints, selector, NONE
  [
    "a workloadSelector with STATIC",
    se({ resolution: "STATIC", workloadSelector: { labels: { app: "vm" } } }),
    [],
  ],
  [
    "workloadSelector and endpoints",
    se({
      resolution: "STATIC",
      workloadSelector: { labels: { app: "vm" } },
      endpoints: [{ address: "192.0.2.1" }],
    }),
    [["IGW5111", "spec", "only one of workloadSelector or endpoints may be set"]],
  ],
  [
    "endpoints with resolution NONE",
    se({ endpoints: [{ address: "192.0.2.1" }] }),
    [
      [
        "IGW5112",
        "spec.endpoints",
        'must be empty when resolution is "NONE": the address the client asked for is used',
      ],
    ],
  ],
  [
    "a workloadSelector with resolution NONE",
    se({ workloadSelector: { labels: { app: "vm" } } }),
    [["IGW5113", "spec.workloadSelector", 'has no effect when resolution is "NONE"']],
  ],
  // IGW5114-5119 STATIC endpoints
  [
    "STATIC endpoints with named ports and labels",
    se({
      resolution: "STATIC",
      ports: [httpPort, tlsPort],
      endpoints: [
        { address: "192.0.2.1", ports: { http: 8080, tls: 8443 }, labels: { version: "v1" } },
        { address: "2001:db8::1" },
      ],
    }),
    [],
  ],
  [
    "STATIC endpoints without address, or with a host name",
    se({ resolution: "STATIC", endpoints: [{}, { address: "api.internal" }] }),
    [
      ["IGW5114", "spec.endpoints[0].address", "required when network is not set"],
      [
        "IGW5114",
        "spec.endpoints[1].address",
        'must be an IP address or a unix:// path when resolution is "STATIC" (got "api.internal")',
      ],
    ],
  ],
  [
    "a STATIC endpoint reached through its network",
    se({ resolution: "STATIC", endpoints: [{ network: "remote" }] }),
    [
      [
        "IGW5115",
        "spec.endpoints[0].address",
        'is not set: the endpoint is reached through the gateway of network "remote"',
      ],
    ],
  ],
  [
    "endpoint ports naming undeclared ports, with bad names and numbers",
    se({
      resolution: "STATIC",
      endpoints: [{ address: "192.0.2.1", ports: { grpc: 9090, http: 0, Bad_Name: 80 } }],
    }),
    [
      ["IGW5116", "spec.endpoints[0].ports.grpc", 'must name one of the ports of spec.ports (got "grpc")'],
      ["IGW5117", "spec.endpoints[0].ports.http", "must be an integer from 1 to 65535 (got 0)"],
      [
        "IGW5116",
        "spec.endpoints[0].ports.Bad_Name",
        'must name one of the ports of spec.ports (got "Bad_Name")',
      ],
      ["IGW5117", "spec.endpoints[0].ports.Bad_Name", 'must be keyed by a DNS-1123 label (got "Bad_Name")'],
    ],
  ],
  [
    "endpoint labels that are not labels",
    se({ resolution: "STATIC", endpoints: [{ address: "192.0.2.1", labels: { "a/b/c": "x", ok: "a b" } }] }),
    [
      [
        "IGW5118",
        'spec.endpoints[0].labels["a/b/c"]',
        'must be a label key: [<DNS prefix>/]<name>, the name alphanumeric with "-", "_" or "." inside (got "a/b/c")',
      ],
      [
        "IGW5118",
        "spec.endpoints[0].labels.ok",
        'must be a label value: empty, or letters and digits with "-", "_" or "." inside, at most 63 characters (got "a b")',
      ],
    ],
  ],
  [
    "a unix endpoint with one port",
    se({ resolution: "STATIC", endpoints: [{ address: "unix:///var/run/app.sock" }] }),
    [],
  ],
  [
    "unix endpoints: relative path, ports, two service ports",
    se({
      resolution: "STATIC",
      ports: [httpPort, tlsPort],
      endpoints: [{ address: "unix://var/run/app.sock", ports: { http: 80 } }],
    }),
    [
      [
        "IGW5114",
        "spec.endpoints[0].address",
        'must be an absolute path to a file or an @abstract socket after "unix://" (got "unix://var/run/app.sock")',
      ],
      ["IGW5119", "spec.endpoints[0].ports", 'must not be set for a unix:// endpoint (got {"http":80})'],
      [
        "IGW5119",
        "spec.endpoints[0].address",
        "needs exactly one port in spec.ports for a unix:// endpoint (got 2)",
      ],
    ],
  ],
  // IGW5120-5122 DNS
  ["DNS with FQDN hosts", se({ resolution: "DNS" }), []],
  [
    "DNS with a wildcard host and endpoints",
    se({ hosts: ["*.example.com"], resolution: "DNS", endpoints: [{ address: "lb.example.com" }] }),
    [],
  ],
  [
    "DNS with a wildcard host and no endpoints",
    se({ hosts: ["*.example.com"], resolution: "DNS" }),
    [
      [
        "IGW5120",
        "spec.hosts[0]",
        'must be a DNS name without wildcards when resolution is "DNS" and there are no endpoints: it is resolved as written (got "*.example.com")',
      ],
    ],
  ],
  [
    "DNS_ROUND_ROBIN with two endpoints, one not a name",
    se({
      resolution: "DNS_ROUND_ROBIN",
      endpoints: [{ address: "a.example.com" }, { address: "bad_name!" }],
    }),
    [
      [
        "IGW5121",
        "spec.endpoints",
        'must have at most 1 endpoint when resolution is "DNS_ROUND_ROBIN" (got 2)',
      ],
      [
        "IGW5114",
        "spec.endpoints[1].address",
        'must be an IP address or a DNS name when resolution is "DNS_ROUND_ROBIN" (got "bad_name!")',
      ],
    ],
  ],
  [
    "DNS with addresses, a TLS port and two hosts",
    se({
      hosts: ["a.example.com", "b.example.com"],
      resolution: "DNS",
      addresses: ["192.0.2.1"],
      ports: [tlsPort],
    }),
    [
      [
        "IGW5122",
        "spec.hosts",
        "should list one host when addresses and a TCP port (spec.ports[0]) are set: the address cannot tell the hosts apart (got 2 hosts)",
      ],
    ],
  ],
  // IGW5123 DYNAMIC_DNS
  [
    "DYNAMIC_DNS with a wildcard host",
    se({ hosts: ["*.example.com"], resolution: "DYNAMIC_DNS", ports: [tlsPort] }),
    [],
  ],
  [
    "DYNAMIC_DNS with a plain host, addresses, endpoints and a TCP port",
    se({
      hosts: ["api.example.com"],
      resolution: "DYNAMIC_DNS",
      addresses: ["192.0.2.1"],
      endpoints: [{ address: "192.0.2.2" }],
      ports: [{ number: 5432, protocol: "TCP", name: "pg" }],
    }),
    [
      [
        "IGW5123",
        "spec.hosts[0]",
        'must be a wildcard host when resolution is "DYNAMIC_DNS" (got "api.example.com")',
      ],
      [
        "IGW5123",
        "spec.addresses",
        'must be empty when resolution is "DYNAMIC_DNS": routes come from the hosts',
      ],
      [
        "IGW5123",
        "spec.endpoints",
        'must be empty when resolution is "DYNAMIC_DNS": the destination is resolved from the host',
      ],
      [
        "IGW5123",
        "spec.ports[0].protocol",
        'must be "HTTP", "TLS", "GRPC" or "HTTP2" when resolution is "DYNAMIC_DNS" (got "TCP")',
      ],
    ],
  ],
  // IGW5124 several hosts
  [
    "several hosts on HTTP and TLS ports",
    se({ hosts: ["a.example.com", "b.example.com"], resolution: "DNS", ports: [httpPort, tlsPort] }),
    [],
  ],
  [
    "several hosts on a TCP port with NONE",
    se({
      hosts: ["a.example.com", "b.example.com"],
      addresses: ["192.0.2.0/24"],
      ports: [{ number: 1, protocol: "TCP", name: "t" }],
    }),
    [],
  ],
  [
    "several hosts on a TCP port with DNS",
    se({
      hosts: ["a.example.com", "b.example.com"],
      resolution: "DNS",
      ports: [httpPort, { number: 5432, protocol: "TCP", name: "pg" }],
    }),
    [
      [
        "IGW5124",
        "spec.ports[1].protocol",
        'must be an HTTP or TLS protocol when there are several hosts and resolution is "DNS": nothing else tells the hosts apart (got "TCP")',
      ],
    ],
  ],
  // IGW5125-5127 exportTo
  ["exportTo ~ alone", se({ exportTo: ["~"] }), []],
  [
    "an invalid exportTo entry",
    se({ exportTo: ["-bad"] }),
    [["IGW5125", "spec.exportTo[0]", 'must be ".", "*" or a namespace name (a DNS-1123 label) (got "-bad")']],
  ],
  [
    "a repeated exportTo entry",
    se({ exportTo: ["prod", "prod"] }),
    [["IGW5126", "spec.exportTo[1]", 'must not be repeated (got "prod")']],
  ],
  [
    "exportTo ~ with a namespace",
    se({ exportTo: ["~", "prod"] }),
    [["IGW5127", "spec.exportTo", 'must be "~" alone or list no "~" (got ["~","prod"])']],
  ],
  // IGW5128 STATIC without endpoints (our check)
  [
    "STATIC with no endpoints and no workloadSelector",
    se({ resolution: "STATIC" }),
    [
      [
        "IGW5128",
        "spec.endpoints",
        'required when resolution is "STATIC" and workloadSelector is not set: there is nothing to send to',
      ],
    ],
  ],
  // IGW5129 workloadSelector labels
  [
    "workloadSelector labels with a wildcard and an empty key",
    se({ resolution: "STATIC", workloadSelector: { labels: { app: "web-*", "": "x", "*": "x" } } }),
    [
      ["IGW5129", "spec.workloadSelector.labels.app", 'must not contain a wildcard (got "app=web-*")'],
      ["IGW5129", 'spec.workloadSelector.labels[""]', 'must not be empty (got "")'],
      ["IGW5129", 'spec.workloadSelector.labels["*"]', 'must not contain a wildcard (got "*=x")'],
    ],
  ],
  [
    "a workloadSelector without labels",
    se({ resolution: "STATIC", workloadSelector: {} }),
    [
      [
        "IGW5130",
        "spec.workloadSelector.labels",
        "selects every workload in the namespace when empty (got {})",
      ],
    ],
  ],
  [
    "DYNAMIC_DNS inside the mesh behind a waypoint",
    se(
      { hosts: ["*.example.com"], resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" },
      { "istio.io/use-waypoint": "wp" },
    ),
    [
      [
        "IGW5123",
        "spec.location",
        'must be "MESH_EXTERNAL" when resolution is "DYNAMIC_DNS" and the entry uses a waypoint (got "MESH_INTERNAL")',
      ],
    ],
  ],
  [
    "DYNAMIC_DNS inside the mesh without a waypoint",
    se(
      { hosts: ["*.example.com"], resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" },
      { "istio.io/use-waypoint": "None" },
    ),
    [],
  ],
];

describe("validateServiceEntry", () => {
  for (const [name, entry, expected] of cases) {
    it(name, () => assert.deepEqual(check(entry), expected));
  }

  it("reports STATIC without endpoints as a warning, an error when strict", () => {
    const entry = se({ resolution: "STATIC" });
    assert.deepEqual(
      validateServiceEntry(entry).map((i) => i.severity),
      ["warning"],
    );
    assert.deepEqual(
      validateServiceEntry(entry, { strict: true }).map((i) => i.severity),
      ["error"],
    );
  });

  it("names the resource in each finding", () => {
    assert.deepEqual(validateServiceEntry(se({ hosts: [] }))[0].resource, {
      kind: "ServiceEntry",
      namespace: "default",
      name: "external",
    });
  });

  it("exercises every code of its table", () => {
    const used = new Set(cases.flatMap(([, , expected]) => expected.map(([code]) => code)));
    assert.deepEqual([...used].sort(), Object.keys(serviceEntryCodes).sort());
  });
});

describe("isCIDR", () => {
  const table: Array<[string, boolean]> = [
    ["10.0.0.0/8", true],
    ["10.0.0.1/32", true],
    ["2001:db8::/128", true],
    ["10.0.0.0/33", false],
    ["10.0.0.0/08", false],
    ["10.0.0.0/", false],
    ["fe80::1%eth0/64", false],
    ["10.0.0.0", false],
    ["example.com/8", false],
  ];
  for (const [input, expected] of table)
    it(`${input} -> ${expected}`, () => assert.equal(isCIDR(input), expected));
});
