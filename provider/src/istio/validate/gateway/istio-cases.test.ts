// Istio's own Gateway webhook test tables (pkg/config/validation/validation_test.go:
// TestValidateGateway, TestValidateK8sGateway, TestValidateServer, TestValidateServerPort,
// TestValidateTlsOptions, and the metadata cases), re-stated in our model's shape. Each case asserts
// Istio's verdict — an error or not, a warning or not — over the findings in the scope of the Istio
// function the case exercises, and that our code for Istio's expected message is among them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Gateway } from "../../model";
import type { Issue } from "../issue";
import { validateMetadata } from "../metadata";
import type { GatewayCode } from "./codes";
import { validateObject } from "../index";

/** Which findings the Istio function under test can produce. */
type Scope = "gateway" | "server" | "port" | "tls";

const inScope: Record<Scope, (code: string) => boolean> = {
  gateway: () => true,
  // validateServer: everything per server; duplicate port names and httpsRedirect are ValidateGateway's.
  server: (c) => c.startsWith("IGW2") && c !== "IGW2206" && c !== "IGW2404" && !c.startsWith("IGW20"),
  // validateServerPort.
  port: (c) => ["IGW2201", "IGW2202", "IGW2203", "IGW2204", "IGW2205"].includes(c),
  // validateTLSOptions.
  tls: (c) => c.startsWith("IGW25"),
};

interface Case {
  name: string;
  scope: Scope;
  /** `spec` for the gateway scope; a server for server scope; a port (+ bind) or tls block otherwise. */
  input: Record<string, unknown>;
  bind?: string;
  annotations?: Record<string, string>;
  /** Istio reports an error. */
  error: boolean;
  /** Istio reports a warning. */
  warning: boolean;
  /** Our codes for the messages Istio's case expects. */
  codes: GatewayCode[];
}

function gatewayOf(c: Case): Gateway {
  let spec: Record<string, unknown>;
  switch (c.scope) {
    case "gateway":
      spec = c.input;
      break;
    case "server":
      spec = { servers: [c.input] };
      break;
    case "port":
      spec = {
        servers: [
          { hosts: ["foo.bar.com"], port: c.input, ...(c.bind === undefined ? {} : { bind: c.bind }) },
        ],
      };
      break;
    case "tls":
      spec = {
        servers: [
          { hosts: ["foo.bar.com"], port: { number: 443, name: "https", protocol: "HTTPS" }, tls: c.input },
        ],
      };
      break;
  }
  const metadata = {
    name: "foo",
    namespace: "bar",
    ...(c.annotations ? { annotations: c.annotations } : {}),
  };
  return { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata, spec } as unknown as Gateway;
}

function verdictOf(issues: readonly Issue[]): { error: boolean; warning: boolean } {
  return {
    error: issues.some((i) => i.severity === "error"),
    warning: issues.some((i) => i.severity === "warning"),
  };
}

const http7 = { number: 7, name: "http", protocol: "http" };
const cert = "Captain Jean-Luc Picard";
const key = "Khan Noonien Singh";
const ca = "Commander William T. Riker";

