/**
 * The two output formats of `validate` and `analyze`: istioctl-like text lines, and JSON as the
 * command-line contract in DESIGN.md fixes it.
 */
import type { Issue } from "../istio/validate/issue";
import { formatIssueLine } from "../istio/validate/render";
import type { CheckReport } from "./check";
import type { InputError } from "./inputs";

/** Counts of findings by severity. */
export function countBySeverity(issues: readonly Issue[]): {
  errors: number;
  warnings: number;
  infos: number;
} {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const i of issues) {
    if (i.severity === "error") errors++;
    else if (i.severity === "warning") warnings++;
    else infos++;
  }
  return { errors, warnings, infos };
}

/**
 * Text: one istioctl-style line per finding, then a summary line. `unread` inputs could not be
 * read or parsed (their errors go to stderr): then no summary says all is well.
 */
export function formatText(report: CheckReport, unread = 0): string {
  const lines = report.findings.map((f) => formatIssueLine(f.issue, f.origin));
  const { errors, warnings } = countBySeverity(report.findings.map((f) => f.issue));
  const checked = Object.values(report.checked).reduce((a, b) => a + b, 0);
  const scope = `${checked} ${checked === 1 ? "resource" : "resources"}${describeSkipped(report.skipped)}`;
  if (unread > 0) {
    lines.push(
      `${plural(errors, "error")} and ${plural(warnings, "warning")} in ${scope}; ` +
        `${plural(unread, "input error")}, on stderr: what they hold was not checked.`,
    );
  } else if (errors === 0 && warnings === 0 && report.findings.length === 0) {
    lines.push(`\u2714 No validation issues found in ${scope}.`);
  } else {
    lines.push(`${plural(errors, "error")} and ${plural(warnings, "warning")} in ${scope}.`);
  }
  return lines.join("\n") + "\n";
}

/**
 * JSON: `{"findings":[{severity, code, istioCode?, resource, path, message}]}` as the contract
 * says, plus a `summary` of what was checked and skipped.
 */
export function formatJson(report: CheckReport): string {
  const findings = report.findings.map(({ issue }) => {
    const out: Record<string, unknown> = { severity: issue.severity, code: issue.code };
    if (issue.istioCode !== undefined) out.istioCode = issue.istioCode;
    out.resource = {
      kind: issue.resource.kind,
      namespace: issue.resource.namespace,
      name: issue.resource.name,
    };
    out.path = issue.path;
    out.message = issue.message;
    return out;
  });
  const summary = { checked: report.checked, skipped: report.skipped };
  return JSON.stringify({ findings, summary }, null, 2) + "\n";
}

/** `file:line:column: message` lines for syntax and input errors, for standard error. */
export function formatErrors(report: CheckReport, inputErrors: readonly InputError[]): string {
  const lines = [
    ...inputErrors.map((e) => `istio-gateway: cannot read ${JSON.stringify(e.name)}: ${e.message}`),
    ...report.syntaxErrors.map((e) => `${e.source}:${e.position.line}:${e.position.column}: ${e.message}`),
  ];
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

function describeSkipped(skipped: Record<string, number>): string {
  const kinds = Object.keys(skipped).sort();
  if (kinds.length === 0) return "";
  const total = kinds.reduce((n, k) => n + skipped[k], 0);
  const list = kinds.map((k) => `${skipped[k]} ${k}`).join(", ");
  return `; ${total} ${total === 1 ? "object" : "objects"} of other kinds skipped (${list})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
