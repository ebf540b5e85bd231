/**
 * Delegation (`http[].delegate`), as Istio merges it before binding: a root VirtualService's rule
 * that names a delegate is replaced by the delegate's rules, each with its matches narrowed by the
 * root's (a delegate match must fit inside a root match, else the delegate rule is dropped) and
 * with the root's rewrite, timeout, retries, fault, mirrors, CORS and headers where it sets none.
 * The delegate must exist and be exported to the root's namespace.
 */
import { isExportedTo, namespaceOf, resolveGatewayName } from "../binding";
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from "../model";
import { pathOf } from "../validate/path";
import type { TranslateContext } from "./context";
import type { RuleOrigin } from "./http-route";

/** Where a rule of a merged root VirtualService was written. */
export interface MergedRuleOrigin {
  /** Index of the rule (or of the delegating rule) in the root's `spec.http` as written. */
  readonly rootRuleIndex: number;
  /** For a delegated rule: the delegate and the rule's index there. */
  readonly delegated?: RuleOrigin;
}

/** Root VirtualServices with their delegated rules merged in, and where each merged rule came from. */
export interface ExpandedVirtualServices {
  /** The VirtualServices to bind: roots merged, others unchanged (same objects). */
  readonly virtualServices: readonly VirtualService[];
  /**
   * For each rule of a merged root: its index in the root as written, and for a rule merged from a
   * delegate, the delegate and the rule's index there.
   */
  readonly origins: ReadonlyMap<HTTPRoute, MergedRuleOrigin>;
}

const present = (m: StringMatch | undefined): boolean => m != null;

/** Istio's `stringMatchConflict`: true when `leaf` is not within `root`. */
function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (!present(root) || !present(leaf)) return false;
  const r = root as StringMatch;
  const l = leaf as StringMatch;
  if (r.regex && (l.regex || l.prefix || l.exact)) return true;
  if (l.regex && (r.regex || r.prefix || r.exact)) return true;
  if (r.exact) return Boolean(l.prefix) || l.exact !== r.exact;
  if (r.prefix) {
    if (l.prefix) return !l.prefix.startsWith(r.prefix);
    if (l.exact) return !l.exact.startsWith(r.prefix);
  }
  return true;
}

function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  const fields = ["uri", "scheme", "method", "authority"] as const;
  if (fields.some((f) => stringMatchConflict(root[f], leaf[f]))) return true;
  for (const map of ["headers", "withoutHeaders", "queryParams"] as const) {
    for (const [k, v] of Object.entries(leaf[map] ?? {}))
      if (stringMatchConflict(root[map]?.[k], v)) return true;
  }
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if ((root.port ?? 0) > 0 && (leaf.port ?? 0) > 0 && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {})) {
    if (root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v) return true;
  }
  const rg = root.gateways ?? [];
  const lg = leaf.gateways ?? [];
  if (rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g))))
    return true;
  return false;
}

function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  const name = leaf.name ? (root.name ? `${root.name}-${leaf.name}` : leaf.name) : root.name;
  if (name) out.name = name;
  else delete out.name;
  for (const f of ["uri", "scheme", "method", "authority"] as const)
    if (out[f] == null && root[f] != null) out[f] = root[f];
  for (const f of ["headers", "withoutHeaders", "queryParams", "sourceLabels"] as const) {
    if (root[f] !== undefined || leaf[f] !== undefined)
      out[f] = { ...(root[f] ?? {}), ...(leaf[f] ?? {}) } as never;
  }
  if (!out.port && root.port) out.port = root.port;
  if (!out.sourceNamespace && root.sourceNamespace) out.sourceNamespace = root.sourceNamespace;
  if ((out.gateways ?? []).length === 0 && root.gateways !== undefined) out.gateways = root.gateways;
  if (!out.statPrefix && root.statPrefix) out.statPrefix = root.statPrefix;
  return out;
}

/** The merged matches, or undefined when a delegate match fits inside no root match. */
function mergeMatches(root: HTTPMatchRequest[], leaf: HTTPMatchRequest[]): HTTPMatchRequest[] | undefined {
  if (root.length === 0) return leaf;
  if (leaf.length === 0) return root;
  const out: HTTPMatchRequest[] = [];
  for (const l of leaf) {
    const fits = root.filter((r) => !hasConflict(r, l));
    if (fits.length === 0) return undefined;
    for (const r of fits) out.push(mergeMatch(r, l));
  }
  return out;
}

