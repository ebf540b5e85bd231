// The classes of error a component rejects at preview, each with the Args that show it. Shared by
// the preview and update suites (the verdict must not depend on the mode) and the construct suite.
import type { GatewayArgs, VirtualServiceArgs } from "../../provider/src/components";
import { Gateway, VirtualService } from "../../provider/src/components";

/** A Gateway server on 443 terminating TLS for `hosts` with the Secret `cred`. */
export function httpsServer(hosts: string[], tls: object = { mode: "SIMPLE", credentialName: "cred" }) {
  return { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls };
}

/** One error case: the component, its Args, and the exact InputPropertiesError it must throw. */
export interface ErrorCase {
  why: string;
  kind: "Gateway" | "VirtualService";
  name: string;
  args: GatewayArgs | VirtualServiceArgs;
  /** `propertyPath: reason` of every error, in order. */
  errors: string[];
}

export const singleResourceCases: ErrorCase[] = [
  {
    why: "TLS SIMPLE: no certificate source",
    kind: "Gateway",
    name: "tls-simple",
    args: { spec: { servers: [httpsServer(["a.example.com"], { mode: "SIMPLE" })] } },
    errors: [
      'spec.servers[0].tls.serverCertificate: required when tls.mode is "SIMPLE" and credentialName is not set',
      'spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set',
    ],
  },
  {
    why: "TLS MUTUAL: file certificate without CA",
    kind: "Gateway",
    name: "tls-mutual",
    args: {
      spec: {
        servers: [
          httpsServer(["a.example.com"], {
            mode: "MUTUAL",
            serverCertificate: "/etc/cert.pem",
            privateKey: "/etc/key.pem",
          }),
        ],
      },
    },
    errors: [
      'spec.servers[0].tls.caCertificates: required when tls.mode is "MUTUAL" and credentialName is not set: client certificates are checked against it',
    ],
  },
  {
    why: "TLS ISTIO_MUTUAL: a credential is not allowed",
    kind: "Gateway",
    name: "tls-istio-mutual",
    args: {
      spec: { servers: [httpsServer(["a.example.com"], { mode: "ISTIO_MUTUAL", credentialName: "cred" })] },
    },
    errors: [
      'spec.servers[0].tls.credentialName: must not be set when tls.mode is "ISTIO_MUTUAL": the gateway presents Istio\'s own certificate (got credentialName "cred")',
    ],
  },
  {
    why: "TLS: an HTTPS server without tls",
    kind: "Gateway",
    name: "tls-missing",
    args: {
      spec: {
        servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.example.com"] }],
      },
    },
    errors: ['spec.servers[0].tls: required when port.protocol is "HTTPS"'],
  },
  {
    why: "TLS: mode omitted with a credential (silently PASSTHROUGH)",
    kind: "Gateway",
    name: "tls-mode-omitted",
    args: { spec: { servers: [httpsServer(["a.example.com"], { credentialName: "cred" })] } },
    errors: [
      'spec.servers[0].tls.mode: must be set to terminate TLS with these certificates (usually to "SIMPLE"): unset, it means "PASSTHROUGH", which forwards TLS untouched, ignores the certificates and never applies http routes (got credentialName "cred" with port.protocol "HTTPS")',
    ],
  },
  {
    why: "TLS: a certificate mode on an HTTP port",
    kind: "Gateway",
    name: "tls-on-http",
    args: {
      spec: {
        servers: [
          {
            port: { number: 80, name: "http", protocol: "HTTP" },
            hosts: ["a.example.com"],
            tls: { mode: "SIMPLE", credentialName: "cred" },
          },
        ],
      },
    },
    errors: [
      'spec.servers[0].tls: may only set httpsRedirect when port.protocol is "HTTP": to terminate TLS use protocol "HTTPS" (got mode "SIMPLE")',
    ],
  },
  {
    why: "host syntax: a wildcard that is not the first label",
    kind: "Gateway",
    name: "host-wildcard",
    args: { spec: { servers: [httpsServer(["api.*.example.com"])] } },
    errors: [
      'spec.servers[0].hosts[0]: each label must be 1 to 63 letters, digits or "-", not starting or ending with "-" (got "*" in "api.*.example.com")',
      'spec.servers[0].hosts[0]: a wildcard must be the whole host or its whole first label, as in "*.example.com" (got "api.*.example.com")',
    ],
  },
  {
    why: "host syntax: an invalid namespace prefix",
    kind: "Gateway",
    name: "host-namespace",
    args: { spec: { servers: [httpsServer(["Bad_NS/a.example.com"])] } },
    errors: [
      'spec.servers[0].hosts[0]: namespace must be "*", "." or a DNS-1123 label (got "Bad_NS" in "Bad_NS/a.example.com")',
    ],
  },
  {
    why: "ports: out of range, and two servers with one port name",
    kind: "Gateway",
    name: "ports",
    args: {
      spec: {
        servers: [
          { port: { number: 70000, name: "http", protocol: "HTTP" }, hosts: ["a.example.com"] },
          { port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["b.example.com"] },
        ],
      },
    },
    errors: [
      "spec.servers[0].port.number: must be an integer from 1 to 65535 (got 70000)",
      'spec.servers[1].port.name: must be unique across servers: spec.servers[0].port.name has the same name (got "http")',
    ],
  },
  {
    why: "VirtualService host syntax and a route without destination host",
    kind: "VirtualService",
    name: "vs-hosts",
    args: {
      spec: {
        hosts: ["a.example.com", "bad host"],
        gateways: ["istio-system/undeclared"],
        http: [{ route: [{ destination: { host: "*" } }] }],
      },
    },
    errors: [
      'spec.hosts[1]: first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-" (got "bad host" in "bad host")',
      'spec.http[0].route[0].destination.host: must name a service, not "*" (got "*")',
    ],
  },
];

/** The house-style message of an InputPropertiesError with these `path: reason` lines. */
export function expectedMessage(kind: string, name: string, errors: string[]): string {
  const n = errors.length;
  return [
    `${kind} ${JSON.stringify(name)} has ${n} invalid ${n === 1 ? "property" : "properties"}:`,
    ...errors.map((e) => `  ${e}`),
  ].join("\n");
}

/** Constructs the case's component. */
export function construct(c: Pick<ErrorCase, "kind" | "name" | "args">): Gateway | VirtualService {
  return c.kind === "Gateway"
    ? new Gateway(c.name, c.args as GatewayArgs)
    : new VirtualService(c.name, c.args as VirtualServiceArgs);
}
