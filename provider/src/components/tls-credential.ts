/**
 * TLS material given as content: the component turns each {@link TLSCredential} into the
 * Kubernetes Secret(s) a server's `credentialName` names, in the layout Istio reads (`tls.crt`,
 * `tls.key`, `ca.crt`, `ca.crl`, or a `<name>-cacert` companion for the CA bundle). Everything that
 * goes into a Secret is wrapped with `pulumi.secret`, so it never reaches the state in plaintext.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Certificate, key and CA content for one `credentialName`. A credential is a separate input beside
 * `spec` (not a field of `tls`) because `spec` mirrors the Istio resource exactly and Pulumi's
 * schema has no unions: `tls.credentialName` names the Secret, and a credential with that `name`
 * makes the component create it.
 */
export interface TLSCredential {
  /**
   * Name of the Secret to create. A server uses it when its `tls.credentialName` (or one of
   * `tls.credentialNames`, or `tls.caCertCredentialName`) is this name. Required.
   */
  name: pulumi.Input<string>;
  /**
   * Namespace of the Secret. Istio reads credentials from the namespace of the gateway pods (for
   * the default ingress gateway, `istio-system`), not from the Gateway's. Default: the Gateway's
   * namespace.
   */
  namespace?: pulumi.Input<string>;
  /** PEM certificate chain the gateway serves (`tls.crt`). Goes with `privateKey`. */
  certificate?: pulumi.Input<string>;
  /** PEM private key of `certificate` (`tls.key`). Stored as a Pulumi secret. */
  privateKey?: pulumi.Input<string>;
  /**
   * PEM bundle of CA certificates that client certificates are verified against (`ca.crt`).
   * Required when a `MUTUAL` server uses this credential, unless the CA comes from elsewhere.
   */
  caCertificates?: pulumi.Input<string>;
  /** PEM certificate revocation list checked against client certificates (`ca.crl`). */
  caCrl?: pulumi.Input<string>;
  /**
   * Put `caCertificates` (and `caCrl`) in a second Secret named `<name>-cacert` instead of beside the
   * key, the other layout Istio reads. Default false.
   */
  separateCaSecret?: boolean;
}

/** The Secrets one credential becomes: the name, namespace, type and string data of each. */
export interface CredentialSecretPlan {
  /** Suffix of the child resource name, derived from the credential's position. */
  childSuffix: string;
  /** Secret name: the credential's name, or `<name>-cacert` for the CA companion. */
  name: pulumi.Input<string>;
  /** Secret namespace. */
  namespace: pulumi.Input<string>;
  /** `kubernetes.io/tls` when it holds a certificate and key, `Opaque` for a CA bundle alone. */
  type: "kubernetes.io/tls" | "Opaque";
  /** Keys and content, as Istio reads them. */
  stringData: { [key: string]: pulumi.Input<string> };
}

/**
 * The Secrets a credential becomes. `index` is the credential's position in `credentials`, which
 * keeps child names stable and unique even when two credentials share a name across namespaces.
 */
export function planCredentialSecrets(
  credential: TLSCredential,
  index: number,
  gatewayName: string,
  defaultNamespace: pulumi.Input<string>,
): CredentialSecretPlan[] {
  const namespace = credential.namespace ?? defaultNamespace;
  const hasPair = credential.certificate !== undefined || credential.privateKey !== undefined;
  const ca: { [key: string]: pulumi.Input<string> } = {};
  if (credential.caCertificates !== undefined) ca["ca.crt"] = credential.caCertificates;
  if (credential.caCrl !== undefined) ca["ca.crl"] = credential.caCrl;
  const plans: CredentialSecretPlan[] = [];
  const base = `${gatewayName}-credential-${index}`;
  if (hasPair) {
    const data: { [key: string]: pulumi.Input<string> } = {};
    if (credential.certificate !== undefined) data["tls.crt"] = credential.certificate;
    if (credential.privateKey !== undefined) data["tls.key"] = credential.privateKey;
    plans.push({
      childSuffix: base,
      name: credential.name,
      namespace,
      type: "kubernetes.io/tls",
      stringData: credential.separateCaSecret ? data : { ...data, ...ca },
    });
  }
  if (Object.keys(ca).length > 0 && (credential.separateCaSecret || !hasPair)) {
    const companion = credential.separateCaSecret === true;
    plans.push({
      childSuffix: companion ? `${base}-cacert` : base,
      name: companion ? suffixed(credential.name, "-cacert") : credential.name,
      namespace,
      type: "Opaque",
      stringData: ca,
    });
  }
  return plans;
}

function suffixed(name: pulumi.Input<string>, suffix: string): pulumi.Input<string> {
  return typeof name === "string" ? name + suffix : pulumi.interpolate`${name}${suffix}`;
}
