/**
 * The binding check between the Gateways and VirtualServices declared in one program: the core's
 * cross-resource analysis (`analyzeResources`, strict: the findings that silently break traffic are
 * errors), run by whichever of a VirtualService and its Gateway became known later.
 */
import { analyzeResources } from "../istio/analyze";
import type { Resource } from "../istio/model";
import type { Issue } from "../istio/validate";
import type { Declared, StackDeclarations } from "./declarations";
import { gatewayKeys } from "./declarations";

/**
 * Codes the pairwise analysis cannot decide: a missing Gateway may be declared later or live in
 * the cluster (the VirtualService warns about it itself), and a delegate VirtualService may too.
 */
const UNDECIDABLE = new Set(["IGW4001", "IGW4017"]);

/**
 * Codes that compare a route with every Gateway it names (`match.port`): decidable only once all of
 * them are declared.
 */
const NEEDS_ALL_GATEWAYS = new Set(["IGW4015"]);

/** The findings about `vs` against the Gateways it names that are declared (all of them, or without `except`). */
function analyze(declarations: StackDeclarations, vs: Declared, except?: string): Issue[] {
  const keys = gatewayKeys(vs.object).filter((k): k is string => k !== undefined);
  const gateways = [...new Set(keys)]
    .filter((k) => k !== except)
    .map((k) => declarations.gateways.get(k))
    .filter((g): g is Declared => g !== undefined);
  const complete = keys.every((k) => k !== except && declarations.gateways.has(k));
  const issues = analyzeResources([...gateways.map((g) => g.object), vs.object] as unknown as Resource[], {
    strict: true,
  });
  return issues.filter(
    (i) =>
      i.resource.kind === "VirtualService" &&
      !UNDECIDABLE.has(i.code) &&
      (complete || !NEEDS_ALL_GATEWAYS.has(i.code)),
  );
}

/** Findings about a VirtualService that just became known, against the declared Gateways it names. */
export function virtualServiceBindingIssues(declarations: StackDeclarations, vs: Declared): Issue[] {
  return analyze(declarations, vs);
}

/**
 * Findings about a VirtualService that the Gateway `gateway`, just known, brings: those of the
 * analysis with the Gateway that the analysis without it did not have.
 */
export function gatewayBindingIssues(
  declarations: StackDeclarations,
  gateway: Declared,
  vs: Declared,
): Issue[] {
  const before = new Set(analyze(declarations, vs, gateway.key).map(keyOf));
  return analyze(declarations, vs).filter((i) => !before.has(keyOf(i)));
}

function keyOf(i: Issue): string {
  return `${i.code}\u0000${i.path}\u0000${i.message}`;
}
