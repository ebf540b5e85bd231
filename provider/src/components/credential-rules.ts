/**
 * Rules about the `credentials` input of a Gateway: each credential must make a usable Secret,
 * and the servers that name it must find in it what their TLS mode needs. Istio cannot check
 * these (it only sees the Secret once it exists); the component can, before anything is applied.
 */
import type { GatewaySpec } from "../istio/model";
import { TLSmode } from "../istio/model";
import type { Issue, ResourceRef } from "../istio/validate/issue";
import { defineCodes, Reporter } from "../istio/validate/issue";
import { pathOf } from "../istio/validate/path";
import { parseCredentialName } from "../istio/translate/credential-name";
import type { TLSCredential } from "./tls-credential";

/** Codes of the credential rules (the components' range, IGW7000-7099). */
export const credentialCodes = defineCodes({
  IGW7001: {
    severity: "error",
    summary: "a credential gives a certificate without its private key, or a key without its certificate",
  },
  IGW7002: { severity: "error", summary: "a credential gives no certificate, key or CA content" },
  IGW7003: { severity: "error", summary: "two credentials create the same Secret" },
  IGW7004: {
    severity: "error",
    summary: "a server that terminates TLS names a credential without a certificate",
  },
  IGW7005: { severity: "error", summary: "a MUTUAL server names a credential without a CA bundle" },
  IGW7006: { severity: "error", summary: "separateCaSecret is set without caCertificates" },
  IGW7007: { severity: "warning", summary: "no server names a credential, so its Secret is never read" },
});

/**
 * Whether a server's `credentialName` names the credential `name` of `namespace` ("" when the
 * gateway pods' namespace): `name`, `kubernetes://name`, or `kubernetes://namespace/name`, as
 * Istio resolves them.
 */
function namesCredential(credentialName: string, name: string, namespace: string): boolean {
  const ref = parseCredentialName(credentialName, namespace);
  return ref.kind === "secret" && ref.name === name && (namespace === "" || ref.namespace === namespace);
}

/** The modes that terminate TLS with the server's own certificate. */
const terminating: ReadonlySet<string> = new Set([TLSmode.SIMPLE, TLSmode.MUTUAL, TLSmode.OPTIONAL_MUTUAL]);

/**
 * Checks `credentials` against themselves and, when `spec` is given (fully known), against its
 * servers. Credentials may be partial: fields not known yet are absent, and the caller drops the
 * findings an unknown could change.
 */
export function validateCredentials(
  ref: ResourceRef,
  spec: GatewaySpec | undefined,
  credentials: readonly (TLSCredential | undefined)[],
): Issue[] {
  const reporter = new Reporter(ref, credentialCodes);
  const servers = spec?.servers ?? [];
  const seen = new Map<string, number>();
  credentials.forEach((credential, i) => {
    if (credential === undefined) return;
    const at = (field: string) => pathOf("credentials", i, field);
    const name = typeof credential.name === "string" ? credential.name : undefined;
    const hasCert = credential.certificate !== undefined;
    const hasKey = credential.privateKey !== undefined;
    const hasCa = credential.caCertificates !== undefined;
    if (hasCert && !hasKey) reporter.report("IGW7001", at("privateKey"), "required when certificate is set");
    if (hasKey && !hasCert) reporter.report("IGW7001", at("certificate"), "required when privateKey is set");
    if (!hasCert && !hasKey && !hasCa && credential.caCrl === undefined) {
      reporter.report(
        "IGW7002",
        pathOf("credentials", i),
        "must give certificate and privateKey, caCertificates, or both",
      );
    }
    if (credential.separateCaSecret === true && !hasCa) {
      reporter.report("IGW7006", at("caCertificates"), "required when separateCaSecret is true");
    }
    if (name === undefined) return;
    const namespace = typeof credential.namespace === "string" ? credential.namespace : "";
    const key = `${namespace}/${name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      reporter.report(
        "IGW7003",
        at("name"),
        `must differ from credentials[${first}].name in the same namespace (got ${JSON.stringify(name)})`,
      );
    } else seen.set(key, i);

    let used = false;
    servers.forEach((server, s) => {
      const tls = server?.tls;
      if (tls === undefined) return;
      const names = [tls.credentialName, ...(tls.credentialNames ?? [])];
      const namesIt = (n: string | undefined) => n !== undefined && namesCredential(n, name, namespace);
      if (namesIt(tls.caCertCredentialName)) used = true;
      if (!names.some(namesIt)) return;
      used = true;
      const mode = tls.mode ?? TLSmode.PASSTHROUGH;
      const where = pathOf("spec", "servers", s, "tls");
      if (terminating.has(mode) && !hasCert && !hasKey) {
        reporter.report(
          "IGW7004",
          at("certificate"),
          `required when ${where} names this credential with mode ${JSON.stringify(mode)}`,
        );
      }
      if (mode === TLSmode.MUTUAL && !hasCa && tls.caCertCredentialName === undefined) {
        reporter.report(
          "IGW7005",
          at("caCertificates"),
          `required when ${where} names this credential with mode "MUTUAL" and no caCertCredentialName`,
        );
      }
    });
    if (!used && spec !== undefined) {
      reporter.report(
        "IGW7007",
        at("name"),
        `no server's tls.credentialName, credentialNames or caCertCredentialName names it (got ${JSON.stringify(name)})`,
      );
    }
  });
  return reporter.issues;
}
