/**
 * Checks a verified client certificate against a server's `subjectAltNames`,
 * `verifyCertificateSpki` and `verifyCertificateHash`, with Envoy's semantics: SANs match exactly
 * (any of DNS, URI, IP, email), a DNS SAN as a DNS name (case-insensitive, and a certificate's
 * `*.example.com` covering one label of `a.example.com`); SPKI pins and certificate hashes are
 * alternatives (a certificate matching either list is accepted when both are given).
 */
import { X509Certificate, createHash } from "node:crypto";
import type { ClientCertificateFailure } from "../observability/metrics";

/** What a server accepts beyond a chain that verifies. */
export interface ClientCertificatePolicy {
  /** Accepted subject alternative names; empty accepts any. */
  subjectAltNames?: readonly string[];
  /** Accepted base64 SHA-256 hashes of the Subject Public Key Info. */
  verifyCertificateSpki?: readonly string[];
  /** Accepted hex SHA-256 fingerprints of the DER certificate (colons and case ignored). */
  verifyCertificateHash?: readonly string[];
}

/** Whether a policy asks for anything beyond chain verification. */
export function hasPinning(policy: ClientCertificatePolicy): boolean {
  return (
    (policy.subjectAltNames?.length ?? 0) > 0 ||
    (policy.verifyCertificateSpki?.length ?? 0) > 0 ||
    (policy.verifyCertificateHash?.length ?? 0) > 0
  );
}

/**
 * The subject alternative names of a certificate, without their type prefixes; only those of
 * `kind` (`DNS`, `URI`, `IP Address`, `email`) when given. Node lists them as
 * `DNS:a.example.com, URI:spiffe://...`, a value with a comma in JSON quotes.
 */
export function subjectAltNamesOf(cert: X509Certificate | undefined, kind?: string): string[] {
  const text = cert?.subjectAltName;
  if (text === undefined) return [];
  const out: string[] = [];
  for (const m of text.matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, *|$)/g)) {
    if (kind !== undefined && m[1] !== kind) continue;
    const value = m[2]!;
    if (value.length > 0) out.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return out;
}

/** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo DER, as `verifyCertificateSpki` pins it. */
export function spkiHash(cert: X509Certificate): string {
  const der = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

/** Lower-case hex SHA-256 of the certificate's DER, as `verifyCertificateHash` pins it. */
export function certificateHash(cert: X509Certificate): string {
  return createHash("sha256").update(cert.raw).digest("hex");
}

function normalizeHash(h: string): string {
  return h.replace(/:/g, "").toLowerCase();
}

/**
 * Why `der` (a client certificate whose chain already verified) breaks `policy`, or undefined
 * when it is accepted.
 */
export function checkClientCertificate(der: Buffer, policy: ClientCertificatePolicy): string | undefined {
  return clientCertificateRefusal(der, policy)?.reason;
}

/** {@link checkClientCertificate}'s reason, with the kind of refusal Envoy's listener counts it as. */
export function clientCertificateRefusal(
  der: Buffer,
  policy: ClientCertificatePolicy,
): { kind: Exclude<ClientCertificateFailure, "no_cert">; reason: string } | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return { kind: "error", reason: "client certificate cannot be parsed" };
  }
  const spki = policy.verifyCertificateSpki ?? [];
  const hashes = policy.verifyCertificateHash ?? [];
  if (spki.length > 0 || hashes.length > 0) {
    const spkiOk = spki.length > 0 && spki.includes(spkiHash(cert));
    const hash = certificateHash(cert);
    const hashOk = hashes.length > 0 && hashes.some((h) => normalizeHash(h) === hash);
    if (!spkiOk && !hashOk) {
      return {
        kind: "cert_hash",
        reason: "client certificate matches neither verifyCertificateSpki nor verifyCertificateHash",
      };
    }
  }
  const sans = policy.subjectAltNames ?? [];
  if (sans.length > 0) {
    const have = subjectAltNamesOf(cert);
    const dns = subjectAltNamesOf(cert, "DNS");
    const matched =
      have.some((n) => sans.includes(n)) ||
      dns.some((pattern) => sans.some((name) => dnsNameMatch(name, pattern)));
    if (!matched) {
      return {
        kind: "san",
        reason: `client certificate subject alternative names ${JSON.stringify(have)} match none of subjectAltNames`,
      };
    }
  }
  return undefined;
}

/**
 * Whether DNS name `name` is what a certificate's DNS SAN `pattern` names, as Envoy's
 * `dnsNameMatch` decides: equal but for case, or `pattern` a wildcard `*.<suffix>` standing for
 * exactly one label before `.<suffix>`.
 */
export function dnsNameMatch(name: string, pattern: string): boolean {
  const n = name.toLowerCase();
  const p = pattern.toLowerCase();
  if (n === p) return true;
  if (!p.startsWith("*.") || n.length <= p.length - 1) return false;
  const label = n.slice(0, n.length - (p.length - 1));
  return !label.includes(".") && n.endsWith(p.slice(1));
}
