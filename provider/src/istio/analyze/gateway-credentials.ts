/**
 * `credentialName` findings: the Secret is missing from the gateway pods' namespace (IST0101) or
 * unusable (IST0161). Missing Secrets are only reported when the input has Secrets at all, since
 * credentials usually live outside the files being analysed.
 */
import { listOf } from "../binding/list";
import { namespaceOf } from "../binding";
import { parseCredentialName } from "../translate/credential-name";
import type { AnalysisContext } from "./context";
import { checkCredential } from "./credential";
import type { CredentialProblem } from "./credential";

function describeProblem(problem: CredentialProblem): string {
  switch (problem.kind) {
    case "missing-keys":
      return `has no non-empty "tls.crt" and "tls.key" (nor "cert" and "key"); it has ${JSON.stringify(problem.found)}`;
    case "not-x509":
      return "holds a certificate that is not a PEM X.509 certificate";
    case "expired":
      return `holds a certificate that expired at ${problem.notAfter.toISOString()}`;
    case "not-yet-valid":
      return `holds a certificate not valid before ${problem.notBefore.toISOString()}`;
  }
}

/** Runs the credential findings. */
export function analyzeGatewayCredentials(ctx: AnalysisContext): void {
  if (ctx.secrets.length === 0) return;
  for (const gateway of ctx.gateways) {
    // With Pods in the input, a Gateway selecting none has no namespace to look in (IGW4007 says so).
    if (ctx.pods.length > 0 && ctx.selectedPods(gateway).length === 0) continue;
    const namespaces = ctx.podNamespacesOf(gateway);
    listOf(gateway.spec?.servers).forEach((server, i) => {
      const name = server?.tls?.credentialName;
      if (typeof name !== "string" || name === "") return;
      const path = `spec.servers[${i}].tls.credentialName`;
      for (const ns of namespaces) {
        // `kubernetes://name` and `kubernetes://namespace/name` as Istio's SDS resolves them.
        const ref = parseCredentialName(name, ns);
        if (ref.kind !== "secret") continue;
        const key = `${ref.namespace}/${ref.name}`;
        if (ref.namespace !== ns) {
          ctx.findings.report(
            gateway,
            "IGW4005",
            path,
            `names Secret ${key}, which is not in the namespace of the gateway pods (${ns}): Istio gives a gateway only its own namespace's Secrets (got ${JSON.stringify(name)})`,
          );
          continue;
        }
        const secret = ctx.secretsByKey.get(key);
        if (secret === undefined) {
          ctx.findings.report(
            gateway,
            "IGW4005",
            path,
            `names Secret ${key}, which does not exist in the namespace of the gateway pods (got ${JSON.stringify(name)})`,
          );
          continue;
        }
        const problem = checkCredential(secret, ctx.now);
        if (problem !== undefined) {
          ctx.findings.report(
            gateway,
            "IGW4006",
            path,
            `names Secret ${namespaceOf(secret)}/${ref.name}, which ${describeProblem(problem)} (got ${JSON.stringify(name)})`,
          );
        }
      }
    });
  }
}
