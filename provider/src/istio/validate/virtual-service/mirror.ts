/** `http[].mirror`, `mirrorPercent(age)` and `mirrors[]`: valid destinations and percentages. */
import type { HTTPRoute } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { checkDestination } from "./destination";
import { isRecord, isSet, listOf, numberOr0 } from "./values";

function checkPercent(report: Report, value: number, path: string): void {
  if (value > 100 || value < 0) report("IGW3152", path, `must be from 0 to 100 (got ${value})`);
}

/** Reports problems of the mirror fields of `route` at `path` (the route's path). */
export function checkMirrors(report: Report, route: HTTPRoute, path: string): void {
  if (isSet(route.mirrorPercent)) {
    const where = childPath(path, "mirrorPercent");
    const value = numberOr0(route.mirrorPercent);
    if (value > 100) report("IGW3150", where, `must be at most 100 (got ${value})`);
    report("IGW3151", where, `is deprecated; use mirrorPercentage: {value: ${value}} (got ${value})`);
  }
  if (isRecord(route.mirrorPercentage)) {
    checkPercent(
      report,
      numberOr0(route.mirrorPercentage.value),
      childPath(childPath(path, "mirrorPercentage"), "value"),
    );
  }
  checkDestination(report, route.mirror, childPath(path, "mirror"));
  listOf(route.mirrors).forEach((mirror, i) => {
    const where = childPath(childPath(path, "mirrors"), i);
    if (!isRecord(mirror)) {
      report("IGW3153", where, "must be a mirror policy with a destination (got null)");
      return;
    }
    if (!isRecord(mirror.destination)) {
      report(
        "IGW3153",
        childPath(where, "destination"),
        "required: the service to copy requests to (got nothing)",
      );
      return;
    }
    checkDestination(report, mirror.destination, childPath(where, "destination"));
    if (isRecord(mirror.percentage)) {
      checkPercent(
        report,
        numberOr0(mirror.percentage.value),
        childPath(childPath(where, "percentage"), "value"),
      );
    }
  });
}
