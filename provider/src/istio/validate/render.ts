/** Rendering of findings: the only place that turns {@link Issue} data into text. */
import { SCHEMA_VALIDATION_ERROR, SCHEMA_WARNING } from "./issue";
import type { Issue, ResourceRef } from "./issue";

/** `Gateway istio-system/public-gw`. */
export function formatResource(ref: ResourceRef): string {
  // A document without kind or name still reads as a thing and a place.
  return `${ref.kind === "" ? "<no kind>" : ref.kind} ${ref.namespace}/${ref.name === "" ? "<no name>" : ref.name}`;
}

/** `spec.servers[0].tls.privateKey: required when ...`: one finding, without its resource. */
export function formatIssue(issue: Issue): string {
  return issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
}

/**
 * istioctl's line form: `Error [IST0101] (VirtualService default/bookinfo) spec.gateways[0]: ...`.
 * `origin` (`bookinfo.yaml:20`) follows the resource inside the parentheses, as istioctl prints it
 * when it analyzes files.
 */
export function formatIssueLine(issue: Issue, origin?: string): string {
  const level = issue.severity[0].toUpperCase() + issue.severity.slice(1);
  const where =
    origin === undefined ? formatResource(issue.resource) : `${formatResource(issue.resource)} ${origin}`;
  return `${level} [${shownCode(issue)}] (${where}) ${formatIssue(issue)}`;
}

/**
 * The house-style summary used by the components and the proxy:
 *
 * ```
 * Gateway "public-gw" has 2 invalid properties:
 *   spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set
 *   spec.servers[1].port.number: must be an integer from 1 to 65535 (got 70000)
 * ```
 */
export function formatIssueList(ref: ResourceRef, issues: readonly Issue[]): string {
  const n = issues.length;
  const head = `${ref.kind} ${JSON.stringify(ref.name)} has ${n} invalid ${n === 1 ? "property" : "properties"}:`;
  return [head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n");
}

/**
 * The code a text line shows: Istio's where it names the condition (IST0132), ours where Istio
 * has none or only its generic "the webhook said so" codes (IST0106, IST0133), since ours then
 * names the rule. The JSON form carries both.
 */
function shownCode(issue: Issue): string {
  const generic = issue.istioCode === SCHEMA_VALIDATION_ERROR || issue.istioCode === SCHEMA_WARNING;
  return issue.istioCode === undefined || generic ? issue.code : issue.istioCode;
}
