/**
 * The work behind `validate` and `analyze`: parse every input, validate each Istio object on its
 * own, and (for `analyze`) the whole set together, keeping each finding's origin (`file:line`).
 */
import { analyzeResources } from "../istio/analyze";
import { loadDocuments } from "../istio/load";
import type { LoadError, LoadedObject } from "../istio/load";
import type { Resource } from "../istio/model";
import {
  isCheckedKind,
  isCheckedKindName,
  objectKey,
  redefinedIssue,
  validateObject,
} from "../istio/validate";
import type { Issue, ResourceRef } from "../istio/validate/issue";
import type { InputText } from "./inputs";

/** What to check. */
export interface CheckOptions {
  /** Also run the cross-resource analysis (`analyze`), not only per-resource rules (`validate`). */
  analyze: boolean;
  /** Report the warnings that silently break traffic as errors. */
  strict: boolean;
  /** The namespace of objects that do not name one. Default `default`, as kubectl's. */
  defaultNamespace?: string;
}

/** A finding and where it is: `file:line`, when it came from a file. */
export interface LocatedIssue {
  /** The finding. */
  issue: Issue;
  /** `bookinfo.yaml:20`, or undefined for findings without a single source. */
  origin?: string;
}

/** Everything a check found. */
export interface CheckReport {
  /** Findings, in input order. */
  findings: LocatedIssue[];
  /** Syntax errors: their documents were not checked. */
  syntaxErrors: LoadError[];
  /** How many objects were checked, by kind. */
  checked: Record<string, number>;
  /** How many objects of other kinds were skipped, by kind. */
  skipped: Record<string, number>;
}

interface Checked {
  object: LoadedObject;
  ref: ResourceRef;
  resource?: Resource;
}

/**
 * How a skipped object's kind is named in the summary: with its API group when the kind's name is
 * one this tool checks (a Gateway API `gateway.networking.k8s.io/Gateway` is not an Istio Gateway).
 */
function skippedKindName(object: unknown, kind: string): string {
  if (!isCheckedKindName(kind)) return kind;
  const apiVersion = (object as { apiVersion?: unknown }).apiVersion;
  if (typeof apiVersion !== "string" || !apiVersion.includes("/")) return kind;
  return `${apiVersion.slice(0, apiVersion.indexOf("/"))}/${kind}`;
}

/** Checks every object of every input. */
export function checkInputs(inputs: readonly InputText[], options: CheckOptions): CheckReport {
  const report: CheckReport = { findings: [], syntaxErrors: [], checked: {}, skipped: {} };
  const checked: Checked[] = [];
  const place = (object: LoadedObject, issue: Issue): LocatedIssue => ({
    issue,
    origin: `${object.source}:${(object.locate(issue.path) ?? object.position).line}`,
  });

  for (const input of inputs) {
    const { objects, errors } = loadDocuments(input.text, input.name);
    report.syntaxErrors.push(...errors);
    for (const object of objects) {
      const kind = kindOf(object.object);
      if (!isCheckedKind(object.object)) {
        const named = skippedKindName(object.object, kind);
        report.skipped[named] = (report.skipped[named] ?? 0) + 1;
        continue;
      }
      report.checked[kind] = (report.checked[kind] ?? 0) + 1;
      const result = validateObject(object.object, {
        strict: options.strict,
        defaultNamespace: options.defaultNamespace,
      });
      report.findings.push(...result.issues.map((i) => place(object, i)));
      checked.push({ object, ref: result.ref, resource: result.resource });
    }
  }

  const latest = reportDuplicates(checked, report, place);
  if (options.analyze) {
    const resources = [...latest.values()].flatMap((c) => (c.resource === undefined ? [] : [c.resource]));
    const origins = new Map([...latest.entries()].map(([key, c]) => [key, c.object]));
    for (const issue of analyzeResources(resources, { strict: options.strict })) {
      const object = origins.get(objectKey(issue.resource));
      report.findings.push(object === undefined ? { issue } : place(object, issue));
    }
  }
  sortByOrigin(report.findings, inputs);
  return report;
}

/** Input order, then line; findings without a single origin last. The sort is stable. */
function sortByOrigin(findings: LocatedIssue[], inputs: readonly InputText[]): void {
  const order = new Map(inputs.map((input, i) => [input.name, i]));
  const key = (f: LocatedIssue): [number, number] => {
    if (f.origin === undefined) return [inputs.length, 0];
    const colon = f.origin.lastIndexOf(":");
    return [order.get(f.origin.slice(0, colon)) ?? inputs.length, Number(f.origin.slice(colon + 1))];
  };
  findings.sort((a, b) => {
    const [fa, la] = key(a);
    const [fb, lb] = key(b);
    return fa - fb || la - lb;
  });
}

/**
 * The same object twice in one input set: the later definition wins, as `kubectl apply` of the
 * whole set would leave it, and the earlier is reported.
 */
function reportDuplicates(
  checked: readonly Checked[],
  report: CheckReport,
  place: (object: LoadedObject, issue: Issue) => LocatedIssue,
): Map<string, Checked> {
  const latest = new Map<string, Checked>();
  for (const c of checked) {
    const key = objectKey(c.ref);
    const earlier = latest.get(key);
    if (earlier !== undefined) {
      const at = `${c.object.source}:${c.object.position.line}`;
      report.findings.push(place(earlier.object, redefinedIssue(earlier.ref, at)));
    }
    latest.set(key, c);
  }
  return latest;
}

function kindOf(object: unknown): string {
  const kind =
    typeof object === "object" && object !== null ? (object as { kind?: unknown }).kind : undefined;
  return typeof kind === "string" && kind !== "" ? kind : "(no kind)";
}