/**
 * `rule` with the `gateways` of its matches written `namespace/name`, resolved in `namespace`: pilot
 * resolves a VirtualService's short names in its own namespace before it merges a delegate into its
 * root, so a delegate's `gw` is the delegate's namespace's Gateway, not the root's.
 */
function withQualifiedGateways(rule: HTTPRoute, namespace: string): HTTPRoute {
  const matches = rule.match;
  if (matches == null || !matches.some((m) => (m?.gateways ?? []).length > 0)) return rule;
  return {
    ...rule,
    match: matches.map((m) =>
      m?.gateways == null || m.gateways.length === 0
        ? m
        : { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, namespace)) },
    ),
  };
}

function mergeRule(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(
    (root.match ?? []).filter((m): m is HTTPMatchRequest => m != null),
    (leaf.match ?? []).filter((m): m is HTTPMatchRequest => m != null),
  );
  if (match === undefined) return undefined;
  const out: HTTPRoute = { ...leaf };
  if (match.length > 0) out.match = match;
  else delete out.match;
  const name = leaf.name ? (root.name ? `${root.name}-${leaf.name}` : leaf.name) : root.name;
  if (name) out.name = name;
  const inherited = [
    "rewrite",
    "directResponse",
    "timeout",
    "retries",
    "fault",
    "mirror",
    "mirrorPercent",
    "mirrorPercentage",
    "corsPolicy",
    "mirrors",
    "headers",
  ] as const;
  for (const f of inherited)
    if (out[f] === undefined && root[f] !== undefined) (out as Record<string, unknown>)[f] = root[f];
  return out;
}

/** Merges every root VirtualService's delegated rules (reported when a delegate is missing or hidden). */
export function expandDelegates(
  ctx: TranslateContext,
  virtualServices: readonly VirtualService[],
): ExpandedVirtualServices {
  const byKey = new Map<string, VirtualService>();
  for (const vs of virtualServices) {
    const key = `${namespaceOf(vs)}/${vs.metadata?.name ?? ""}`;
    if (!byKey.has(key)) byKey.set(key, vs);
  }
  const origins = new Map<HTTPRoute, MergedRuleOrigin>();
  const out = virtualServices.map((vs) => {
    const rules = vs.spec?.http ?? [];
    if ((vs.spec?.hosts ?? []).length === 0 || !rules.some((r) => r?.delegate != null)) return vs;
    const ns = namespaceOf(vs);
    const merged: HTTPRoute[] = [];
    rules.forEach((rule, i) => {
      if (rule == null) return;
      if (rule.delegate == null) {
        origins.set(rule, { rootRuleIndex: i });
        merged.push(rule);
        return;
      }
      const delegateNs = rule.delegate.namespace || ns;
      const delegate = byKey.get(`${delegateNs}/${rule.delegate.name ?? ""}`);
      const at = pathOf("spec", "http", i, "delegate");
      if (delegate === undefined || (delegate.spec?.hosts ?? []).length > 0) {
        ctx.report(
          vs,
          "IGW6011",
          at,
          `must name a VirtualService without hosts: the rule is skipped (got ${JSON.stringify(`${delegateNs}/${rule.delegate.name ?? ""}`)})`,
        );
        return;
      }
      if (!isExportedTo(delegate.spec?.exportTo, delegateNs, ns)) {
        ctx.report(
          vs,
          "IGW6011",
          at,
          `must name a VirtualService exported to namespace ${JSON.stringify(ns)}: the rule is skipped (got ${JSON.stringify(`${delegateNs}/${rule.delegate.name ?? ""}`)})`,
        );
        return;
      }
      const qualifiedRoot = withQualifiedGateways(rule, ns);
      (delegate.spec?.http ?? []).forEach((leaf, j) => {
        if (leaf == null) return;
        const m = mergeRule(qualifiedRoot, withQualifiedGateways(leaf, delegateNs));
        if (m === undefined) {
          ctx.report(
            delegate,
            "IGW6021",
            pathOf("spec", "http", j, "match"),
            `must fit inside a match of the delegating rule ${JSON.stringify(`${ns}/${vs.metadata?.name ?? ""}`)} spec.http[${i}]: the rule is skipped (got ${JSON.stringify(leaf.match ?? [])})`,
          );
          return;
        }
        origins.set(m, { rootRuleIndex: i, delegated: { owner: delegate, ownerRuleIndex: j } });
        merged.push(m);
      });
    });
    return { ...vs, spec: { ...vs.spec, http: merged } };
  });
  return { virtualServices: out, origins };
}
