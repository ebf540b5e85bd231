/**
 * The Secrets the proxy may read: those named by `credentialName` (and `credentialNames`) in the Gateways it serves and
 * in DestinationRules (upstream TLS), each with its `<name>-cacert` companion (Istio's split form
 * of a credential's CA bundle). They are looked up in the proxy's own namespace only, as Istio's
 * gateways do; every other Secret in that namespace is left out of the configuration.
 */
import { selectorMatches } from "../../istio/binding";
import type { ClientTLSSettings, DestinationRule, Gateway, TrafficPolicy } from "../../istio/model";
import { CA_SECRET_SUFFIX } from "../../istio/translate/secrets";

function policyCredentials(policy: TrafficPolicy | undefined, out: Set<string>): void {
  const add = (tls: ClientTLSSettings | undefined) => {
    if (typeof tls?.credentialName === "string" && tls.credentialName !== "") out.add(tls.credentialName);
  };
  add(policy?.tls);
  for (const p of policy?.portLevelSettings ?? []) add(p?.tls);
}

/** Secret names to read: every credential and its `-cacert` companion, sorted. */
export function credentialSecretNames(
  gateways: readonly Gateway[],
  destinationRules: readonly DestinationRule[],
  proxyLabels: Readonly<Record<string, string>>,
): string[] {
  const names = new Set<string>();
  for (const g of gateways) {
    if (!selectorMatches(g.spec?.selector, proxyLabels)) continue;
    for (const server of g.spec?.servers ?? []) {
      for (const name of [server?.tls?.credentialName, ...(server?.tls?.credentialNames ?? [])]) {
        if (typeof name === "string" && name !== "") names.add(name);
      }
    }
  }
  for (const dr of destinationRules) {
    policyCredentials(dr.spec?.trafficPolicy, names);
    for (const subset of dr.spec?.subsets ?? []) policyCredentials(subset?.trafficPolicy, names);
  }
  const out = new Set<string>();
  for (const n of names) {
    out.add(n);
    out.add(`${n}${CA_SECRET_SUFFIX}`);
  }
  return [...out].sort();
}
