/**
 * Credentials from Kubernetes Secrets, looked up in the proxy's namespace only (as Istio does for
 * `credentialName`: cross-namespace references are refused): certificate, key, CA bundle and CRL
 * under Istio's key names, decoded to PEM text.
 */
import type { Secret } from "../model";
import { namespaceOf } from "../binding";
import type { DataSource } from "./proxy-config";

/** Key names Istio reads, in the order it tries them. */
export const SECRET_KEYS = {
  /** The certificate chain: `tls.crt` (kubernetes.io/tls) or `cert` (generic). */
  certificate: ["tls.crt", "cert"],
  /** The private key, paired with the certificate key name. */
  privateKey: ["tls.key", "key"],
  /** The CA bundle for client certificates. */
  ca: ["ca.crt", "cacert"],
  /** The certificate revocation list. */
  crl: ["ca.crl", "crl"],
} as const;

/** The suffix of the companion Secret holding a credential's CA bundle. */
export const CA_SECRET_SUFFIX = "-cacert";

/** The Secrets of one namespace, by name. */
export class SecretStore {
  private readonly byName = new Map<string, Secret>();

  constructor(
    secrets: readonly Secret[],
    /** The namespace credentials are looked up in. */
    readonly namespace: string,
  ) {
    for (const s of secrets) {
      const name = s.metadata?.name;
      if (name !== undefined && namespaceOf(s) === namespace && !this.byName.has(name))
        this.byName.set(name, s);
    }
  }

  /** The Secret named `name` in the namespace, if any. */
  get(name: string): Secret | undefined {
    return this.byName.get(name);
  }
}

/** The decoded value of `key`, or undefined when absent or empty (`stringData` wins over `data`). */
export function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined && plain !== "") return plain;
  const encoded = secret.data?.[key];
  if (encoded === undefined || encoded === "") return undefined;
  const text = Buffer.from(encoded, "base64").toString("utf8");
  return text === "" ? undefined : text;
}

/** An inline data source for `key` of `secret`, naming where it came from. */
export function secretSource(secret: Secret, key: string): DataSource | undefined {
  const text = secretValue(secret, key);
  if (text === undefined) return undefined;
  return {
    inline: text,
    origin: `Secret ${namespaceOf(secret)}/${secret.metadata?.name ?? ""}[${JSON.stringify(key)}]`,
  };
}

/** The first of `keys` present in `secret`, as a data source. */
export function firstSecretSource(secret: Secret, keys: readonly string[]): DataSource | undefined {
  for (const key of keys) {
    const source = secretSource(secret, key);
    if (source !== undefined) return source;
  }
  return undefined;
}

/** The certificate and key of a credential Secret: `tls.crt`+`tls.key`, else `cert`+`key`. */
export function secretKeyPair(
  secret: Secret,
): { certificateChain: DataSource; privateKey: DataSource } | undefined {
  for (let i = 0; i < SECRET_KEYS.certificate.length; i++) {
    const certificateChain = secretSource(secret, SECRET_KEYS.certificate[i]);
    const privateKey = secretSource(secret, SECRET_KEYS.privateKey[i]);
    if (certificateChain !== undefined && privateKey !== undefined) return { certificateChain, privateKey };
  }
  return undefined;
}
