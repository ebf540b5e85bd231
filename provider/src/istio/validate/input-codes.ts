/** Codes about the input as a whole rather than one rule of one kind (IGW0100-0199). */
import { defineCodes, Severity } from "./issue";

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
