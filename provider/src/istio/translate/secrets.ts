/**
 * Credentials from Kubernetes Secrets, looked up in the proxy's namespace only (as Istio does for
 * `credentialName`: cross-namespace references are refused): certificate, key, CA bundle and CRL
 * under Istio's key names, decoded to PEM text.
 */
import type { Secret } from "../model";
import { namespaceOf } from "../binding";
import type { CredentialReference } from "./credential-name";
import { parseCredentialName } from "./credential-name";
import type { DataSource } from "./proxy-config";

/**
 * Key names Istio reads (`pilot/pkg/credentials/kube/secrets.go`), in the order it tries them: the
 * generic names first, then those of a `kubernetes.io/tls` Secret. Entries at one index go
 * together: a CRL is read beside the CA bundle it was found with.
 */
export const SECRET_KEYS = {
  /** The certificate chain: `cert` (generic) or `tls.crt` (kubernetes.io/tls). */
  certificate: ["cert", "tls.crt"],
  /** The private key, paired with the certificate key name. */
  privateKey: ["key", "tls.key"],
  /** The CA bundle for client certificates. */
  ca: ["cacert", "ca.crt"],
  /** The certificate revocation list, paired with the CA bundle key name. */
  crl: ["crl", "ca.crl"],
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

  /**
   * The Secret a `credentialName` (or `<credentialName>-cacert`) names, as Istio's SDS serves it to
   * a gateway: `name`, `kubernetes://name` or `kubernetes://namespace/name`, in the proxy's own
   * namespace only (Istio refuses a Secret of another namespace, and the server then never gets
   * its certificate).
   */
  credential(credentialName: string): CredentialLookup {
    const ref = parseCredentialName(credentialName, this.namespace);
    if (ref.kind !== "secret" || ref.namespace !== this.namespace) return { ref };
    const secret = this.byName.get(ref.name);
    return secret === undefined ? { ref } : { ref, secret };
  }

  /**
   * Why `credentialName` gave no Secret, as a finding's message: `must name a Secret in the proxy's
   * namespace "istio-system" (got "...")`, with the reason when it is not simply missing.
   */
  whyMissing(credentialName: string, ref: CredentialReference): string {
    const got = `(got ${JSON.stringify(credentialName)})`;
    const rule = `must name a Secret in the proxy's namespace ${JSON.stringify(this.namespace)}`;
    switch (ref.kind) {
      case "builtin":
        return `${rule}: "builtin://" is the workload's mesh certificate, which this proxy does not have ${got}`;
      case "other":
        return `${rule}: ${JSON.stringify(ref.scheme)} credentials are not read by this proxy ${got}`;
      case "secret":
        return ref.namespace === this.namespace
          ? `${rule} ${got}`
          : `${rule}: Istio does not give a gateway the Secrets of other namespaces (${JSON.stringify(`${ref.namespace}/${ref.name}`)}) ${got}`;
    }
  }
}

/** The outcome of {@link SecretStore.credential}: what the name refers to, and the Secret if usable. */
export interface CredentialLookup {
  /** What the `credentialName` refers to. */
  readonly ref: CredentialReference;
  /** The Secret, when it is in the proxy's namespace and exists. */
  readonly secret?: Secret;
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

/** The Secret (`namespace/name`) an inline data source was read from, or undefined for a file's. */
export function secretOfSource(source: DataSource): string | undefined {
  if (!("inline" in source)) return undefined;
  const m = /^Secret ([^/]+\/[^[]+)\[/.exec(source.origin);
  return m?.[1];
}

/** The certificate and key of a credential Secret: `cert`+`key`, else `tls.crt`+`tls.key`. */
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

/**
 * The CA bundle of a Secret, `cacert` else `ca.crt`, with the CRL stored beside it (`crl`, or
 * `ca.crl`), as Istio's `ExtractRoot` reads them.
 */
export function secretCaBundle(secret: Secret): { ca: DataSource; crl?: DataSource } | undefined {
  for (let i = 0; i < SECRET_KEYS.ca.length; i++) {
    const ca = secretSource(secret, SECRET_KEYS.ca[i]);
    if (ca === undefined) continue;
    const crl = secretSource(secret, SECRET_KEYS.crl[i]);
    return crl === undefined ? { ca } : { ca, crl };
  }
  return undefined;
}
