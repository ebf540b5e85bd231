/**
 * Turns a filter chain's {@link DownstreamTlsContext} into what Node's TLS stack needs: a secure
 * context (certificates, client CA, CRL, versions, ciphers) and the server options that cannot
 * live in a context (client certificate request, ALPN). PEM material is read here, when a
 * configuration is built, so a missing file refuses the configuration instead of failing
 * handshakes later.
 */
import { X509Certificate, constants } from "node:crypto";
import { readFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import type {
  DataSource,
  DownstreamTlsContext,
  UpstreamTlsContext,
} from "../../istio/translate/proxy-config";

/** Reads a DataSource's PEM text. */
export async function readDataSource(source: DataSource): Promise<string> {
  if ("inline" in source) return source.inline;
  return readFile(source.filename, "utf8");
}

/** A filter chain's TLS, ready for a TLS server or a server-side TLSSocket. */
export interface DownstreamTls {
  /** The secure context. */
  readonly secureContext: tls.SecureContext;
  /** Ask the client for a certificate (MUTUAL and OPTIONAL_MUTUAL). */
  readonly requestCert: boolean;
  /** A client certificate is required. */
  readonly requireClientCertificate: boolean;
  /** Verify the client chain (false with `insecureSkipVerify`). */
  readonly verifyClientChain: boolean;
  /** ALPN protocols offered. */
  readonly alpn: readonly string[];
  /** The context this was built from (for pinning checks). */
  readonly context: DownstreamTlsContext;
  /**
   * When the first of its certificates (served chains and CA bundle) expires, in ms since the
   * epoch; undefined when none could be read as X.509 (Envoy's `days_until_first_cert_expiring`).
   */
  readonly notAfter?: number;
}

/** Builds the TLS of one filter chain; rejects with a readable reason when material is missing or invalid. */
/** Envoy's default ECDH groups for TLS servers. */
export const ENVOY_ECDH_CURVES = "X25519:P-256";

export async function buildDownstreamTls(
  context: DownstreamTlsContext,
  where: string,
): Promise<DownstreamTls> {
  const certs: string[] = [];
  const keys: string[] = [];
  for (const c of context.certificates) {
    certs.push(await readPem(c.certificateChain, where, "certificate"));
    keys.push(await readPem(c.privateKey, where, "private key"));
  }
  const requestCert = context.mode !== "SIMPLE";
  const options: tls.SecureContextOptions = {
    cert: certs,
    key: keys,
    minVersion: context.minVersion,
    maxVersion: context.maxVersion,
    // Envoy's key exchange groups when the server sets none (Istio's `tlsDefaults.ecdhCurves` is
    // unset): a client offering only P-384 or X448 fails its handshake there too.
    ecdhCurve: ENVOY_ECDH_CURVES,
    // Envoy's servers choose by their own order (SSL_OP_CIPHER_SERVER_PREFERENCE), not the
    // client's. Within the equal-preference pairs of its defaults (AES-GCM or ChaCha20), BoringSSL
    // takes the client's choice: OpenSSL's PRIORITIZE_CHACHA does the same for a client that
    // puts ChaCha20 first.
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_PRIORITIZE_CHACHA,
  };
  options.ciphers = cipherList(context);
  if (context.caCertificates !== undefined)
    options.ca = await readPem(context.caCertificates, where, "CA certificates");
  if (context.crl !== undefined) options.crl = await readPem(context.crl, where, "CRL");
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(options);
  } catch (err) {
    throw new Error(`${where}: invalid TLS material: ${(err as Error).message}`);
  }
  const notAfter = earliestExpiry([...certs, ...(typeof options.ca === "string" ? [options.ca] : [])]);
  return {
    secureContext,
    requestCert,
    requireClientCertificate: context.requireClientCertificate,
    verifyClientChain: !context.insecureSkipVerify,
    alpn: context.alpn,
    context,
    ...(notAfter === undefined ? {} : { notAfter }),
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The earliest `notAfter` of the certificates in `pems` (ms since the epoch), if any parses. */
function earliestExpiry(pems: readonly string[]): number | undefined {
  let earliest: number | undefined;
  for (const pem of pems) {
    for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
      let at: number;
      try {
        at = Date.parse(new X509Certificate(block).validTo);
      } catch {
        continue; // TLS took the material; a block X.509 cannot read only goes uncounted
      }
      if (!Number.isNaN(at) && (earliest === undefined || at < earliest)) earliest = at;
    }
  }
  return earliest;
}

/**
 * Envoy's default server cipher list for TLS 1.2 and below (non-FIPS builds): the pairs in
 * brackets are of equal preference in BoringSSL, which OpenSSL has no syntax for.
 */
export const ENVOY_DEFAULT_SERVER_CIPHERS: readonly string[] = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
];

