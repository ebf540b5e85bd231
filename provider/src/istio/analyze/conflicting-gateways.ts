/**
 * Conflicting Gateways (IST0145): two Gateways on the same workloads with a server on the same
 * port, an identical host string and the same `bind`. As Istio decides it: the same selector
 * string, or selectors one of whose strings contains the other and that select a common Pod;
 * hosts compared as written, protocols ignored.
 */
import { listOf } from "../binding/list";
import { keyOf, selectorMatches, selectorString } from "../binding";
import type { Gateway } from "../model";
import type { AnalysisContext } from "./context";
import { kindList } from "./names-list";

/** selector -> port -> host -> bind -> gateway keys. */
type ServerIndex = Map<string, Map<number, Map<string, Map<string, Set<string>>>>>;

const newMap = <K, V>(): Map<K, V> => new Map<K, V>();
const newSet = (): Set<string> => new Set<string>();

function at<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/** Runs the conflicting-gateway finding. */
export function analyzeConflictingGateways(ctx: AnalysisContext): void {
  const index: ServerIndex = new Map();
  const selectorOf = new Map<Gateway, string>();
  for (const gw of ctx.gateways) {
    const selector = selectorString(gw.spec?.selector);
    selectorOf.set(gw, selector);
    const key = keyOf(gw);
    for (const server of listOf(gw.spec?.servers)) {
      const port = server?.port?.number;
      if (typeof port !== "number") continue;
      const byHost = at(at(index, selector, newMap), port, newMap) as Map<string, Map<string, Set<string>>>;
      for (const h of listOf(server.hosts)) {
        at(at(byHost, h, newMap) as Map<string, Set<string>>, server.bind ?? "", newSet).add(key);
      }
    }
  }
  const related = relatedSelectors(ctx, [...index.keys()]);
  for (const gw of ctx.gateways) {
    const key = keyOf(gw);
    const selector = selectorOf.get(gw)!;
    listOf(gw.spec?.servers).forEach((server, i) => {
      const port = server?.port?.number;
      if (typeof port !== "number") return;
      const others = new Set<string>();
      const hosts = new Set<string>();
      for (const s of related.get(selector) ?? [selector]) {
        const byHost = index.get(s)?.get(port);
        if (byHost === undefined) continue;
        for (const h of listOf(server.hosts)) {
          for (const other of byHost.get(h)?.get(server.bind ?? "") ?? []) {
            if (other === key) continue;
            others.add(other);
            hosts.add(h);
          }
        }
      }
      if (others.size === 0) return;
      ctx.findings.report(
        gw,
        "IGW4003",
        `spec.servers[${i}]`,
        `serves port ${port} and hosts ${JSON.stringify([...hosts])} with the same bind as ${kindList("Gateway", [...others])} on the same workloads (got selector ${JSON.stringify(selector)})`,
      );
    });
  }
}

/**
 * For each selector string, the selector strings it conflicts with: itself, and those one of whose
 * strings contains the other and that select a common Pod (only the input's Pods and the assumed
 * default ingress pod can show that).
 */
function relatedSelectors(ctx: AnalysisContext, selectors: readonly string[]): Map<string, string[]> {
  const related = new Map<string, Set<string>>(selectors.map((s) => [s, new Set([s])]));
  if (ctx.pods.length === 0 || selectors.length < 2)
    return new Map([...related].map(([k, v]) => [k, [...v]]));
  const parsed = new Map(selectors.map((s) => [s, parseSelector(s)]));
  for (const pod of ctx.assumedPods) {
    const labels = pod.metadata?.labels ?? {};
    const matching = selectors.filter((s) => selectorMatches(parsed.get(s), labels));
    for (const a of matching) {
      for (const b of matching) if (a !== b && (a.includes(b) || b.includes(a))) related.get(a)!.add(b);
    }
  }
  return new Map([...related].map(([k, v]) => [k, [...v]]));
}

function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (s === "") return out;
  for (const pair of s.split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
