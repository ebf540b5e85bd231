/** `spec.tcp[]`: routes for opaque TCP. Each needs destinations; matches are optional. */
import type { TCPRoute } from "../../model";
import type { RuleContext } from "./context";
import { childPath } from "../path";
import { checkRouteDestinations } from "./destination";
import { checkL4MatchFields } from "./l4-match";
import { isRecord, listOf } from "./values";

/** Reports problems of the TCP route at `path`. */
export function checkTCPRoute(ctx: RuleContext, route: TCPRoute | null, path: string): void {
  if (!isRecord(route)) return;
  listOf(route.match).forEach((match, i) => {
    const where = childPath(childPath(path, "match"), i);
    if (!isRecord(match)) ctx.report("IGW3180", where, "must be a TCP match (got null)");
    else checkL4MatchFields(ctx.report, match, where);
  });
  if (listOf(route.route).length === 0) {
    ctx.report("IGW3171", childPath(path, "route"), "required: where to send the connection (got none)");
  }
  checkRouteDestinations(ctx.report, route.route, childPath(path, "route"), ctx.gatewaySemantics);
}
