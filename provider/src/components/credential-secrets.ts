/** Creates the Kubernetes Secrets of a Gateway's `credentials` (see `tls-credential.ts`). */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isPending } from "./known-values";
import type { TLSCredential } from "./tls-credential";
import { planCredentialSecrets } from "./tls-credential";

/**
 * The Secrets for `credentials`, children of `parent`. A list given as plain data (the usual case)
 * makes its Secrets at once, so the preview shows them; a list that is itself an Output (a secret
 * input arriving through another language's SDK) makes them when it resolves.
 */
export function createCredentialSecrets(
  parent: pulumi.Resource,
  gatewayName: string,
  credentials: pulumi.Input<pulumi.Input<TLSCredential>[]> | undefined,
  defaultNamespace: pulumi.Input<string>,
): pulumi.Output<k8s.core.v1.Secret[]> {
  if (credentials === undefined) return pulumi.output([]);
  const create = (list: readonly TLSCredential[]): k8s.core.v1.Secret[] =>
    list.flatMap((credential, index) =>
      planCredentialSecrets(credential, index, gatewayName, defaultNamespace).map(
        (plan) =>
          new k8s.core.v1.Secret(
            plan.childSuffix,
            {
              metadata: { name: plan.name, namespace: plan.namespace },
              type: plan.type,
              // Certificates are public, but one secret wrapper keeps the whole map out of plaintext.
              stringData: pulumi.secret(plan.stringData),
            },
            { parent, additionalSecretOutputs: ["data", "stringData"] },
          ),
      ),
    );
  if (Array.isArray(credentials) && !credentials.some(isPending)) {
    return pulumi.output(create(credentials as TLSCredential[]));
  }
  return pulumi.output(credentials).apply((list) => create(list as TLSCredential[]));
}
