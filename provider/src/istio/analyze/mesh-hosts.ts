/**
 * Conflicting mesh VirtualService hosts (IST0109): two VirtualServices bound to `mesh` define the
 * same host for the same export scope; a host exported to every namespace also conflicts with
 * scoped hosts it matches. Sidecars then pick one VirtualService arbitrarily.
 */
import { listOf, stringsOf } from "../binding/list";
import { ServerHostIndex, effectiveGateways, namespaceOf } from "../binding";
import type { IndexedServerHost } from "../binding";
import { matches } from "../host";
import type { VirtualService } from "../model";
import type { AnalysisContext } from "./context";
import { describe } from "./findings";
import { kindList } from "./names-list";

interface HostUse {
  readonly vs: VirtualService;
  readonly hostIndex: number;
  readonly host: string;
}

/** As Istio's analyzer qualifies a host: names without a dot gain `.<namespace>.svc.cluster.local`. */
function toFQDN(host: string, namespace: string): string {
  return host.startsWith("*") || host.includes(".") ? host : `${host}.${namespace}.svc.cluster.local`;
}

/** Runs the conflicting mesh host finding. */
export function analyzeMeshHosts(ctx: AnalysisContext): void {
  const byScopedHost = new Map<string, HostUse[]>();
  const global: string[] = [];
  for (const vs of ctx.virtualServices) {
    if (!effectiveGateways(vs).includes("mesh")) continue;
    const ns = namespaceOf(vs);
    const exportTo = stringsOf(vs.spec?.exportTo);
    const scopes =
      exportTo.length === 0 || exportTo.includes("*")
        ? ["*"]
        : [...new Set(exportTo.map((e) => (e === "." ? ns : e)))];
    for (const scope of scopes) {
      listOf(vs.spec?.hosts).forEach((h, hostIndex) => {
        if (typeof h !== "string") return;
        const host = toFQDN(h, ns);
        const key = `${scope}/${host}`;
        let list = byScopedHost.get(key);
        if (list === undefined) {
          byScopedHost.set(key, (list = []));
          if (scope === "*") global.push(host);
        }
        if (!list.some((u) => u.vs === vs)) list.push({ vs, hostIndex, host });
      });
    }
  }
  const globalIndex = new ServerHostIndex([global]);
  const reported = new Set<VirtualService>();
  const candidates: IndexedServerHost[] = [];
  for (const [key, own] of byScopedHost) {
    const slash = key.indexOf("/");
    const scope = key.slice(0, slash);
    const host = key.slice(slash + 1);
    let list = own;
    if (scope !== "*") {
      const extra: HostUse[] = [];
      candidates.length = 0;
      globalIndex.candidates(host, "", candidates);
      for (const c of candidates) if (matches(host, c.name)) extra.push(...byScopedHost.get(`*/${c.name}`)!);
      list = [...own, ...extra.filter((u) => !own.some((o) => o.vs === u.vs))];
    }
    if (list.length < 2) continue;
    for (const use of list) {
      if (reported.has(use.vs)) continue;
      reported.add(use.vs);
      const others = list
        .filter((u) => u.vs !== use.vs)
        .map((u) => describe(u.vs).slice("VirtualService ".length));
      ctx.findings.report(
        use.vs,
        "IGW4022",
        `spec.hosts[${use.hostIndex}]`,
        `is also a host of mesh ${kindList("VirtualService", others)} for the same namespaces, so sidecars use one of them arbitrarily (got ${JSON.stringify(use.vs.spec.hosts![use.hostIndex])})`,
      );
    }
  }
}
