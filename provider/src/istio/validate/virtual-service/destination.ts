/**
 * Destinations and weights of `http[].route`, `tls[].route` and `tcp[].route`, and the
 * destination of mirrors: a valid service host (never `*`), a DNS-label subset, a port in range,
 * weights that are not negative and, with several destinations, not all zero.
 */
import type { Destination, HTTPRouteDestination, RouteDestination } from "../../model";
import type { Report } from "./context";
import { isDNS1123Label, validateWildcardDomain } from "../../host/dns";
import { childPath } from "../path";
import { checkHeaders } from "./headers";
import { isRecord, isSet, numberOr0, quote } from "./values";

/** Reports what is wrong with `destination` at `path` (host, subset, port). */
export function checkDestination(
  report: Report,
  destination: Destination | null | undefined,
  path: string,
): void {
  if (!isRecord(destination)) return;
  const host = typeof destination.host === "string" ? destination.host : "";
  const hostPath = childPath(path, "host");
  if (host === "*") {
    report("IGW3081", hostPath, 'must name a service, not "*" (got "*")');
  } else {
    const problem = validateWildcardDomain(host);
    if (problem !== undefined) report("IGW3081", hostPath, problem);
  }
  if (
    typeof destination.subset === "string" &&
    destination.subset !== "" &&
    !isDNS1123Label(destination.subset)
  ) {
    report(
      "IGW3082",
      childPath(path, "subset"),
      `must be a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters (got ${quote(destination.subset)})`,
    );
  }
  if (isSet(destination.port)) {
    const number = isRecord(destination.port) ? numberOr0(destination.port.number) : 0;
    if (!isPortNumber(number)) {
      report(
        "IGW3083",
        childPath(childPath(path, "port"), "number"),
        `must be an integer from 1 to 65535 (got ${number})`,
      );
    }
  }
}

/** True for an integer from 1 to 65535. */
export function isPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Reports problems of a route's destination list at `path` (`spec.http[0].route`): null entries,
 * missing destinations, invalid destinations and weights, per-destination header operations
 * (HTTP only), and a zero total weight over several destinations. `skipDestinations` leaves the
 * destinations themselves unchecked (Gateway API routes, whose backends are checked elsewhere).
 */
export function checkRouteDestinations(
  report: Report,
  route: ReadonlyArray<HTTPRouteDestination | RouteDestination | null> | null | undefined,
  path: string,
  skipDestinations = false,
): void {
  if (!Array.isArray(route)) return;
  let total = 0;
  route.forEach((entry, i) => {
    const entryPath = childPath(path, i);
    if (!isRecord(entry)) {
      report("IGW3080", entryPath, "must be a destination with an optional weight (got null)");
      return;
    }
    if (!isSet(entry.destination)) {
      report(
        "IGW3080",
        childPath(entryPath, "destination"),
        "required: the service to send to (got nothing)",
      );
    }
    if ("headers" in entry) checkHeaders(report, entry.headers, childPath(entryPath, "headers"));
    if (!skipDestinations) checkDestination(report, entry.destination, childPath(entryPath, "destination"));
    const weight = numberOr0(entry.weight);
    if (weight < 0) report("IGW3084", childPath(entryPath, "weight"), `must not be negative (got ${weight})`);
    total += weight;
  });
  if (route.length > 1 && total === 0) {
    report(
      "IGW3085",
      path,
      `must give some destination a weight above 0 when there are several: weights are relative shares (got total 0 over ${route.length} destinations)`,
    );
  }
}
