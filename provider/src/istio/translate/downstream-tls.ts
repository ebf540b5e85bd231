/**
 * TLS termination settings of a Gateway server (Istio's `ServerTLSSettings`) as a
 * {@link DownstreamTlsContext}: certificates from `credentialName(s)` Secrets or file paths, the
 * client CA for the mutual modes, and protocol parameters with Istio's gateway defaults.
 */
import { namespaceOf } from "../binding";
import { below } from "./field-path";
import type { Gateway, Server, TLSProtocol } from "../model";
import { isValidCipherSuite } from "../validate/gateway";
import { pathOf } from "../validate/path";
import type { TranslateContext } from "./context";
import type { DataSource, DownstreamTlsContext, TlsCertificate, TlsVersion } from "./proxy-config";
import type { SecretStore } from "./secrets";
import { CA_SECRET_SUFFIX, secretCaBundle, secretKeyPair } from "./secrets";

const VERSIONS: Readonly<Record<TLSProtocol, TlsVersion | undefined>> = {
  TLS_AUTO: undefined,
  TLSV1_0: "TLSv1",
  TLSV1_1: "TLSv1.1",
  TLSV1_2: "TLSv1.2",
  TLSV1_3: "TLSv1.3",
};

/**
 * ALPN of terminating servers, as Istio's gateways offer it (`util.ALPNHttp`): HTTPS servers, and
 * TLS servers whose connections go to `tcp` routes too, so a client asking for `h2` (a gRPC client,
 * say) gets it and speaks HTTP/2 through the tunnel.
 */
export const HTTPS_ALPN: readonly string[] = ["h2", "http/1.1"];

/**
 * The TLS context of a terminating server (`mode` SIMPLE, MUTUAL or OPTIONAL_MUTUAL), or
 * undefined after reporting why the server cannot be served.
 */
