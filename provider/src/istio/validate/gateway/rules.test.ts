// One failing and one passing Gateway per rule, with every finding asserted whole: code, severity,
// Istio code, path and message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Gateway } from "../../model";
import { metadataCodes } from "../metadata";
import { gatewayCodes } from "./codes";
import { validateGateway } from "./index";

const https = { number: 443, name: "https", protocol: "HTTPS" };
const http = { number: 80, name: "http", protocol: "HTTP" };
const simple = { mode: "SIMPLE", credentialName: "gw-cert" };
const crt = "/etc/certs/tls.crt";
const key = "/etc/certs/tls.key";
const host = "a.example.com";

function gateway(
  servers: unknown,
  metadata: Record<string, unknown> = { name: "gw", namespace: "istio-system" },
): Gateway {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata,
    spec: { servers },
  } as unknown as Gateway;
}

/** `code`, a Gateway breaking it, the findings `[code, path, message]`, and a Gateway that keeps it. */
type RuleCase = [string, Gateway, Array<[string, string, string]>, Gateway];

const label = `each label must be 1 to 63 letters, digits or "-", not starting or ending with "-"`;

const cases: RuleCase[] = [
  [
    "IGW1101",
    gateway([{ hosts: [host], port: http }], {
      name: "gw",
      annotations: { "internal.istio.io/webhook-always-reject": "" },
    }),
    [
      [
        "IGW1101",
        'metadata.annotations["internal.istio.io/webhook-always-reject"]',
        "must not be set: Istio rejects every resource that carries it",
      ],
    ],
    gateway([{ hosts: [host], port: http }], { name: "gw", annotations: { "internal.istio.io/other": "" } }),
  ],
  [
    "IGW1102",
    gateway([{ hosts: [host], port: http }], {
      name: "gw",
      annotations: { "internal.istio.io/parents": "x", "internal.istio.io/parent-namespace": "y" },
    }),
    [
      [
        "IGW1102",
        'metadata.annotations["internal.istio.io/parent-namespace"]',
        "must not be set: it is reserved for resources Istio generates",
      ],
      [
        "IGW1102",
        'metadata.annotations["internal.istio.io/parents"]',
        "must not be set: it is reserved for resources Istio generates",
      ],
    ],
    gateway([{ hosts: [host], port: http }], { name: "gw", annotations: { "istio.io/rev": "canary" } }),
  ],
  [
    "IGW1103",
    gateway([{ hosts: [host], port: http }], { name: "gw", annotations: { "istio.io/dry-run": "true" } }),
    [
      [
        "IGW1103",
        'metadata.annotations["istio.io/dry-run"]',
        'is only supported on AuthorizationPolicy: remove it (got kind "Gateway")',
      ],
    ],
    gateway([{ hosts: [host], port: http }], { name: "gw" }),
  ],
  [
    "IGW1104",
    gateway([{ hosts: [host], port: http }], { name: "public.gw" }),
    [
      [
        "IGW1104",
        "metadata.name",
        'must be a DNS-1123 label: 1 to 63 letters, digits or "-", not starting or ending with "-", no dots (got "public.gw")',
      ],
    ],
    gateway([{ hosts: [host], port: http }], {
      name: "public.gw",
      annotations: { "internal.istio.io/gateway-semantics": "gateway" },
    }),
  ],
  [
    "IGW2001",
    gateway([]),
    [["IGW2001", "spec.servers", "must list at least one server (got [])"]],
    gateway([{ hosts: [host], port: http }]),
  ],
  [
    "IGW2002",
    gateway([null]),
    [["IGW2002", "spec.servers[0]", "must be a server object (got null)"]],
    gateway([{ hosts: [host], port: http }]),
  ],
  [
    "IGW2101",
    gateway([{ hosts: [], port: http }]),
    [["IGW2101", "spec.servers[0].hosts", "must list at least one host (got [])"]],
    gateway([{ hosts: ["*"], port: http }]),
  ],
  [
    "IGW2102",
    gateway([{ hosts: ["ns/"], port: http }]),
    [
      [
        "IGW2102",
        "spec.servers[0].hosts[0]",
        'namespace and host name on either side of "/" must not be empty (got "ns/")',
      ],
      ["IGW2104", "spec.servers[0].hosts[0]", 'must be a fully qualified domain name or "*" (got "")'],
      ["IGW2105", "spec.servers[0].hosts[0]", 'must not be empty (got "")'],
    ],
    gateway([{ hosts: ["ns/a.example.com"], port: http }]),
  ],
  [
    "IGW2103",
    gateway([{ hosts: ["prod_ns/a.example.com"], port: http }]),
    [
      [
        "IGW2103",
        "spec.servers[0].hosts[0]",
        'namespace must be "*", "." or a DNS-1123 label (got "prod_ns" in "prod_ns/a.example.com")',
      ],
    ],
    gateway([{ hosts: ["./a.example.com", "*/b.example.com", "prod-ns/c.example.com"], port: http }]),
  ],
  [
    "IGW2104",
    gateway([{ hosts: ["reviews"], port: http }]),
    [["IGW2104", "spec.servers[0].hosts[0]", 'must be a fully qualified domain name or "*" (got "reviews")']],
    gateway([{ hosts: ["reviews.default.svc.cluster.local"], port: http }]),
  ],
  [
    "IGW2105",
    gateway([{ hosts: ["a.example.com:443"], port: http }]),
    [["IGW2105", "spec.servers[0].hosts[0]", `${label} (got "com:443" in "a.example.com:443")`]],
    gateway([{ hosts: ["a.example.com", "10.0.0.1", "*.example.com."], port: http }]),
  ],
  [
    "IGW2106",
    gateway([{ hosts: ["*example.com"], port: http }]),
    [
      [
        "IGW2106",
        "spec.servers[0].hosts[0]",
        'a wildcard must be the whole host or its whole first label, as in "*.example.com" (got "*example.com")',
      ],
    ],
    gateway([{ hosts: ["*.example.com"], port: http }]),
  ],
  [
    "IGW2201",
    gateway([{ hosts: [host] }]),
    [["IGW2201", "spec.servers[0].port", "required: a server needs a port with number, protocol and name"]],
    gateway([{ hosts: [host], port: http }]),
  ],
  [
    "IGW2202",
    gateway([{ hosts: [host], port: { number: 80, name: "http", protocol: "kafka" } }]),
    [
      [
        "IGW2202",
        "spec.servers[0].port.protocol",
        'must be one of "HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL", in any case (got "kafka")',
      ],
    ],
    gateway([{ hosts: [host], port: { number: 80, name: "http", protocol: "grpc-web" } }]),
  ],
  [
    "IGW2203",
    gateway([{ hosts: [host], port: { number: 70000, name: "http", protocol: "HTTP" } }]),
    [["IGW2203", "spec.servers[0].port.number", "must be an integer from 1 to 65535 (got 70000)"]],
    gateway([{ hosts: [host], port: { number: 65535, name: "http", protocol: "HTTP" } }]),
  ],
  [
    "IGW2204",
    gateway([{ hosts: [host], port: { ...http, targetPort: 8080 } }]),
    [
      [
        "IGW2204",
        "spec.servers[0].port.targetPort",
        "must not be set: a Gateway server listens on port.number and ignores targetPort (got 8080)",
      ],
    ],
    gateway([{ hosts: [host], port: { ...http, targetPort: 0 } }]),
  ],
  [
    "IGW2205",
    gateway([{ hosts: [host], port: { number: 80, name: "", protocol: "HTTP" } }]),
    [["IGW2205", "spec.servers[0].port.name", 'must not be empty (got "")']],
    gateway([{ hosts: [host], port: { number: 80, name: "Henry", protocol: "HTTP" } }]),
  ],
  [
    "IGW2206",
    gateway([
      { hosts: [host], port: http },
      { hosts: ["b.example.com"], port: { number: 8080, name: "http", protocol: "HTTP" } },
    ]),
    [
      [
        "IGW2206",
        "spec.servers[1].port.name",
        'must be unique across servers: spec.servers[0].port.name has the same name (got "http")',
      ],
    ],
    gateway([
      { hosts: [host], port: http },
      { hosts: ["b.example.com"], port: { number: 8080, name: "http-alt", protocol: "HTTP" } },
    ]),
  ],
  [
    "IGW2301",
    gateway([{ hosts: [host], port: { ...http, number: 0 }, bind: "unix://var/run/gw.sock" }]),
    [
      [
        "IGW2301",
        "spec.servers[0].bind",
        'must be "unix://" followed by an absolute path to a file or an "@abstract" socket name (got "unix://var/run/gw.sock")',
      ],
    ],
    gateway([{ hosts: [host], port: { ...http, number: 0 }, bind: "unix:///var/run/gw.sock" }]),
  ],
  [
    "IGW2302",
    gateway([{ hosts: [host], port: http, bind: "unix://@gw" }]),
    [["IGW2302", "spec.servers[0].port.number", "must be 0 when bind is a unix:// socket (got 80)"]],
    gateway([{ hosts: [host], port: { ...http, number: 0 }, bind: "unix://@gw" }]),
  ],
  [
    "IGW2303",
    gateway([{ hosts: [host], port: http, bind: "localhost" }]),
    [
      [
        "IGW2303",
        "spec.servers[0].bind",
        'must be an IP address or "unix://" and a socket path (got "localhost")',
      ],
    ],
    gateway([{ hosts: [host], port: http, bind: "::1" }]),
  ],
  [
    "IGW2401",
    gateway([{ hosts: [host], port: https }]),
    [["IGW2401", "spec.servers[0].tls", 'required when port.protocol is "HTTPS"']],
    gateway([{ hosts: [host], port: https, tls: simple }]),
  ],
  [
    "IGW2402",
    gateway([{ hosts: [host], port: http, tls: simple }]),
    [
      [
        "IGW2402",
        "spec.servers[0].tls",
        'may only set httpsRedirect when port.protocol is "HTTP": to terminate TLS use protocol "HTTPS" (got mode "SIMPLE")',
      ],
    ],
    gateway([{ hosts: [host], port: http, tls: { httpsRedirect: true } }]),
  ],
  [
    "IGW2403",
    gateway([
      {
        hosts: [host],
        port: { number: 3306, name: "mysql", protocol: "MYSQL" },
        tls: { httpsRedirect: false },
      },
    ]),
    [
      [
        "IGW2403",
        "spec.servers[0].tls",
        'must not be set when port.protocol is "MYSQL": TLS needs protocol "HTTPS" or "TLS"',
      ],
    ],
    gateway([{ hosts: [host], port: { number: 3306, name: "mysql", protocol: "MYSQL" } }]),
  ],
  [
    "IGW2404",
    gateway([{ hosts: [host], port: https, tls: { ...simple, httpsRedirect: true } }]),
    [
      [
        "IGW2404",
        "spec.servers[0].tls.httpsRedirect",
        'has no effect unless port.protocol is HTTP, HTTP2, GRPC, GRPC-WEB or HTTP_PROXY (got "HTTPS")',
      ],
    ],
    gateway([{ hosts: [host], port: https, tls: { ...simple, httpsRedirect: false } }]),
  ],
  [
    "IGW2501",
    gateway([{ hosts: [host], port: https, tls: { ...simple, minProtocolVersion: "TLSV1_1" } }]),
    [
      [
        "IGW2501",
        "spec.servers[0].tls.minProtocolVersion",
        'needs tls.cipherSuites: below "TLSV1_2" the default cipher suites no longer include compatible ones (got "TLSV1_1")',
      ],
    ],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { ...simple, minProtocolVersion: "TLSV1_1", cipherSuites: ["AES128-SHA"] },
      },
    ]),
  ],
  [
    "IGW2502",
    gateway([{ hosts: [host], port: https, tls: { ...simple, cipherSuites: ["AES128-SHA", "RC4-MD5"] } }]),
    [
      [
        "IGW2502",
        "spec.servers[0].tls.cipherSuites[1]",
        'is not a cipher suite Istio knows and is ignored (got "RC4-MD5")',
      ],
    ],
    gateway([
      { hosts: [host], port: https, tls: { ...simple, cipherSuites: ["AES128-SHA", "-RC4-MD5", "ALL", ""] } },
    ]),
  ],
  [
    "IGW2503",
    gateway([{ hosts: [host], port: https, tls: { ...simple, cipherSuites: ["AES128-SHA", "AES128-SHA"] } }]),
    [
      [
        "IGW2503",
        "spec.servers[0].tls.cipherSuites[1]",
        'repeats an earlier entry and is ignored (got "AES128-SHA")',
      ],
    ],
    gateway([{ hosts: [host], port: https, tls: { ...simple, cipherSuites: ["AES128-SHA", "AES256-SHA"] } }]),
  ],
  [
    "IGW2504",
    gateway([{ hosts: [host], port: https, tls: { mode: "ISTIO_MUTUAL", credentialName: "gw-cert" } }]),
    [
      [
        "IGW2504",
        "spec.servers[0].tls.credentialName",
        `must not be set when tls.mode is "ISTIO_MUTUAL": the gateway presents Istio's own certificate (got credentialName "gw-cert")`,
      ],
    ],
    gateway([{ hosts: [host], port: https, tls: { mode: "ISTIO_MUTUAL" } }]),
  ],
  [
    "IGW2505",
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "SIMPLE", credentialName: "gw-cert", serverCertificate: crt, privateKey: key },
      },
    ]),
    [
      [
        "IGW2505",
        "spec.servers[0].tls",
        "must use one certificate source: credentialName, credentialNames, serverCertificate with privateKey, or tlsCertificates (got credentialName and serverCertificate with privateKey)",
      ],
    ],
    gateway([
      { hosts: [host], port: https, tls: { mode: "SIMPLE", credentialName: "gw-cert", privateKey: key } },
    ]),
  ],
  [
    "IGW2506",
    gateway([
      { hosts: [host], port: https, tls: { mode: "MUTUAL", serverCertificate: crt, privateKey: key } },
    ]),
    [
      [
        "IGW2506",
        "spec.servers[0].tls.caCertificates",
        'required when tls.mode is "MUTUAL" and credentialName is not set: client certificates are checked against it',
      ],
    ],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "MUTUAL", serverCertificate: crt, privateKey: key, caCertificates: crt },
      },
    ]),
  ],
  [
    "IGW2507",
    gateway([{ hosts: [host], port: https, tls: { mode: "SIMPLE", privateKey: key } }]),
    [
      [
        "IGW2507",
        "spec.servers[0].tls.serverCertificate",
        'required when tls.mode is "SIMPLE" and credentialName is not set',
      ],
    ],
    gateway([
      { hosts: [host], port: https, tls: { mode: "SIMPLE", serverCertificate: crt, privateKey: key } },
    ]),
  ],
  [
    "IGW2508",
    gateway([
      { hosts: [host], port: https, tls: { mode: "SIMPLE", tlsCertificates: [{ serverCertificate: crt }] } },
    ]),
    [
      [
        "IGW2508",
        "spec.servers[0].tls.tlsCertificates[0].privateKey",
        'required when tls.mode is "SIMPLE" and credentialName is not set',
      ],
    ],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "SIMPLE", tlsCertificates: [{ serverCertificate: crt, privateKey: key }] },
      },
    ]),
  ],
  [
    "IGW2509",
    gateway([
      {
        hosts: [host],
        port: https,
        tls: {
          mode: "SIMPLE",
          tlsCertificates: [1, 2, 3].map((n) => ({ serverCertificate: `/c${n}`, privateKey: `/k${n}` })),
        },
      },
    ]),
    [["IGW2509", "spec.servers[0].tls.tlsCertificates", "must list at most 2 certificates (got 3)"]],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: {
          mode: "SIMPLE",
          tlsCertificates: [1, 2].map((n) => ({ serverCertificate: `/c${n}`, privateKey: `/k${n}` })),
        },
      },
    ]),
  ],
  [
    "IGW2510",
    gateway([{ hosts: [host], port: https, tls: { mode: "PASSTHROUGH", credentialName: "gw-cert" } }]),
    [
      [
        "IGW2510",
        "spec.servers[0].tls",
        'certificates are ignored when tls.mode is "PASSTHROUGH": TLS is not terminated (got credentialName "gw-cert")',
      ],
    ],
    gateway([{ hosts: [host], port: https, tls: { mode: "PASSTHROUGH" } }]),
  ],
  [
    "IGW2511",
    gateway([{ hosts: [host], port: https, tls: { credentialName: "gw-cert" } }]),
    [
      [
        "IGW2511",
        "spec.servers[0].tls.mode",
        'must be set to terminate TLS with these certificates (usually to "SIMPLE"): unset, it means "PASSTHROUGH", which forwards TLS untouched, ignores the certificates and never applies http routes (got credentialName "gw-cert" with port.protocol "HTTPS")',
      ],
    ],
    gateway([{ hosts: [host], port: https, tls: {} }]),
  ],
  [
    "IGW2512",
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "AUTO_PASSTHROUGH", credentialName: "gw-cert", caCrl: "/etc/crl.pem" },
      },
    ]),
    [
      [
        "IGW2510",
        "spec.servers[0].tls",
        'certificates are ignored when tls.mode is "AUTO_PASSTHROUGH": TLS is not terminated (got caCrl "/etc/crl.pem", credentialName "gw-cert")',
      ],
      [
        "IGW2512",
        "spec.servers[0].tls.caCrl",
        `must not be set with tls.credentialName: put the CRL in the credential's Secret (got "/etc/crl.pem")`,
      ],
    ],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "SIMPLE", credentialName: "gw-cert", caCrl: "/etc/crl.pem" },
      },
    ]),
  ],
  [
    "IGW2513",
    gateway([
      {
        hosts: [host],
        port: https,
        tls: { mode: "SIMPLE", serverCertificate: crt, privateKey: key, caCrl: "/etc/crl.pem" },
      },
    ]),
    [
      [
        "IGW2513",
        "spec.servers[0].tls.caCrl",
        'must not be set when tls.mode is "SIMPLE": a CRL only checks client certificates (got "/etc/crl.pem")',
      ],
    ],
    gateway([
      {
        hosts: [host],
        port: https,
        tls: {
          mode: "MUTUAL",
          serverCertificate: crt,
          privateKey: key,
          caCertificates: crt,
          caCrl: "/etc/crl.pem",
        },
      },
    ]),
  ],
];

