/**
 * Turns a filter chain's {@link DownstreamTlsContext} into what Node's TLS stack needs: a secure
 * context (certificates, client CA, CRL, versions, ciphers) and the server options that cannot
 * live in a context (client certificate request, ALPN). PEM material is read here, when a
 * configuration is built, so a missing file refuses the configuration instead of failing
 * handshakes later.
 */
import { readFile } from "node:fs/promises";
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
}

/** Builds the TLS of one filter chain; rejects with a readable reason when material is missing or invalid. */
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
  };
  if (context.cipherSuites.length > 0) options.ciphers = context.cipherSuites.join(":");
  if (context.caCertificates !== undefined)
    options.ca = await readPem(context.caCertificates, where, "CA certificates");
  if (context.crl !== undefined) options.crl = await readPem(context.crl, where, "CRL");
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(options);
  } catch (err) {
    throw new Error(`${where}: invalid TLS material: ${(err as Error).message}`);
  }
  return {
    secureContext,
    requestCert,
    requireClientCertificate: context.requireClientCertificate,
    verifyClientChain: !context.insecureSkipVerify,
    alpn: context.alpn,
    context,
  };
}

/** Options for a TLS connection to an upstream endpoint. */
export async function buildUpstreamTls(
  context: UpstreamTlsContext,
  where: string,
): Promise<tls.ConnectionOptions> {
  const options: tls.ConnectionOptions = {
    servername: context.sni,
    rejectUnauthorized: !context.insecureSkipVerify,
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
