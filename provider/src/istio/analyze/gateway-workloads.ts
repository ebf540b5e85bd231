/**
 * Gateway → workload findings: a selector that selects no Pod (IST0101) and server ports no
 * Service in front of the selected pods exposes (IST0162). They need Pods (and Services) in the
 * input, so they run only when the input has them.
 */
import { listOf } from "../binding/list";
import { namespaceOf, selectorMatches, selectorString } from "../binding";
import type { Gateway, Service } from "../model";
import type { AnalysisContext } from "./context";

/** Runs the selector and port findings. */
export function analyzeGatewayWorkloads(ctx: AnalysisContext): void {
  if (ctx.pods.length === 0 && ctx.services.length === 0) return;
  const servicesByNamespace = new Map<string, Service[]>();
  for (const s of ctx.assumedServices) {
    const ns = namespaceOf(s);
    const list = servicesByNamespace.get(ns);
    if (list === undefined) servicesByNamespace.set(ns, [s]);
    else list.push(s);
  }
  for (const gateway of ctx.gateways) {
    const pods = ctx.selectedPods(gateway);
    if (pods.length === 0) {
      if (ctx.pods.length > 0) {
        ctx.findings.report(
          gateway,
          "IGW4007",
          "spec.selector",
          `selects no Pod in any namespace (got ${JSON.stringify(selectorString(gateway.spec?.selector))})`,
        );
      }
      continue;
    }
    if (ctx.services.length > 0) checkPorts(ctx, gateway, pods, servicesByNamespace);
  }
}

function checkPorts(
  ctx: AnalysisContext,
  gateway: Gateway,
  pods: ReturnType<AnalysisContext["selectedPods"]>,
  servicesByNamespace: ReadonlyMap<string, readonly Service[]>,
): void {
  // Istio accepts a server port that is a Service's targetPort, or its port when targetPort is unset.
  const ports = new Set<number>();
  for (const pod of pods) {
    for (const svc of servicesByNamespace.get(namespaceOf(pod)) ?? []) {
      // Services select pods of their own namespace only; an absent selector selects none here.
      if (svc.spec?.selector === undefined || !selectorMatches(svc.spec.selector, pod.metadata?.labels ?? {}))
        continue;
      for (const p of listOf(svc.spec.ports)) {
        if ((p.protocol ?? "TCP") !== "TCP") continue;
        const target =
          typeof p.targetPort === "number" ? p.targetPort : Number.parseInt(p.targetPort ?? "", 10);
        ports.add(p.port);
        if (Number.isInteger(target) && target !== 0) ports.add(target);
      }
    }
  }
  const selector = JSON.stringify(selectorString(gateway.spec?.selector));
  listOf(gateway.spec?.servers).forEach((server, i) => {
    const number = server?.port?.number;
    if (typeof number !== "number" || ports.has(number)) return;
    ctx.findings.report(
      gateway,
      "IGW4008",
      `spec.servers[${i}].port.number`,
      `is neither a port nor a targetPort of a Service in front of the pods selected by ${selector} (got ${number})`,
    );
  });
}