/**
 * The OpenSSL cipher string of a server: its cipher suites, else Envoy's defaults. A BoringSSL
 * equal-preference group (`[A|B]`) becomes its members in order. Only TLS 1.2 and below are
 * affected: names that are not TLS 1.3 suites leave Node's TLS 1.3 suites as they are, as Envoy's
 * `cipher_suites` leaves BoringSSL's. Below TLS 1.2, OpenSSL 3 refuses every handshake at its
 * default security level (SHA-1 signatures), where BoringSSL serves the versions it is told to:
 * the level is lowered to 0 for servers that ask for TLS 1.0 or 1.1.
 */
export function cipherList(context: Pick<DownstreamTlsContext, "cipherSuites" | "minVersion">): string {
  const suites = context.cipherSuites.length > 0 ? context.cipherSuites : ENVOY_DEFAULT_SERVER_CIPHERS;
  const names = suites.flatMap((s) =>
    s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1).split("|") : [s],
  );
  const legacy = context.minVersion === "TLSv1" || context.minVersion === "TLSv1.1";
  return names.join(":") + (legacy ? ":@SECLEVEL=0" : "");
}

/** Options for a TLS connection to an upstream endpoint. */
export async function buildUpstreamTls(
  context: UpstreamTlsContext,
  where: string,
): Promise<tls.ConnectionOptions> {
  const options: tls.ConnectionOptions = {
    ...(context.sni === undefined ? {} : { servername: context.sni }),
    rejectUnauthorized: !context.insecureSkipVerify,
    // Envoy verifies names only when told which (subjectAltNames, or auto_san_validation per
    // request: autoSniOptions); otherwise the chain alone, whatever the SNI.
    checkServerIdentity: () => undefined,
  };
  if (context.caCertificates !== undefined)
    options.ca = await readPem(context.caCertificates, where, "CA certificates");
  if (context.certificate !== undefined) {
    options.cert = await readPem(context.certificate.certificateChain, where, "client certificate");
    options.key = await readPem(context.certificate.privateKey, where, "client private key");
  }
  if (context.subjectAltNames.length > 0) {
    const accepted = context.subjectAltNames;
    options.checkServerIdentity = (_host, cert) => {
      const names = (cert.subjectaltname ?? "").split(/,\s*/).map((e) => e.slice(e.indexOf(":") + 1));
      return names.some((n) => accepted.includes(n))
        ? undefined
        : Object.assign(
            new Error(`upstream certificate names ${JSON.stringify(names)} match none of subjectAltNames`),
            // Node's own code for a certificate whose names do not match: the connection failed.
            { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
          );
    };
  }
  return options;
}

async function readPem(source: DataSource, where: string, what: string): Promise<string> {
  try {
    return await readDataSource(source);
  } catch (err) {
    const name = "filename" in source ? source.filename : source.origin;
    throw new Error(
      `${where}: cannot read ${what} ${JSON.stringify(name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** An upstream authority's host without the brackets of an IPv6 literal, and whether it is an IP. */
function authorityName(authorityHost: string): { host: string; ip: boolean } {
  const bracketed = authorityHost.startsWith("[") && authorityHost.endsWith("]");
  const host = bracketed ? authorityHost.slice(1, -1) : authorityHost;
  return { host, ip: net.isIP(host) !== 0 };
}

/**
 * What tells apart the connections of HTTP requests to a cluster without a DestinationRule `sni`,
 * as Envoy's `auto_sni` and `auto_san_validation` key them on the request's upstream authority:
 * the SNI it gives (none for an IP address) and, with `autoSanValidation`, the name the
 * certificate must have. Undefined when `context` has `sni`: the cluster's options serve every
 * request.
 */
export function autoSniKey(context: UpstreamTlsContext, authorityHost: string): string | undefined {
  if (context.sni !== undefined) return undefined;
  const { host, ip } = authorityName(authorityHost);
  return `${ip ? "" : host}|${context.autoSanValidation ? host : ""}`;
}

/**
 * The TLS options of the connections for one {@link autoSniKey}: the SNI is the authority's host
 * (none for an IP address), and with `autoSanValidation` the certificate must name that host.
 */
export function autoSniOptions(
  base: tls.ConnectionOptions,
  context: UpstreamTlsContext,
  authorityHost: string,
): tls.ConnectionOptions {
  const { host, ip } = authorityName(authorityHost);
  const options: tls.ConnectionOptions = { ...base };
  if (!ip && host !== "") options.servername = host;
  if (context.autoSanValidation)
    options.checkServerIdentity = (_name, cert) => tls.checkServerIdentity(host, cert);
  return options;
}
