/**
 * `analyzeResources`: the cross-resource findings of `istio-gateway analyze`, as `istioctl analyze`
 * reports them for Gateways and VirtualServices, plus the binding findings Istio leaves silent.
 * Per-resource validation is not repeated here; the caller runs it.
 */
import type { Resource } from "../model";
import type { Issue } from "../validate/issue";
import { analyzeConflictingGateways } from "./conflicting-gateways";
import { AnalysisContext } from "./context";
import { analyzeDeprecations } from "./deprecation";
import { analyzeDestinations } from "./destinations";
import { analyzeDuplicateCertificates } from "./duplicate-certificate";
import { analyzeGatewayCredentials } from "./gateway-credentials";
import { analyzeGatewayWorkloads } from "./gateway-workloads";
import { analyzeMeshHosts } from "./mesh-hosts";
import type { AnalyzeOptions } from "./options";
import { analyzeVirtualServiceGateways } from "./virtual-service-gateways";

/**
 * Analyses a set of resources together. Findings come out grouped by resource in input order.
 * Resources of kinds other than Gateway, VirtualService, DestinationRule, ServiceEntry, Secret,
 * Service and Pod are ignored.
 */
export function analyzeResources(resources: readonly Resource[], options: AnalyzeOptions = {}): Issue[] {
  const ctx = new AnalysisContext(resources, options);
  analyzeGatewayWorkloads(ctx);
  analyzeGatewayCredentials(ctx);
  analyzeConflictingGateways(ctx);
  analyzeDuplicateCertificates(ctx);
  analyzeVirtualServiceGateways(ctx);
  analyzeDestinations(ctx);
  analyzeMeshHosts(ctx);
  analyzeDeprecations(ctx);
  return ctx.findings.issues();
}