export function buildDownstreamTls(
  ctx: TranslateContext,
  secrets: SecretStore,
  gateway: Gateway,
  serverIndex: number,
  server: Server,
): DownstreamTlsContext | undefined {
  const tls = server.tls ?? {};
  const mode = tls.mode === "MUTUAL" || tls.mode === "OPTIONAL_MUTUAL" ? tls.mode : "SIMPLE";
  const mutual = mode !== "SIMPLE";
  const tlsPath = pathOf("spec", "servers", serverIndex, "tls");
  const certificates: TlsCertificate[] = [];
  let caCertificates: DataSource | undefined;
  let crl: DataSource | undefined;
  let credentialName: string | undefined;

  const credentials = tls.credentialName ? [tls.credentialName] : (tls.credentialNames ?? []);
  const credentialField = tls.credentialName ? "credentialName" : "credentialNames";
  for (const [i, name] of credentials.entries()) {
    const at =
      credentialField === "credentialName"
        ? below(tlsPath, "credentialName")
        : below(tlsPath, "credentialNames", i);
    const { ref, secret } = secrets.credential(name);
    if (secret === undefined) {
      ctx.report(gateway, "IGW6004", at, secrets.whyMissing(name, ref));
      return undefined;
    }
    const pair = secretKeyPair(secret);
    if (pair === undefined) {
      ctx.report(
        gateway,
        "IGW6005",
        at,
        `must name a Secret with non-empty "tls.crt" and "tls.key" (or "cert" and "key") (got ${JSON.stringify(name)})`,
      );
      return undefined;
    }
    certificates.push(pair);
    credentialName ??= `${namespaceOf(secret)}/${secret.metadata.name}`;
    if (mutual && i === 0 && !tls.caCertCredentialName) {
      // Istio's SDS reads the CA from a `<name>-cacert` Secret when one exists, else from the credential
      // (the suffix goes on the whole name: `kubernetes://ns/name-cacert`). Of several credentials
      // (an RSA and an ECDSA pair) only the first is asked for a CA: Istio has one for them all.
      const companion = secrets.credential(name + CA_SECRET_SUFFIX).secret;
      const caSecret = companion ?? secret;
      const bundle = secretCaBundle(caSecret);
      caCertificates = bundle?.ca;
      crl = bundle?.crl;
    }
  }
  if (tls.caCertCredentialName) {
    const { ref, secret } = secrets.credential(tls.caCertCredentialName);
    if (secret === undefined) {
      ctx.report(
        gateway,
        "IGW6004",
        below(tlsPath, "caCertCredentialName"),
        secrets.whyMissing(tls.caCertCredentialName, ref),
      );
      return undefined;
    }
    // Istio asks for this Secret's CA alone: without one the server has no CA, whatever its
    // credential holds.
    const bundle = secretCaBundle(secret);
    caCertificates = bundle?.ca;
    crl = bundle?.crl;
  }
  if (credentials.length === 0) {
    if (tls.serverCertificate && tls.privateKey) {
      certificates.push({
        certificateChain: { filename: tls.serverCertificate },
        privateKey: { filename: tls.privateKey },
      });
    }
    for (const c of tls.tlsCertificates ?? []) {
      if (c?.serverCertificate && c.privateKey) {
        certificates.push({
          certificateChain: { filename: c.serverCertificate },
          privateKey: { filename: c.privateKey },
        });
      }
      if (c?.caCertificates && caCertificates === undefined) caCertificates = { filename: c.caCertificates };
    }
    if (tls.caCertificates) caCertificates = { filename: tls.caCertificates };
    if (tls.caCrl) crl = { filename: tls.caCrl };
    if (certificates.length === 0) {
      ctx.report(
        gateway,
        "IGW6005",
        tlsPath,
        `must give a certificate and key through credentialName or serverCertificate and privateKey (got none)`,
      );
      return undefined;
    }
  }
  if (mutual && caCertificates === undefined) {
    const where = tls.caCertCredentialName
      ? below(tlsPath, "caCertCredentialName")
      : credentials.length > 0
        ? below(tlsPath, credentialField)
        : below(tlsPath, "caCertificates");
    ctx.report(
      gateway,
      "IGW6006",
      where,
      `must provide a CA bundle when tls.mode is ${JSON.stringify(mode)} (got none)`,
    );
    return undefined;
  }

  const out: DownstreamTlsContext = {
    mode,
    certificates,
    requireClientCertificate: mode === "MUTUAL",
    subjectAltNames: [...(tls.subjectAltNames ?? [])],
    verifyCertificateSpki: [...(tls.verifyCertificateSpki ?? [])],
    verifyCertificateHash: (tls.verifyCertificateHash ?? []).map((h) => h.replace(/:/g, "").toLowerCase()),
    insecureSkipVerify: tls.insecureSkipVerify === true,
    minVersion: VERSIONS[tls.minProtocolVersion ?? "TLS_AUTO"] ?? "TLSv1.2",
    maxVersion: VERSIONS[tls.maxProtocolVersion ?? "TLS_AUTO"] ?? "TLSv1.3",
    cipherSuites: filterCipherSuites(tls.cipherSuites ?? []),
    alpn: [...HTTPS_ALPN],
  };
  return {
    ...out,
    ...(caCertificates === undefined || !mutual ? {} : { caCertificates }),
    ...(crl === undefined || !mutual ? {} : { crl }),
    ...(credentialName === undefined ? {} : { credentialName }),
  };
}

/**
 * The cipher suites Istio hands Envoy (`security.FilterCipherSuites`): names it does not know
 * (IGW2502 warns of them) and repeats (IGW2503) are dropped, so a list left empty means the
 * default one.
 */
function filterCipherSuites(suites: readonly (string | null | undefined)[]): string[] {
  const kept = new Set<string>();
  for (const s of suites) if (typeof s === "string" && isValidCipherSuite(s)) kept.add(s);
  return [...kept];
}
