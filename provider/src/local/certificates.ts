/**
 * Certificates for local use, made with the openssl command line (as the tests' certificates are):
 * a throwaway certificate authority and serving certificates it signs. Keys are ECDSA P-256 and
 * everything is valid for two days: long enough for a session, useless afterwards.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate and its private key, as PEM files. */
export interface CertificateFiles {
  /** The certificate (PEM). */
  readonly cert: string;
  /** The private key (PEM). */
  readonly key: string;
}

/** Options for {@link makeServerCertificate}. */
export interface ServerCertificateOptions {
  /** The subject's common name. */
  readonly commonName: string;
  /** subjectAltName entries in openssl's form: `DNS:bookinfo.com`, `IP:127.0.0.1`. */
  readonly subjectAltNames: readonly string[];
}

/** Runs openssl in `dir`; throws with openssl's own message when it fails. */
export function openssl(dir: string, args: readonly string[]): string {
  try {
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function ecKey(dir: string, file: string): void {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", file]);
}

/** Makes a self-signed CA as `<name>.crt` and `<name>.key` in `dir`. */
export function makeCertificateAuthority(dir: string, name: string, commonName: string): CertificateFiles {
  ecKey(dir, `${name}.key`);
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-sha256",
    "-days",
    "2",
    "-subj",
    `/CN=${commonName}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    `${name}.crt`,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** Makes a serving certificate signed by `ca` as `<name>.crt` and `<name>.key` in `dir`. */
export function makeServerCertificate(
  dir: string,
  name: string,
  ca: CertificateFiles,
  options: ServerCertificateOptions,
): CertificateFiles {
  ecKey(dir, `${name}.key`);
  openssl(dir, [
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${options.commonName}`,
    "-out",
    `${name}.csr`,
  ]);
  writeFileSync(
    join(dir, `${name}.ext`),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${options.subjectAltNames.join(",")}`,
      "",
    ].join("\n"),
  );
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-set_serial",
    `${Date.now()}`,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
