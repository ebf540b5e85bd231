/**
 * `spec.http[]` (HTTPRoute): exactly one action (route, redirect, directResponse, or delegate on
 * a root VirtualService), and every part of the rule.
 */
import type { HTTPRoute } from "../../model";
import type { RuleContext } from "./context";
import { childPath } from "../path";
import { checkCorsPolicy } from "./cors";
import { checkRouteDestinations } from "./destination";
import { checkDirectResponse } from "./direct-response";
import { validateDuration } from "./duration";
import { checkFault } from "./fault";
import { checkAuthorityRewrite, checkHeaders } from "./headers";
import { checkHTTPMatches } from "./http-match";
import { checkMirrors } from "./mirror";
import { checkRedirect } from "./redirect";
import { checkRetry } from "./retry";
import { checkRewrite } from "./rewrite";
import { isSet, listOf, quote } from "./values";

function describe(route: HTTPRoute): string {
  return typeof route.name === "string" && route.name !== "" ? `route ${quote(route.name)}` : "this route";
}

/** Reports conflicting or missing actions of `route` at `path`. */
function checkActions(ctx: RuleContext, route: HTTPRoute, path: string): void {
  const report = ctx.report;
  const hasRoute = listOf(route.route).length > 0;
  if (!ctx.isDelegate && isSet(route.delegate)) {
    // A root route hands everything to the delegate; only matches may sit beside it.
    if (isSet(route.redirect)) {
      report(
        "IGW3021",
        childPath(path, "redirect"),
        `must not be set when ${describe(route)} sets delegate (got a redirect)`,
      );
    }
    if (hasRoute) {
      report(
        "IGW3021",
        childPath(path, "route"),
        `must not be set when ${describe(route)} sets delegate (got a route)`,
      );
    }
    return;
  }
  if (ctx.isDelegate && isSet(route.delegate)) {
    report(
      "IGW3022",
      childPath(path, "delegate"),
      "must not be set in a delegate VirtualService (one without hosts): delegation is one level deep (got a delegate)",
    );
  }
  const exclusive = (field: string, action: string) =>
    report(
      "IGW3050",
      childPath(path, field),
      `must not be set together with ${action}: a route takes one action (got both)`,
    );
  if (isSet(route.redirect)) {
    if (hasRoute) exclusive("route", "redirect");
    if (isSet(route.fault)) exclusive("fault", "redirect");
    if (isSet(route.rewrite)) exclusive("rewrite", "redirect");
    if (isSet(route.directResponse)) exclusive("directResponse", "redirect");
  } else if (isSet(route.directResponse)) {
    if (hasRoute) exclusive("route", "directResponse");
    if (isSet(route.fault)) exclusive("fault", "directResponse");
    if (isSet(route.rewrite)) exclusive("rewrite", "directResponse");
  } else if (!hasRoute) {
    report(
      "IGW3051",
      path,
      `must set one of route, redirect or directResponse${ctx.isDelegate ? "" : " (or delegate)"}: ${describe(route)} does nothing (got none)`,
    );
  }
  if (isSet(route.mirror) && listOf(route.mirrors).length > 0) {
    report(
      "IGW3052",
      childPath(path, "mirrors"),
      "must not be set together with mirror; list every mirror in mirrors (got both)",
    );
  }
}

/** Reports every problem of the HTTP route at `path`. */
export function checkHTTPRoute(ctx: RuleContext, route: HTTPRoute, path: string): void {
  const report = ctx.report;
  checkActions(ctx, route, path);
  checkHTTPMatches(report, route.match, childPath(path, "match"));
  checkHeaders(report, route.headers, childPath(path, "headers"));
  checkCorsPolicy(report, route.corsPolicy, childPath(path, "corsPolicy"));
  checkFault(report, route.fault, childPath(path, "fault"));
  checkMirrors(report, route, path);
  checkRedirect(report, route.redirect, route.match, childPath(path, "redirect"));
  checkDirectResponse(report, route.directResponse, childPath(path, "directResponse"));
  checkRetry(report, route.retries, childPath(path, "retries"));
  checkRewrite(report, route.rewrite, childPath(path, "rewrite"));
  checkAuthorityRewrite(report, route.rewrite, route.headers, path);
  checkRouteDestinations(report, route.route, childPath(path, "route"), ctx.gatewaySemantics);
  if (isSet(route.timeout)) {
    const problem = validateDuration(route.timeout);
    if (problem !== undefined) report("IGW3120", childPath(path, "timeout"), problem);
  }
}
