/** Codes about the input as a whole rather than one rule of one kind (IGW0100-0199). */
import type { Issue, ResourceRef } from "./issue";
import { defineCodes, Reporter, Severity } from "./issue";

/** The codes of the input checks: duplicates and documents that are not Kubernetes objects. */
export const inputCodes = defineCodes({
  IGW0101: {
    severity: Severity.Warning,
    summary: "the same object is defined twice in the input; the later definition is used",
  },
  IGW0102: {
    severity: Severity.Error,
    summary: "a document is not a Kubernetes object: apiVersion and kind are required",
  },
});

/** What an object is known by in an input set: its kind, namespace and name. */
export function objectKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * IGW0101 for `earlier`, defined again at `againAt` (`file:line`): the later definition is used,
 * as `kubectl apply` of the whole input would leave the object.
 */
export function redefinedIssue(earlier: ResourceRef, againAt: string): Issue {
  const reporter = new Reporter(earlier, inputCodes);
  reporter.report("IGW0101", "metadata.name", `defined again at ${againAt}; the later definition is used`);
  return reporter.issues[0]!;
}