const cases: Case[] = [
  // TestValidateGateway
  {
    name: "TestValidateGateway/empty",
    scope: "gateway",
    input: {},
    error: true,
    warning: false,
    codes: ["IGW2001"],
  },
  {
    name: "TestValidateGateway/happy domain",
    scope: "gateway",
    input: { servers: [{ hosts: ["foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }] },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateGateway/happy multiple servers",
    scope: "gateway",
    input: { servers: [{ hosts: ["foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }] },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateGateway/happy k8s gateway-api server with no attached routes",
    scope: "gateway",
    input: { servers: [{ hosts: ["~/foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }] },
    error: true,
    warning: false,
    codes: ["IGW2103"],
  },
  {
    name: "TestValidateGateway/invalid port",
    scope: "gateway",
    input: {
      servers: [{ hosts: ["foo.bar.com"], port: { name: "name1", number: 66000, protocol: "http" } }],
    },
    error: true,
    warning: false,
    codes: ["IGW2203"],
  },
  {
    name: "TestValidateGateway/duplicate port names",
    scope: "gateway",
    input: {
      servers: [
        { hosts: ["foo.bar.com"], port: { name: "foo", number: 80, protocol: "http" } },
        { hosts: ["scooby.doo.com"], port: { name: "foo", number: 8080, protocol: "http" } },
      ],
    },
    error: true,
    warning: false,
    codes: ["IGW2206"],
  },
  {
    name: "TestValidateGateway/invalid domain",
    scope: "gateway",
    input: { servers: [{ hosts: ["foo.*.bar.com"], port: { number: 7, protocol: "http" } }] },
    error: true,
    warning: false,
    codes: ["IGW2105"],
  },
  {
    name: "TestValidateGateway/valid httpsRedirect",
    scope: "gateway",
    input: {
      servers: [
        {
          hosts: ["bar.com"],
          port: { name: "http", number: 80, protocol: "http" },
          tls: { httpsRedirect: true },
        },
      ],
    },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateGateway/invalid https httpsRedirect",
    scope: "gateway",
    input: {
      servers: [
        {
          hosts: ["bar.com"],
          port: { name: "https", number: 80, protocol: "https" },
          tls: { httpsRedirect: true },
        },
      ],
    },
    error: false,
    warning: true,
    codes: ["IGW2404"],
  },
  {
    name: "TestValidateGateway/invalid partial wildcard",
    scope: "gateway",
    input: {
      servers: [
        {
          hosts: ["*bar.com"],
          port: { name: "tls", number: 443, protocol: "tls" },
          tls: { mode: "ISTIO_MUTUAL" },
        },
      ],
    },
    error: true,
    warning: false,
    codes: ["IGW2106"],
  },
  // TestValidateK8sGateway
  {
    name: "TestValidateK8sGateway/happy k8s gateway-api server with no attached routes",
    scope: "gateway",
    input: { servers: [{ hosts: ["~/foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }] },
    annotations: { "internal.istio.io/gateway-semantics": "gateway" },
    error: false,
    warning: false,
    codes: [],
  },
  // TestValidateServer
  {
    name: "TestValidateServer/empty (host)",
    scope: "server",
    input: {},
    error: true,
    warning: false,
    codes: ["IGW2101"],
  },
  {
    name: "TestValidateServer/empty (port)",
    scope: "server",
    input: {},
    error: true,
    warning: false,
    codes: ["IGW2201"],
  },
  ...(
    [
      ["happy", "foo.bar.com", []],
      ["happy ip", "1.1.1.1", []],
      ["happy ns/name", "ns1/foo.bar.com", []],
      ["happy */name", "*/foo.bar.com", []],
      ["happy ./name", "./foo.bar.com", []],
      ["invalid ~/name", "~/foo.bar.com", ["IGW2103"]],
      ["invalid domain ns/name format", "ns1/foo.*.bar.com", ["IGW2105"]],
      ["invalid domain", "foo.*.bar.com", ["IGW2105"]],
      ["invalid short name host", "foo", ["IGW2104"]],
    ] as Array<[string, string, GatewayCode[]]>
  ).map(([name, host, codes]): Case => ({
    name: `TestValidateServer/${name}`,
    scope: "server",
    input: { hosts: [host], port: http7 },
    error: codes.length > 0,
    warning: false,
    codes,
  })),
  {
    name: "TestValidateServer/invalid port",
    scope: "server",
    input: { hosts: ["foo.bar.com"], port: { number: 66000, name: "http", protocol: "http" } },
    error: true,
    warning: false,
    codes: ["IGW2203"],
  },
  {
    name: "TestValidateServer/invalid tls options",
    scope: "server",
    input: {
      hosts: ["foo.bar.com"],
      port: { number: 1, name: "http", protocol: "http" },
      tls: { mode: "SIMPLE" },
    },
    error: true,
    warning: false,
    codes: ["IGW2402", "IGW2507", "IGW2508"],
  },
  {
    name: "TestValidateServer/no tls on HTTPS",
    scope: "server",
    input: { hosts: ["foo.bar.com"], port: { number: 10000, name: "https", protocol: "https" } },
    error: true,
    warning: false,
    codes: ["IGW2401"],
  },
  {
    name: "TestValidateServer/tls on HTTP",
    scope: "server",
    input: {
      hosts: ["foo.bar.com"],
      port: { number: 10000, name: "http", protocol: "http" },
      tls: { mode: "SIMPLE" },
    },
    error: true,
    warning: false,
    codes: ["IGW2402"],
  },
  {
    name: "TestValidateServer/tls redirect on HTTP",
    scope: "server",
    input: {
      hosts: ["foo.bar.com"],
      port: { number: 10000, name: "http", protocol: "http" },
      tls: { httpsRedirect: true },
    },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateServer/bind ip",
    scope: "server",
    input: { hosts: ["foo.bar.com"], port: http7, bind: "127.0.0.1" },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateServer/bind unix path with invalid port",
    scope: "server",
    input: { hosts: ["foo.bar.com"], port: http7, bind: "unix://@foobar" },
    error: true,
    warning: false,
    codes: ["IGW2302"],
  },
  {
    name: "TestValidateServer/bind unix path",
    scope: "server",
    input: {
      hosts: ["foo.bar.com"],
      port: { number: 0, name: "http", protocol: "http" },
      bind: "unix://@foobar",
    },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateServer/bind bad ip",
    scope: "server",
    input: { hosts: ["foo.bar.com"], port: { number: 0, name: "http", protocol: "http" }, bind: "foo.bar" },
    error: true,
    warning: false,
    codes: ["IGW2303"],
  },
  // TestValidateServerPort
  {
    name: "TestValidateServerPort/empty (protocol)",
    scope: "port",
    input: {},
    error: true,
    warning: false,
    codes: ["IGW2202"],
  },
  {
    name: "TestValidateServerPort/empty (name)",
    scope: "port",
    input: {},
    error: true,
    warning: false,
    codes: ["IGW2205"],
  },
  {
    name: "TestValidateServerPort/happy",
    scope: "port",
    input: { protocol: "http", number: 1, name: "Henry" },
    error: false,
    warning: false,
    codes: [],
  },
  {
    name: "TestValidateServerPort/invalid protocol",
    scope: "port",
    input: { protocol: "kafka", number: 1, name: "Henry" },
    error: true,
    warning: false,
    codes: ["IGW2202"],
  },
  {
    name: "TestValidateServerPort/invalid number",
    scope: "port",
    input: { protocol: "http", number: 2 ** 30, name: "http" },
    error: true,
    warning: false,
    codes: ["IGW2203"],
  },
  {
    name: "TestValidateServerPort/name, no number",
    scope: "port",
    input: { protocol: "http", number: 0, name: "Henry" },
    error: true,
    warning: false,
    codes: ["IGW2203"],
  },
  {
    name: "TestValidateServerPort/name, no number, uds",
    scope: "port",
    input: { protocol: "http", number: 0, name: "Henry" },
    bind: "uds:///tmp",
    error: true,
    warning: false,
    codes: ["IGW2203"],
  },
  // TestValidatePort (agent/validation_test.go), through the server port number
  ...([0, 65536, -1, 100, 1000, 65535] as const).map((n): Case => ({
    name: `TestValidatePort/${n}`,
    scope: "port",
    input: { protocol: "http", number: n, name: "http" },
    error: n < 1 || n > 65535,
    warning: false,
    codes: n < 1 || n > 65535 ? ["IGW2203"] : [],
  })),
  // TestValidateTlsOptions
  ...(
    [
      ["empty", {}, false, false, []],
      ["simple", { mode: "SIMPLE", serverCertificate: cert, privateKey: key }, false, false, []],
      [
        "simple with client bundle",
        { mode: "SIMPLE", serverCertificate: cert, privateKey: key, caCertificates: ca },
        false,
        false,
        [],
      ],
      ["simple sds with client bundle", { mode: "SIMPLE", credentialName: "sds-name" }, false, false, []],
      [
        "simple sds with client bundle but with server cert",
        { mode: "SIMPLE", serverCertificate: cert, privateKey: key, credentialName: "sds-name" },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "simple no server cert",
        { mode: "SIMPLE", serverCertificate: "", privateKey: key },
        true,
        false,
        ["IGW2507"],
      ],
      [
        "simple no private key",
        { mode: "SIMPLE", serverCertificate: cert, privateKey: "" },
        true,
        false,
        ["IGW2508"],
      ],
      [
        "simple more than 2 certs",
        {
          mode: "SIMPLE",
          tlsCertificates: [
            { serverCertificate: cert, privateKey: key },
            { serverCertificate: ca, privateKey: ca },
            { serverCertificate: "Lieutenant Commander Data", privateKey: "Lieutenant Commander Data" },
          ],
        },
        false,
        true,
        ["IGW2509"],
      ],
      [
        "simple with both server cert and tls certs",
        {
          mode: "SIMPLE",
          serverCertificate: cert,
          privateKey: key,
          tlsCertificates: [
            { serverCertificate: cert, privateKey: key },
            { serverCertificate: "Lieutenant Commander Data", privateKey: "Lieutenant Commander Data" },
          ],
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "simple 2 certs with missing certificate",
        { mode: "SIMPLE", tlsCertificates: [{ privateKey: ca }, { serverCertificate: ca, privateKey: ca }] },
        true,
        false,
        ["IGW2507"],
      ],
      [
        "simple 2 certs with missing private key",
        {
          mode: "SIMPLE",
          tlsCertificates: [{ serverCertificate: cert }, { serverCertificate: ca, privateKey: ca }],
        },
        true,
        false,
        ["IGW2508"],
      ],
      [
        "simple sds no server cert",
        { mode: "SIMPLE", serverCertificate: "", privateKey: key, credentialName: "sds-name" },
        false,
        false,
        [],
      ],
      [
        "simple sds no private key",
        { mode: "SIMPLE", serverCertificate: cert, privateKey: "", credentialName: "sds-name" },
        false,
        false,
        [],
      ],
      [
        "mutual",
        { mode: "MUTUAL", serverCertificate: cert, privateKey: key, caCertificates: ca },
        false,
        false,
        [],
      ],
      ["mutual sds", { mode: "MUTUAL", caCertificates: ca, credentialName: "sds-name" }, false, false, []],
      [
        "mutual sds with credential name and server cert",
        {
          mode: "MUTUAL",
          serverCertificate: cert,
          privateKey: key,
          caCertificates: ca,
          credentialName: "sds-name",
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "mutual sds with credential name and tls certs",
        {
          mode: "MUTUAL",
          caCertificates: ca,
          tlsCertificates: [{ serverCertificate: cert, privateKey: key }],
          credentialName: "sds-name",
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "mutual no server cert",
        { mode: "MUTUAL", serverCertificate: "", privateKey: key, caCertificates: ca },
        true,
        false,
        ["IGW2507"],
      ],
      [
        "credential names and certificates",
        {
          mode: "MUTUAL",
          serverCertificate: "/etc/istio/certs/server/cert",
          privateKey: "/etc/istio/certs/server/key",
          credentialNames: ["server-certs"],
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "credential names and tls certificates",
        {
          mode: "MUTUAL",
          tlsCertificates: [
            {
              serverCertificate: "/etc/istio/certs/server/cert",
              privateKey: "/etc/istio/certs/server/key",
              caCertificates: "/etc/istio/certs/server/cacert2",
            },
          ],
          credentialNames: ["server-certs"],
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "only tls certificates",
        {
          mode: "MUTUAL",
          tlsCertificates: [
            { serverCertificate: "/etc/istio/certs/server/cert", privateKey: "/etc/istio/certs/server/key" },
          ],
          caCertificates: "/etc/istio/certs/server/cacert2",
        },
        false,
        false,
        [],
      ],
      [
        "mutual sds no server cert",
        {
          mode: "MUTUAL",
          serverCertificate: "",
          privateKey: key,
          caCertificates: ca,
          credentialName: "sds-name",
        },
        false,
        false,
        [],
      ],
      [
        "mutual no client CA bundle",
        { mode: "MUTUAL", serverCertificate: cert, privateKey: key, caCertificates: "" },
        true,
        false,
        ["IGW2506"],
      ],
      ["mutual no certs (server certificate)", { mode: "MUTUAL" }, true, false, ["IGW2507"]],
      ["mutual no certs (private key)", { mode: "MUTUAL" }, true, false, ["IGW2508"]],
      ["mutual no certs (client CA bundle)", { mode: "MUTUAL" }, true, false, ["IGW2506"]],
      [
        "mutual more than 2 certs",
        {
          mode: "MUTUAL",
          caCertificates: ca,
          tlsCertificates: [
            { serverCertificate: cert, privateKey: key },
            { serverCertificate: ca, privateKey: ca },
            { serverCertificate: "Lieutenant Commander Data", privateKey: "Lieutenant Commander Data" },
          ],
        },
        false,
        true,
        ["IGW2509"],
      ],
      [
        "mutual with both server cert and tls certs",
        {
          mode: "MUTUAL",
          serverCertificate: cert,
          privateKey: key,
          caCertificates: ca,
          tlsCertificates: [
            { serverCertificate: cert, privateKey: key },
            { serverCertificate: "Lieutenant Commander Data", privateKey: "Lieutenant Commander Data" },
          ],
        },
        true,
        false,
        ["IGW2505"],
      ],
      [
        "mutual 2 certs with missing certificate",
        {
          mode: "MUTUAL",
          caCertificates: "Lieutenant Commander Data",
          tlsCertificates: [{ privateKey: ca }, { serverCertificate: ca, privateKey: ca }],
        },
        true,
        false,
        ["IGW2507"],
      ],
      [
        "mutual 2 certs with missing private key",
        {
          mode: "MUTUAL",
          caCertificates: "Lieutenant Commander Data",
          tlsCertificates: [{ serverCertificate: cert }, { serverCertificate: ca, privateKey: ca }],
        },
        true,
        false,
        ["IGW2508"],
      ],
      [
        "mutual 2 certs with missing CA certificate",
        {
          mode: "MUTUAL",
          tlsCertificates: [
            { serverCertificate: cert, privateKey: key },
            { serverCertificate: ca, privateKey: ca },
          ],
        },
        true,
        false,
        ["IGW2506"],
      ],
      [
        "optional mutual no certs (server certificate)",
        { mode: "OPTIONAL_MUTUAL" },
        true,
        false,
        ["IGW2507"],
      ],
      ["optional mutual no certs (private key)", { mode: "OPTIONAL_MUTUAL" }, true, false, ["IGW2508"]],
      ["optional mutual no certs (client CA bundle)", { mode: "OPTIONAL_MUTUAL" }, true, false, ["IGW2506"]],
      [
        "pass through sds no certs",
        { mode: "PASSTHROUGH", credentialName: "sds-name" },
        false,
        true,
        ["IGW2510"],
      ],
      ["pass through sds crl", { mode: "PASSTHROUGH", caCrl: "scrl" }, false, true, ["IGW2510"]],
      ["istio_mutual no certs", { mode: "ISTIO_MUTUAL" }, false, false, []],
      [
        "istio_mutual with server cert",
        { mode: "ISTIO_MUTUAL", serverCertificate: cert },
        true,
        false,
        ["IGW2504"],
      ],
      [
        "istio_mutual with client bundle",
        { mode: "ISTIO_MUTUAL", serverCertificate: cert, privateKey: key, caCertificates: ca },
        true,
        false,
        ["IGW2504"],
      ],
      ["istio_mutual with private key", { mode: "ISTIO_MUTUAL", privateKey: key }, true, false, ["IGW2504"]],
      [
        "istio_mutual with credential name",
        { mode: "ISTIO_MUTUAL", credentialName: "some-cred" },
        true,
        false,
        ["IGW2504"],
      ],
      [
        "invalid cipher suites",
        { mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["not-a-cipher-suite"] },
        false,
        true,
        ["IGW2502"],
      ],
      [
        "valid cipher suites",
        { mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["ECDHE-ECDSA-AES128-SHA"] },
        false,
        false,
        [],
      ],
      [
        "cipher suites operations",
        { mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["-ECDHE-ECDSA-AES128-SHA"] },
        false,
        false,
        [],
      ],
      [
        "duplicate cipher suites",
        {
          mode: "SIMPLE",
          credentialName: "sds-name",
          cipherSuites: ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA"],
        },
        false,
        true,
        ["IGW2503"],
      ],
      [
        "invalid cipher suites with invalid config",
        { mode: "SIMPLE", cipherSuites: ["not-a-cipher-suite"] },
        true,
        true,
        ["IGW2508", "IGW2502"],
      ],
      ["crl specified for SIMPLE TLS", { mode: "SIMPLE", caCrl: "crl" }, true, false, ["IGW2513"]],
      [
        "crl specified for CredentialName",
        { mode: "SIMPLE", caCrl: "crl", credentialName: "credential" },
        false,
        false,
        [],
      ],
      [
        "mutual no server cert (MUTUAL TLS)",
        { mode: "MUTUAL", serverCertificate: "", privateKey: key, caCertificates: ca },
        true,
        false,
        ["IGW2507"],
      ],
      [
        "mutual no private key",
        { mode: "MUTUAL", serverCertificate: key, privateKey: "", caCertificates: ca },
        true,
        false,
        ["IGW2508"],
      ],
      [
        "with CredentialNames",
        { mode: "MUTUAL", credentialNames: ["credential1", "credential2"] },
        false,
        false,
        [],
      ],
    ] as Array<[string, Record<string, unknown>, boolean, boolean, GatewayCode[]]>
  ).map(([name, tls, error, warning, codes]): Case => ({
    name: `TestValidateTlsOptions/${name}`,
    scope: "tls",
    input: tls,
    error,
    warning,
    codes,
  })),
];

/**
 * Cases where we answer differently from Istio's webhook on purpose: Istio's CRD schema (which
 * the API server, and our shape layer, apply before the webhook) already rejects the input.
 */
const deliberate: Record<string, { error: boolean; warning: boolean; why: string }> = {
  "TestValidateTlsOptions/simple more than 2 certs": {
    error: true,
    warning: false,
    why: "Istio's CRD allows at most 2 tlsCertificates, so the webhook's warning is never reached",
  },
  "TestValidateTlsOptions/mutual more than 2 certs": {
    error: true,
    warning: false,
    why: "Istio's CRD allows at most 2 tlsCertificates, so the webhook's warning is never reached",
  },
};

describe("Istio's Gateway webhook cases", () => {
  for (const c of cases) {
    it(c.name, () => {
      // Through the shape layer too, as the command line reads a case; shape findings are in every scope.
      const issues = validateObject(JSON.parse(JSON.stringify(gatewayOf(c)))).issues.filter(
        (i) => i.code.startsWith("IGW10") || inScope[c.scope](i.code),
      );
      const why = JSON.stringify(issues.map((i) => `${i.code} ${i.path}: ${i.message}`));
      const expected = deliberate[c.name] ?? { error: c.error, warning: c.warning };
      assert.deepEqual(verdictOf(issues), { error: expected.error, warning: expected.warning }, why);
      // A wrong shape stops validation before the kind's rules, as the API server stops before the
      // webhook: then only the verdict can agree, not the code.
      if (issues.some((i) => i.code.startsWith("IGW10"))) return;
      const codes = new Set(issues.map((i) => i.code));
      assert.deepEqual(
        c.codes.filter((code) => !codes.has(code)),
        [],
        why,
      );
    });
  }

  it("every deliberate disagreement names a case", () => {
    const names = new Set(cases.map((c) => c.name));
    assert.deepEqual(
      Object.keys(deliberate).filter((n) => !names.has(n)),
      [],
    );
  });
});

describe("Istio's metadata cases", () => {
  const metadataCases: Array<[string, Record<string, unknown>, boolean]> = [
    // TestValidateRequestAuthentication/dry run annotation not supported
    [
      "dry run annotation not supported",
      {
        kind: "RequestAuthentication",
        metadata: { name: "foo", annotations: { "istio.io/dry-run": "true" } },
      },
      true,
    ],
    // TestValidateAuthorizationPolicy/dry-run-valid-allow (the annotation itself is allowed there)
    [
      "dry-run-valid-allow",
      { kind: "AuthorizationPolicy", metadata: { name: "foo", annotations: { "istio.io/dry-run": "true" } } },
      false,
    ],
    // TestValidateGateway runs with the name "foo"
    ["gateway name someName", { kind: "Gateway", metadata: { name: "foo" } }, false],
  ];
  for (const [name, resource, error] of metadataCases) {
    it(name, () =>
      assert.equal(
        validateMetadata(resource).some((i) => i.severity === "error"),
        error,
      ),
    );
  }
});
