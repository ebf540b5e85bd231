/** Collects the findings of the analysis, per resource, in the input order of the resources. */
import type { Resource } from "../model";
import { namespaceOf } from "../binding";
import { analyzeCodes } from "./codes";
import { Reporter } from "../validate/issue";
import type { Issue, ResourceRef, ValidationOptions } from "../validate/issue";

/** The `Kind namespace/name` of a resource as findings name it. */
export function refOf(resource: Resource): ResourceRef {
  return { kind: resource.kind, namespace: namespaceOf(resource), name: resource.metadata?.name ?? "" };
}

/** `Kind namespace/name`, the way messages name another resource. */
export function describe(resource: Resource): string {
  return `${resource.kind} ${namespaceOf(resource)}/${resource.metadata?.name ?? ""}`;
}

/** The code of a finding of the analysis. */
export type AnalyzeCode = keyof typeof analyzeCodes;

/** One reporter per resource; issues come out grouped by resource, in input order. */
export class Findings {
  private readonly reporters = new Map<Resource, Reporter>();

  constructor(
    private readonly resources: readonly Resource[],
    private readonly options: ValidationOptions,
  ) {}

  /** Records a finding about `resource`. */
  report(resource: Resource, code: AnalyzeCode, path: string, message: string): void {
    let reporter = this.reporters.get(resource);
    if (reporter === undefined) {
      reporter = new Reporter(refOf(resource), analyzeCodes, this.options);
      this.reporters.set(resource, reporter);
    }
    reporter.report(code, path, message);
  }

  /** Every finding, resources in input order, each resource's findings in the order reported. */
  issues(): Issue[] {
    const out: Issue[] = [];
    for (const r of this.resources) {
      const reporter = this.reporters.get(r);
      if (reporter !== undefined) {
        out.push(...reporter.issues);
        this.reporters.delete(r);
      }
    }
    return out;
  }
}