const tuples = (g: Gateway, strict = false): Array<[string, string, string]> =>
  validateGateway(g, { strict }).map((i) => [i.code, i.path, i.message]);

describe("Gateway rules", () => {
  for (const [code, failing, findings, passing] of cases) {
    it(`${code} fails`, () => assert.deepEqual(tuples(failing), findings));
    it(`${code} passes`, () => assert.deepEqual(tuples(passing), []));
  }

  it("covers every code of the Gateway and metadata tables", () => {
    const all = [...Object.keys(metadataCodes), ...Object.keys(gatewayCodes)];
    assert.deepEqual(
      cases.map(([code]) => code),
      all,
    );
  });
});

describe("severities and Istio codes", () => {
  it("reports errors as IST0106 and warnings as IST0133", () => {
    const issues = validateGateway(
      gateway([
        { hosts: ["reviews"], port: https, tls: { ...simple, httpsRedirect: true } },
        { hosts: [host], port: { ...https, name: "other" }, tls: { credentialName: "gw-cert" } },
      ]),
    );
    assert.deepEqual(
      issues.map((i) => [i.code, i.severity, i.istioCode]),
      [
        ["IGW2104", "error", "IST0106"],
        ["IGW2404", "warning", "IST0133"],
        ["IGW2511", "warning", "IST0133"],
      ],
    );
  });

  it("reports the strict warning IGW2511 as an error under strict, and only it", () => {
    const g = gateway([
      { hosts: [host], port: https, tls: { credentialName: "gw-cert" } },
      {
        hosts: [host],
        port: { ...https, name: "b" },
        tls: { mode: "PASSTHROUGH", credentialName: "gw-cert" },
      },
    ]);
    assert.deepEqual(
      validateGateway(g, { strict: true }).map((i) => [i.code, i.severity]),
      [
        ["IGW2511", "error"],
        ["IGW2510", "warning"],
      ],
    );
  });

  it("keeps IGW2510 for a tls block without mode on an HTTP server (a redirect: nothing breaks)", () => {
    assert.deepEqual(
      tuples(gateway([{ hosts: [host], port: http, tls: { httpsRedirect: true, credentialName: "c" } }])),
      [
        [
          "IGW2510",
          "spec.servers[0].tls",
          'certificates are ignored when tls.mode is "PASSTHROUGH": TLS is not terminated (got credentialName "c")',
        ],
      ],
    );
  });

  it("gives the resource as istioctl names it", () => {
    const [issue] = validateGateway(gateway([], { name: "gw", namespace: "istio-system" }));
    assert.deepEqual(issue?.resource, { kind: "Gateway", namespace: "istio-system", name: "gw" });
  });
});

