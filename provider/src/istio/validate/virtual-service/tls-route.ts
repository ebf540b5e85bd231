/**
 * `spec.tls[]`: routes for unterminated TLS, matched by SNI. Each needs matches with SNI hosts
 * inside the VirtualService's hosts, and destinations.
 */
import type { TLSMatchAttributes, TLSRoute } from "../../model";
import type { RuleContext } from "./context";
import { isIPAddress } from "../../host/dns";
import { subsetOf } from "../../host/name";
import { childPath } from "../path";
import { checkRouteDestinations } from "./destination";
import { hostNameProblem } from "./hosts";
import { checkL4MatchFields } from "./l4-match";
import { isRecord, listOf } from "./values";

function checkSniHost(ctx: RuleContext, sni: string, path: string): void {
  // Istio accepts the auto-passthrough form unless "mesh" is listed, even with no gateways at all.
  const problem = hostNameProblem(sni, !ctx.gateways.includes("mesh"));
  if (problem !== undefined) {
    if (isIPAddress(sni)) {
      ctx.report(
        "IGW3174",
        path,
        `should be a host name: clients do not send IP addresses as SNI, as the TLS standard forbids it (got ${JSON.stringify(sni)})`,
      );
    } else {
      ctx.report("IGW3173", path, problem);
    }
    return;
  }
  if (ctx.hosts.some((h) => subsetOf(sni, h))) return;
  ctx.report(
    "IGW3175",
    path,
    `must be within one of spec.hosts ${JSON.stringify(ctx.hosts)} (got ${JSON.stringify(sni)})`,
  );
}

function checkTLSMatch(ctx: RuleContext, match: TLSMatchAttributes | null, path: string): void {
  if (!isRecord(match)) {
    ctx.report("IGW3170", path, "must be a TLS match with sniHosts (got null)");
    return;
  }
  const sniHosts = listOf(match.sniHosts);
  if (sniHosts.length === 0) {
    ctx.report("IGW3172", childPath(path, "sniHosts"), "must list at least one SNI host (got none)");
  }
  sniHosts.forEach((sni, i) =>
    checkSniHost(ctx, typeof sni === "string" ? sni : String(sni), childPath(childPath(path, "sniHosts"), i)),
  );
  checkL4MatchFields(ctx.report, match, path);
}

/** Reports problems of the TLS route at `path`. */
export function checkTLSRoute(ctx: RuleContext, route: TLSRoute | null, path: string): void {
  if (!isRecord(route)) return;
  const matches = listOf(route.match);
  if (matches.length === 0) {
    ctx.report("IGW3170", childPath(path, "match"), "must have at least one match with sniHosts (got none)");
  }
  matches.forEach((m, i) => checkTLSMatch(ctx, m, childPath(childPath(path, "match"), i)));
  if (listOf(route.route).length === 0) {
    ctx.report("IGW3171", childPath(path, "route"), "required: where to send the connection (got none)");
  }
  checkRouteDestinations(ctx.report, route.route, childPath(path, "route"), ctx.gatewaySemantics);
}
