/**
 * `spec.hosts`: each a DNS name, wildcard name, short service name or IP address; `*` only when
 * the VirtualService applies to gateways alone; no two overlapping.
 */
import type { Report, RuleContext } from "./context";
import { isIPAddress, validateGatewayBoundVirtualServiceHost, validateWildcardDomain } from "../../host/dns";
import { matches } from "../../host/name";
import { childPath } from "../path";

/**
 * Why `host` is not a valid VirtualService host or SNI name, or undefined: Istio's
 * `ValidateWildcardDomain`, and for VirtualServices bound to gateways alone and using SNI, also
 * the auto-passthrough form `outbound_.<PORT>_._.<HOSTNAME>`. IP addresses are not accepted here
 * (callers decide what an IP means).
 */
export function hostNameProblem(host: string, allowAutoPassthrough: boolean): string | undefined {
  return allowAutoPassthrough
    ? validateGatewayBoundVirtualServiceHost(true, host)
    : validateWildcardDomain(host);
}

/** Reports invalid, forbidden and overlapping entries of `spec.hosts`. */
export function checkHosts(ctx: RuleContext, path: string): void {
  const report: Report = ctx.report;
  let allValid = true;
  ctx.hosts.forEach((host, i) => {
    const where = childPath(path, i);
    const problem = hostNameProblem(host, ctx.appliesToGateway && ctx.hasSniHosts);
    if (problem !== undefined) {
      if (!isIPAddress(host)) {
        report("IGW3001", where, problem);
        allValid = false;
      }
    } else if (ctx.appliesToMesh && host === "*") {
      report(
        "IGW3002",
        where,
        'must not be "*" when the VirtualService applies to the mesh (gateways empty or listing "mesh") (got "*")',
      );
      allValid = false;
    }
  });
  // Overlaps are only meaningful between valid names.
  if (!allValid) return;
  for (let i = 0; i < ctx.hosts.length; i++) {
    for (let j = i + 1; j < ctx.hosts.length; j++) {
      if (matches(ctx.hosts[i], ctx.hosts[j])) {
        report(
          "IGW3003",
          childPath(path, j),
          `must not overlap ${childPath(path, i)} ${JSON.stringify(ctx.hosts[i])}: each request host must select one rule set (got ${JSON.stringify(ctx.hosts[j])})`,
        );
      }
    }
  }
}
