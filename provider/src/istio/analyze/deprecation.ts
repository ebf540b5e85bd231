/** Deprecated fields Istio's analyzer flags (IST0002): `http[].fault.delay.percent`. */
import { listOf } from "../binding/list";
import type { AnalysisContext } from "./context";

/** Runs the deprecation finding. */
export function analyzeDeprecations(ctx: AnalysisContext): void {
  for (const vs of ctx.virtualServices) {
    listOf(vs.spec?.http).forEach((route, i) => {
      const percent = route?.fault?.delay?.percent;
      if (typeof percent === "number" && percent > 0) {
        ctx.findings.report(
          vs,
          "IGW4023",
          `spec.http[${i}].fault.delay.percent`,
          `is deprecated: use fault.delay.percentage (got ${percent})`,
        );
      }
    });
  }
}
