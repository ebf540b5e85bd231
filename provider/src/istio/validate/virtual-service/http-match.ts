/**
 * `http[].match[]` (HTTPMatchRequest): header names and values, string matches, port, source
 * labels, gateways and source namespace.
 */
import type { HTTPMatchRequest } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { headerMatchNameProblem } from "./header-name";
import { checkGatewayNames } from "./gateway-names";
import { checkMatchPort, checkSourceLabels, checkSourceNamespace } from "./l4-match";
import { checkRegexMatch, checkStringMatch } from "./string-match";
import { entriesOf, isRecord, listOf } from "./values";

/** Reports problems of every match of an HTTP route; `path` is the route's `match` list. */
export function checkHTTPMatches(
  report: Report,
  matches: ReadonlyArray<HTTPMatchRequest | null> | null | undefined,
  path: string,
): void {
  listOf(matches).forEach((match, i) => {
    if (isRecord(match)) checkHTTPMatch(report, match, childPath(path, i));
  });
}

function checkHTTPMatch(report: Report, match: HTTPMatchRequest, path: string): void {
  for (const [name, sm] of entriesOf(match.headers)) {
    const where = childPath(childPath(path, "headers"), name);
    if (!isRecord(sm)) {
      report("IGW3061", where, "must be a string match; use {} to match presence (got null)");
    }
    const problem = headerMatchNameProblem(name);
    if (problem !== undefined) report("IGW3060", where, problem);
    checkStringMatch(report, sm, where);
  }
  for (const [name, sm] of entriesOf(match.withoutHeaders)) {
    const where = childPath(childPath(path, "withoutHeaders"), name);
    const problem = headerMatchNameProblem(name);
    if (problem !== undefined) report("IGW3060", where, problem);
    // `regex: "*"` is Envoy's presence match here, not a regular expression.
    if (isRecord(sm) && sm.regex !== "*") checkStringMatch(report, sm, where);
  }
  // Envoy accepts an empty path prefix (it matches everything), but no other empty prefix.
  checkRegexMatch(report, match.uri, childPath(path, "uri"));
  for (const field of ["scheme", "method", "authority"] as const) {
    checkStringMatch(report, match[field], childPath(path, field));
  }
  for (const [name, sm] of entriesOf(match.queryParams)) {
    checkStringMatch(report, sm, childPath(childPath(path, "queryParams"), name));
  }
  checkMatchPort(report, match.port, childPath(path, "port"));
  checkSourceLabels(report, match.sourceLabels, childPath(path, "sourceLabels"));
  checkGatewayNames(report, match.gateways, childPath(path, "gateways"));
  checkSourceNamespace(report, match.sourceNamespace, childPath(path, "sourceNamespace"));
}
