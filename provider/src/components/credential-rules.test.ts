import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GatewaySpec } from "../istio/model";
import { validateCredentials } from "./credential-rules";
import type { TLSCredential } from "./tls-credential";

const ref = { kind: "Gateway", namespace: "istio-system", name: "gw" };
const PEM = { certificate: "CERT", privateKey: "KEY" };

function server(tls: object): GatewaySpec {
  return {
    servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.example.com"], tls }],
  };
}

/** [why, spec (undefined: not known yet), credentials, expected `path: message` lines with severity]. */
const cases: Array<[string, GatewaySpec | undefined, TLSCredential[], string[]]> = [
  [
    "a SIMPLE server with its certificate and key",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [{ name: "c", ...PEM }],
    [],
  ],
  [
    "a MUTUAL server with the CA in the same Secret",
    server({ mode: "MUTUAL", credentialName: "c" }),
    [{ name: "c", ...PEM, caCertificates: "CA" }],
    [],
  ],
  [
    "a MUTUAL server with the CA in the companion Secret",
    server({ mode: "MUTUAL", credentialName: "c" }),
    [{ name: "c", ...PEM, caCertificates: "CA", separateCaSecret: true }],
    [],
  ],
  [
    "a certificate without its key",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [{ name: "c", certificate: "CERT" }],
    ["error IGW7001 credentials[0].privateKey: required when certificate is set"],
  ],
  [
    "a key without its certificate",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [{ name: "c", privateKey: "KEY" }],
    ["error IGW7001 credentials[0].certificate: required when privateKey is set"],
  ],
  [
    "no content at all",
    undefined,
    [{ name: "c" }],
    ["error IGW7002 credentials[0]: must give certificate and privateKey, caCertificates, or both"],
  ],
  [
    "two credentials for one Secret",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [
      { name: "c", ...PEM },
      { name: "c", ...PEM },
    ],
    [
      'error IGW7003 credentials[1].name: must differ from credentials[0].name in the same namespace (got "c")',
    ],
  ],
  [
    "a SIMPLE server naming a CA-only credential",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [{ name: "c", caCertificates: "CA" }],
    [
      'error IGW7004 credentials[0].certificate: required when spec.servers[0].tls names this credential with mode "SIMPLE"',
    ],
  ],
  [
    "a MUTUAL server naming a credential without CA",
    server({ mode: "MUTUAL", credentialName: "c" }),
    [{ name: "c", ...PEM }],
    [
      'error IGW7005 credentials[0].caCertificates: required when spec.servers[0].tls names this credential with mode "MUTUAL" and no caCertCredentialName',
    ],
  ],
  [
    "a MUTUAL server whose CA comes from caCertCredentialName",
    server({ mode: "MUTUAL", credentialName: "c", caCertCredentialName: "ca" }),
    [
      { name: "c", ...PEM },
      { name: "ca", caCertificates: "CA" },
    ],
    [],
  ],
  [
    "separateCaSecret without a CA",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [{ name: "c", ...PEM, separateCaSecret: true }],
    ["error IGW7006 credentials[0].caCertificates: required when separateCaSecret is true"],
  ],
  [
    "a credential no server names",
    server({ mode: "SIMPLE", credentialName: "c" }),
    [
      { name: "c", ...PEM },
      { name: "other", ...PEM },
    ],
    [
      `warning IGW7007 credentials[1].name: no server's tls.credentialName, credentialNames or caCertCredentialName names it (got "other")`,
    ],
  ],
  [
    "servers naming credentials as kubernetes://name and kubernetes://namespace/name",
    server({
      mode: "MUTUAL",
      credentialName: "kubernetes://c",
      caCertCredentialName: "kubernetes://istio-system/ca",
    }),
    [
      { name: "c", ...PEM },
      { name: "ca", namespace: "istio-system", caCertificates: "CA" },
    ],
    [],
  ],
  ["servers not known yet: only the credentials' own rules", undefined, [{ name: "other", ...PEM }], []],
];

describe("validateCredentials", () => {
  for (const [why, spec, credentials, expected] of cases) {
    it(why, () => {
      const lines = validateCredentials(ref, spec, credentials).map(
        (i) => `${i.severity} ${i.code} ${i.path}: ${i.message}`,
      );
      assert.deepEqual(lines, expected);
    });
  }
});
