/** What every translation step shares: the proxy's identity and the findings being collected. */
import { namespaceOf } from "../binding";
import type { Issue, ResourceRef, ValidationOptions } from "../validate/issue";
import { Reporter } from "../validate/issue";
import { translateCodes } from "./codes";

/** A resource findings can be about. */
export interface Reportable {
  /** Its kind. */
  readonly kind: string;
  /** Its metadata. */
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

/** The proxy a configuration is built for, and the findings of the build. */
export class TranslateContext {
  private readonly reporters = new Map<Reportable, Reporter>();
  private readonly order: Reporter[] = [];
  private readonly seen = new Set<string>();

  constructor(
    /** The proxy pod's namespace: `exportTo` and `credentialName` are resolved against it. */
    readonly proxyNamespace: string,
    /** The proxy pod's labels: Gateway selectors and `sourceLabels` are matched against them. */
    readonly proxyLabels: Readonly<Record<string, string>>,
    private readonly options: ValidationOptions = {},
  ) {}

  /**
   * Records a finding about `resource` at `path`, once: a rule built for several servers reports
   * the same problem only once.
   */
  report(resource: Reportable, code: keyof typeof translateCodes, path: string, message: string): void {
    const key = JSON.stringify([
      resource.kind,
      namespaceOf(resource),
      resource.metadata?.name,
      code,
      path,
      message,
    ]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    let reporter = this.reporters.get(resource);
    if (reporter === undefined) {
      const ref: ResourceRef = {
        kind: resource.kind,
        namespace: namespaceOf(resource),
        name: resource.metadata?.name ?? "",
      };
      reporter = new Reporter(ref, translateCodes, this.options);
      this.reporters.set(resource, reporter);
      this.order.push(reporter);
    }
    reporter.report(code, path, message);
  }

  /** Every finding, grouped by resource in the order resources were first reported. */
  issues(): Issue[] {
    return this.order.flatMap((r) => r.issues);
  }
}
