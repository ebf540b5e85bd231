/**
 * Checks a TLS Secret as Istio's gateway SDS does before serving it: a non-empty certificate and
 * key under `cert`/`key` or `tls.crt`/`tls.key`, the first PEM block a parsable X.509
 * certificate, valid at the given time. `node:crypto` only parses; nothing is read or opened.
 */
import { X509Certificate } from "node:crypto";
import type { Secret } from "../model";

/** Why a Secret cannot serve as a gateway credential, or undefined when it can. */
export type CredentialProblem =
  | { kind: "missing-keys"; found: string[] }
  | { kind: "not-x509" }
  | { kind: "expired"; notAfter: Date }
  | { kind: "not-yet-valid"; notBefore: Date };

/** The Secret's values as bytes: `data` decoded from base64, with `stringData` over it. */
export function secretValues(secret: Secret): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    if (typeof v === "string") values.set(k, Buffer.from(v, "base64"));
  }
  for (const [k, v] of Object.entries(secret.stringData ?? {})) {
    if (typeof v === "string") values.set(k, Buffer.from(v, "utf8"));
  }
  return values;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/** Checks the Secret a `credentialName` names; `now` is the time the certificate must be valid at. */
export function checkCredential(secret: Secret, now: Date): CredentialProblem | undefined {
  const values = secretValues(secret);
  const nonEmpty = (k: string): boolean => (values.get(k)?.length ?? 0) > 0;
  // Istio prefers the generic keys, then the kubernetes.io/tls ones.
  const certKey =
    nonEmpty("cert") && nonEmpty("key")
      ? "cert"
      : nonEmpty("tls.crt") && nonEmpty("tls.key")
        ? "tls.crt"
        : undefined;
  if (certKey === undefined) return { kind: "missing-keys", found: [...values.keys()].sort() };
  // Only the first PEM block counts, as in Istio; anything before it is ignored by pem.Decode.
  const block = PEM_CERTIFICATE.exec(values.get(certKey)!.toString("latin1"));
  if (block === null) return { kind: "not-x509" };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block[0]);
  } catch {
    return { kind: "not-x509" };
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) return { kind: "not-x509" };
  if (now.getTime() > notAfter.getTime()) return { kind: "expired", notAfter };
  if (now.getTime() < notBefore.getTime()) return { kind: "not-yet-valid", notBefore };
  return undefined;
}
