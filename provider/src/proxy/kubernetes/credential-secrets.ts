/**
 * The Secrets the proxy may read: those named by `credentialName` (and `credentialNames`,
 * `caCertCredentialName`) in the Gateways it serves and in DestinationRules (upstream TLS), each
 * credential with its `<name>-cacert` companion (Istio's split form of a credential's CA bundle).
 * Names are resolved as Istio resolves them (`kubernetes://name`, `kubernetes://namespace/name`),
 * in the proxy's own namespace only, as Istio's gateways do; every other Secret in that namespace
 * is left out of the configuration.
 */
import { selectorMatches } from "../../istio/binding";
import type { ClientTLSSettings, DestinationRule, Gateway, TrafficPolicy } from "../../istio/model";
import { parseCredentialName } from "../../istio/translate/credential-name";
import { CA_SECRET_SUFFIX } from "../../istio/translate/secrets";

function policyCredentials(policy: TrafficPolicy | undefined, out: Set<string>): void {
  const add = (tls: ClientTLSSettings | undefined) => {
    if (typeof tls?.credentialName === "string" && tls.credentialName !== "") out.add(tls.credentialName);
  };
  add(policy?.tls);
  for (const p of policy?.portLevelSettings ?? []) add(p?.tls);
}

/** Secret names (in `namespace`) to read: every credential and its `-cacert` companion, sorted. */
export function credentialSecretNames(
  gateways: readonly Gateway[],
  destinationRules: readonly DestinationRule[],
  proxyLabels: Readonly<Record<string, string>>,
  namespace: string,
): string[] {
  const credentials = new Set<string>();
  const caOnly = new Set<string>();
  for (const g of gateways) {
    if (!selectorMatches(g.spec?.selector, proxyLabels)) continue;
    for (const server of g.spec?.servers ?? []) {
      for (const name of [server?.tls?.credentialName, ...(server?.tls?.credentialNames ?? [])]) {
        if (typeof name === "string" && name !== "") credentials.add(name);
      }
      const ca = server?.tls?.caCertCredentialName;
      if (typeof ca === "string" && ca !== "") caOnly.add(ca);
    }
  }
  for (const dr of destinationRules) {
    policyCredentials(dr.spec?.trafficPolicy, credentials);
    for (const subset of dr.spec?.subsets ?? []) policyCredentials(subset?.trafficPolicy, credentials);
  }
  const out = new Set<string>();
  const add = (credentialName: string) => {
    const ref = parseCredentialName(credentialName, namespace);
    if (ref.kind === "secret" && ref.namespace === namespace) out.add(ref.name);
  };
  for (const n of credentials) {
    add(n);
    add(`${n}${CA_SECRET_SUFFIX}`);
  }
  for (const n of caOnly) add(n);
  return [...out].sort();
}
