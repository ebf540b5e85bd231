/**
 * The hosts of Gateway servers, `[namespace/]dnsName` (Istio's
 * `ValidateNamespaceSlashWildcardHostname` with `isGateway`): which namespaces' VirtualServices may
 * bind, and which host names the server accepts.
 */
import { isDNS1123Label, isIPAddress, validatePartialWildcard, validateWildcardDomain } from "./dns";

/** Which rule a Gateway host breaks. */
export type GatewayHostRule = "empty-part" | "namespace" | "short-name" | "domain" | "partial-wildcard";

/** One problem with a Gateway server host. */
export interface GatewayHostProblem {
  /** The rule broken: a part around `/` is empty, a bad namespace, a short name, bad syntax, a partial wildcard. */
  rule: GatewayHostRule;
  /** The house-style message, without the path. */
  message: string;
}

/**
 * The host name part of a Gateway server host (Istio's `validateSidecarOrGatewayHostnamePart` for
 * gateways): `*` or a name with a dot; valid per {@link validateWildcardDomain} unless it is an IP
 * address; no partial wildcard. Every problem, in Istio's order.
 */
export function validateGatewayHostName(name: string): GatewayHostProblem[] {
  const problems: GatewayHostProblem[] = [];
  if (name !== "*" && !name.includes(".")) {
    problems.push({
      rule: "short-name",
      message: `must be a fully qualified domain name or "*" (got ${JSON.stringify(name)})`,
    });
  }
  const domain = validateWildcardDomain(name);
  if (domain !== undefined && !isIPAddress(name)) problems.push({ rule: "domain", message: domain });
  const partial = validatePartialWildcard(name);
  if (partial !== undefined) problems.push({ rule: "partial-wildcard", message: partial });
  return problems;
}

/**
 * A Gateway server host. The part before the first `/` is a namespace: `*`, `.`, a DNS-1123 label,
 * or `~` when `gatewaySemantics` (the Gateway was generated from the Kubernetes Gateway API).
 * Every problem found, in Istio's order; an empty list when the host is valid.
 */
export function validateGatewayHost(host: string, gatewaySemantics = false): GatewayHostProblem[] {
  const slash = host.indexOf("/");
  if (slash < 0) return validateGatewayHostName(host);
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  const problems: GatewayHostProblem[] = [];
  if (ns.length === 0 || name.length === 0) {
    problems.push({
      rule: "empty-part",
      message: `namespace and host name on either side of "/" must not be empty (got ${JSON.stringify(host)})`,
    });
  }
  if (ns !== "*" && ns !== "." && (ns !== "~" || !gatewaySemantics) && !isDNS1123Label(ns)) {
    problems.push({
      rule: "namespace",
      message: `namespace must be "*", "." or a DNS-1123 label (got ${JSON.stringify(ns)} in ${JSON.stringify(host)})`,
    });
  }
  problems.push(...validateGatewayHostName(name));
  return problems;
}
