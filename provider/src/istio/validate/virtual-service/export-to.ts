/**
 * `exportTo`, as Istio's `validateExportTo` judges it for every kind that has one. Returns
 * problems rather than reporting them, so each kind reports them under its own codes.
 */
import { isDNS1123Label } from "../../host/dns";

/** What is wrong with an exportTo list. */
export type ExportToProblemKind =
  "invalid" | "none" | "duplicate" | "public-and-other" | "none-and-other" | "selector-scope";

/** One problem of an exportTo list. */
export interface ExportToProblem {
  /** The kind of problem, for picking a code. */
  kind: ExportToProblemKind;
  /** Index of the offending entry; undefined when the list as a whole is at fault. */
  index?: number;
  /** The message, in the house style. */
  message: string;
}

/** Options for kinds whose exportTo has extra rules. */
export interface ExportToOptions {
  /** ServiceEntry: `~` (visible to no one) is allowed, but only alone. */
  serviceEntry?: boolean;
  /** DestinationRule with a workloadSelector: only the own namespace may be listed. */
  workloadSelector?: boolean;
}

/**
 * Checks `exportTo` of a resource in `namespace`: entries are `.`, `*` or namespace names
 * (DNS-1123 labels), none repeated (`.` counts as `namespace`), and `*` stands alone.
 */
export function validateExportTo(
  namespace: string,
  exportTo: readonly unknown[] | null | undefined,
  options: ExportToOptions = {},
): ExportToProblem[] {
  const problems: ExportToProblem[] = [];
  if (!Array.isArray(exportTo) || exportTo.length === 0) return problems;
  const seen = new Set<string>();
  exportTo.forEach((raw, index) => {
    const entry = typeof raw === "string" ? raw : String(raw);
    const key = entry === "." ? namespace : entry;
    if (seen.has(key)) {
      const message =
        key !== entry
          ? `must not repeat the own namespace: "." and ${JSON.stringify(namespace)} are the same (got ".")`
          : `must not be repeated (got ${JSON.stringify(entry)})`;
      problems.push({ kind: "duplicate", index, message });
      return;
    }
    if (entry === "~") {
      if (options.serviceEntry) seen.add(key);
      else {
        problems.push({
          kind: "none",
          index,
          message: `must not be "~" (visible to no one), which only ServiceEntries allow (got "~")`,
        });
      }
      return;
    }
    if (key === "*" || key === "." || isDNS1123Label(key)) {
      seen.add(key);
      return;
    }
    problems.push({
      kind: "invalid",
      index,
      message: `must be ".", "*" or a namespace name (a DNS-1123 label) (got ${JSON.stringify(raw) ?? String(raw)})`,
    });
  });
  if (options.workloadSelector && seen.size > 0) {
    if (!seen.has(namespace)) {
      problems.push({
        kind: "selector-scope",
        message: `must only list the own namespace when workloadSelector is set (got ${JSON.stringify(exportTo)})`,
      });
    } else if (seen.size > 1) {
      problems.push({
        kind: "selector-scope",
        message: `must list nothing but the own namespace when workloadSelector is set (got ${JSON.stringify(exportTo)})`,
      });
    }
  }
  if (seen.has("*") && exportTo.length > 1) {
    problems.push({
      kind: "public-and-other",
      message: `must be "*" alone or list no "*" (got ${JSON.stringify(exportTo)})`,
    });
  }
  if (seen.has("~") && exportTo.length > 1) {
    problems.push({
      kind: "none-and-other",
      message: `must be "~" alone or list no "~" (got ${JSON.stringify(exportTo)})`,
    });
  }
  return problems;
}