describe("defensive on odd values", () => {
  const odd: unknown[] = [
    undefined,
    null,
    {},
    { spec: null },
    { spec: { servers: "x" } },
    { metadata: "x", spec: { servers: [1, "x", [], { hosts: "x", port: "x", tls: "x", bind: 7 }] } },
    {
      spec: {
        servers: [{ hosts: [7, null], port: { number: "80", protocol: 5, name: 3, targetPort: "1" } }],
      },
    },
    {
      spec: {
        servers: [
          {
            hosts: [host],
            port: https,
            tls: {
              mode: "SIMPLE",
              cipherSuites: "x",
              tlsCertificates: [null, 3],
              credentialNames: "x",
              caCrl: 1,
            },
          },
          { hosts: [host], port: https, tls: { mode: "BOGUS", cipherSuites: [null, 1, "é"] } },
        ],
      },
    },
  ];
  odd.forEach((value, i) => {
    it(`never throws (${i})`, () => {
      const issues = validateGateway(value as Gateway);
      assert.ok(issues.length > 0);
    });
  });

  it("reports odd values as findings", () => {
    assert.deepEqual(
      tuples({
        kind: "Gateway",
        metadata: { name: "gw" },
        spec: { servers: [{ hosts: [7], port: { number: "80", protocol: "HTTP", name: "h" } }] },
      } as unknown as Gateway),
      [
        ["IGW2105", "spec.servers[0].hosts[0]", "must be a host name (got 7)"],
        ["IGW2203", "spec.servers[0].port.number", 'must be an integer from 1 to 65535 (got "80")'],
      ],
    );
  });
});
