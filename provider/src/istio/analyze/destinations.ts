/**
 * Destination findings (IST0101): a `subset` no DestinationRule for the host defines, and a host
 * naming a Kubernetes Service that is not in the input. Both need the other kind in the input:
 * subsets are checked when the input has a DestinationRule for the host (one missing from the
 * input may live in the cluster); Service hosts when the input has a Service in the host's
 * namespace and no ServiceEntry covers the host. Other hosts (external
 * names, reachable through ServiceEntries or the outbound policy) are not checked: the input
 * cannot show they are missing.
 */
import { listOf } from "../binding/list";
import { subsetOf } from "../host";
import { isExportedTo, namespaceOf, resolveShortHost } from "../binding";
import type { Destination, RouteDestination, VirtualService } from "../model";
import type { AnalysisContext } from "./context";

/** A destination of a VirtualService with the path of its `destination` object. */
interface PlacedDestination {
  readonly destination: Destination;
  readonly path: string;
  readonly mirror: boolean;
}

/** Every route and mirror destination of a VirtualService, with paths. */
export function destinationsOf(vs: VirtualService): PlacedDestination[] {
  const out: PlacedDestination[] = [];
  const add = (d: Destination | undefined, path: string, mirror: boolean): void => {
    if (d != null && typeof d.host === "string") out.push({ destination: d, path, mirror });
  };
  listOf(vs.spec?.http).forEach((r, i) => {
    listOf(r?.route).forEach((w, j) => add(w?.destination, `spec.http[${i}].route[${j}].destination`, false));
    add(r?.mirror, `spec.http[${i}].mirror`, true);
    listOf(r?.mirrors).forEach((m, j) =>
      add(m?.destination, `spec.http[${i}].mirrors[${j}].destination`, true),
    );
  });
  for (const block of ["tls", "tcp"] as const) {
    listOf<{ route?: RouteDestination[] }>(vs.spec?.[block]).forEach((r, i) =>
      listOf(r?.route).forEach((w, j) =>
        add(w?.destination, `spec.${block}[${i}].route[${j}].destination`, false),
      ),
    );
  }
  return out;
}

const SERVICE_FQDN = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/;

/** Runs the destination findings. */
export function analyzeDestinations(ctx: AnalysisContext): void {
  if (ctx.destinationRules.length === 0 && ctx.services.length === 0) return;
  const subsets = subsetIndex(ctx);
  const services = new Set(ctx.services.map((s) => `${namespaceOf(s)}/${s.metadata?.name ?? ""}`));
  const serviceNamespaces = new Set(ctx.services.map((s) => namespaceOf(s)));
  for (const vs of ctx.virtualServices) {
    const ns = namespaceOf(vs);
    for (const { destination, path, mirror } of destinationsOf(vs)) {
      const host = resolveShortHost(destination.host, ns);
      const subset = destination.subset ?? "";
      if (subsets !== undefined && subset !== "" && subsets.has(host, subset) === false) {
        ctx.findings.report(
          vs,
          "IGW4020",
          `${path}.subset`,
          `is not defined by a DestinationRule for host ${JSON.stringify(host)}${mirror ? " (mirror)" : ""} (got ${JSON.stringify(subset)})`,
        );
      }
      const m = SERVICE_FQDN.exec(host);
      if (m === null || !serviceNamespaces.has(m[2]!)) continue;
      if (services.has(`${m[2]}/${m[1]}`)) continue;
      if (coveredByServiceEntry(ctx, host, ns)) continue;
      ctx.findings.report(
        vs,
        "IGW4021",
        `${path}.host`,
        `names Service ${m[2]}/${m[1]}, which is not in the input, and no ServiceEntry has the host (got ${JSON.stringify(destination.host)})`,
      );
    }
  }
}

function coveredByServiceEntry(ctx: AnalysisContext, host: string, viewer: string): boolean {
  for (const se of ctx.serviceEntries) {
    const own = namespaceOf(se);
    if (!isExportedTo(se.spec?.exportTo, own, viewer)) continue;
    if (listOf(se.spec?.hosts).some((h) => subsetOf(host, resolveShortHost(h, own)))) return true;
  }
  return false;
}

/**
 * Subsets by DestinationRule host: exact hosts in a map, wildcard hosts scanned. `has` is undefined
 * when no DestinationRule of the input applies to the host.
 */
function subsetIndex(
  ctx: AnalysisContext,
): { has(host: string, subset: string): boolean | undefined } | undefined {
  if (ctx.destinationRules.length === 0) return undefined;
  const exact = new Map<string, Set<string>>();
  const wildcard: Array<{ host: string; subsets: Set<string> }> = [];
  for (const dr of ctx.destinationRules) {
    const host = resolveShortHost(dr.spec?.host ?? "", namespaceOf(dr));
    const names = new Set(listOf(dr.spec?.subsets).map((s) => s?.name ?? ""));
    if (host.startsWith("*")) wildcard.push({ host, subsets: names });
    else {
      const set = exact.get(host);
      if (set === undefined) exact.set(host, names);
      else for (const n of names) set.add(n);
    }
  }
  return {
    has(host: string, subset: string): boolean | undefined {
      const own = exact.get(host);
      if (own?.has(subset)) return true;
      let applies = own !== undefined;
      for (const w of wildcard) {
        if (!subsetOf(host, w.host)) continue;
        if (w.subsets.has(subset)) return true;
        applies = true;
      }
      return applies ? false : undefined;
    },
  };
}
