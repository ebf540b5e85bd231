/**
 * Findings are data: every rule, in the pure core, the components, the proxy and the command line,
 * reports an {@link Issue}; rendering is a separate step (see `render.ts`).
 */

/** How bad a finding is, with Istio's meaning: an error rejects the resource, a warning does not. */
export const Severity = {
  Error: "error",
  Warning: "warning",
  Info: "info",
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** The resource a finding is about, as `istioctl` names it: `Kind namespace/name`. */
export interface ResourceRef {
  /** The resource's `kind`, e.g. `Gateway` or `VirtualService`. */
  kind: string;
  /** `metadata.namespace`, or `default` when the resource does not say. */
  namespace: string;
  /** `metadata.name`; empty when the resource has none (itself a finding). */
  name: string;
}

/** One finding of a rule about one place in one resource. */
export interface Issue {
  /** `error` fails validation (exit code 1, a failed preview); `warning` and `info` do not. */
  severity: Severity;
  /** Our stable code (`IGW2101`); documented in the README, never reused for another rule. */
  code: string;
  /** Istio's message code (`IST0101`) where Istio reports the same condition with one. */
  istioCode?: string;
  /** The resource the finding is about. */
  resource: ResourceRef;
  /** Path rooted at the resource, in the resource's own field names: `spec.servers[0].tls.privateKey`. */
  path: string;
  /** What is wrong, in the house style: lowercase, no trailing period, values JSON-quoted. */
  message: string;
}

/** The catalogue entry of one code: what every finding with that code shares. */
export interface CodeInfo {
  /** Severity in Istio's own verdict. */
  severity: Severity;
  /** Istio's analyzer code, when Istio has one for this condition. */
  istioCode?: string;
  /** A warning that silently breaks traffic: `--strict` (and the components) report it as an error. */
  strict?: boolean;
  /** One line for the README's table of codes. */
  summary: string;
}

/** A table of codes, keyed by code. Each rule module defines its own; `codes.ts` joins them. */
export type CodeTable = Readonly<Record<string, CodeInfo>>;

/** Declares a code table, keeping the literal keys so a typo in a code is a type error. */
export function defineCodes<const T extends Record<string, CodeInfo>>(table: T): Readonly<T> {
  return Object.freeze(table);
}

/** `istioctl analyze`'s code for an object its validating webhook (or schema) rejects. */
export const SCHEMA_VALIDATION_ERROR = "IST0106";
/** `istioctl analyze`'s code for a warning of its validating webhook. */
export const SCHEMA_WARNING = "IST0133";

/**
 * Declares the codes of single-resource (webhook and schema) rules: where a code names no more
 * specific Istio code, it gets the one `istioctl analyze` reports such findings with — IST0106
 * for errors, IST0133 for warnings.
 */
export function defineWebhookCodes<const T extends Record<string, CodeInfo>>(
  table: T,
): Readonly<Record<keyof T, CodeInfo>> {
  const filled: Record<string, CodeInfo> = {};
  for (const [code, info] of Object.entries(table)) {
    const generic = info.severity === Severity.Error ? SCHEMA_VALIDATION_ERROR : SCHEMA_WARNING;
    filled[code] =
      info.istioCode === undefined && info.severity !== Severity.Info
        ? { ...info, istioCode: generic }
        : info;
  }
  return Object.freeze(filled) as Readonly<Record<keyof T, CodeInfo>>;
}

/** Options every validation entry point accepts. */
export interface ValidationOptions {
  /** Report the warnings marked `strict` in the code tables as errors. */
  strict?: boolean;
}

/**
 * Collects the findings of one resource. Rules call {@link Reporter.report} with a code from a
 * table; severity and Istio code come from the table, so a rule cannot disagree with the README.
 */
export class Reporter {
  readonly issues: Issue[] = [];

  constructor(
    readonly resource: ResourceRef,
    private readonly table: CodeTable,
    private readonly options: ValidationOptions = {},
  ) {}

  /** Records a finding with `code` at `path`. */
  report(code: string, path: string, message: string): void {
    const info = this.table[code];
    if (info === undefined) throw new Error(`unknown issue code ${code}`);
    const severity = info.strict && this.options.strict ? Severity.Error : info.severity;
    const issue: Issue = { severity, code, resource: this.resource, path, message };
    if (info.istioCode !== undefined) issue.istioCode = info.istioCode;
    this.issues.push(issue);
  }
}

/** True when any finding is an error. */
export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === Severity.Error);
}
