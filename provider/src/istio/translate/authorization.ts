/**
 * AuthorizationPolicies -> the RBAC filters of one gateway proxy, as istiod builds them
 * (`pilot/pkg/model/authorization.go` picks the policies, `pilot/pkg/security/authz/builder` and
 * `.../model` turn each rule into an Envoy RBAC policy):
 *
 * - A policy applies when it is in the root namespace (`istio-system`: the whole mesh) or in the
 *   proxy's namespace, has no `targetRef(s)` (those never select a classic Gateway's deployment),
 *   and its `selector.matchLabels` are contained in the proxy's labels (no selector: all).
 * - Each rule becomes a policy named `ns[<ns>]-policy[<name>]-rule[<i>]`: any permission (`to`)
 *   and any principal (`from`) must match, `when` adding to both. A policy without rules matches
 *   nothing.
 * - On TCP chains, an ALLOW rule with an HTTP-only field (hosts, methods, paths, request headers,
 *   request principals, `request.auth.*`) is dropped, so it allows nothing; a DENY rule drops the
 *   HTTP-only fields instead, so it denies more (Istio's `checkError`).
 * - CUSTOM needs an external authorizer the proxy does not have: an error, which refuses the
 *   configuration (see config-loader.ts). Dry-run policies are not enforced, AUDIT ones never
 *   change a decision.
 */
import { namespaceOf } from "../binding";
import type { AuthorizationPolicy, Condition, Operation, Resource, Rule, Source } from "../model";
import { DRY_RUN_ANNOTATION } from "../validate/metadata";
import { pathOf } from "../validate/path";
import type { TranslateContext } from "./context";
import { policyScope } from "./policy-scope";
import type {
  RbacAttribute,
  RbacCondition,
  RbacConfig,
  RbacFilter,
  RbacPolicy,
  RbacPolicyRef,
} from "./proxy-config";

/** What Go's `strconv.ParseBool` reads as true, as Istio reads the dry-run annotation. */
const TRUE_WORDS = new Set(["1", "t", "T", "true", "TRUE", "True"]);

/** Attributes Envoy's network RBAC filter cannot see: they exist in HTTP only. */
const HTTP_ONLY: ReadonlySet<RbacAttribute> = new Set<RbacAttribute>([
  "host",
  "method",
  "path",
  "request.headers",
]);

/** `when` keys by the attribute they name. */
const WHEN_KEYS: Readonly<Record<string, RbacAttribute>> = {
  "source.ip": "source.ip",
  "remote.ip": "remote.ip",
  "source.namespace": "source.namespace",
  "source.serviceAccount": "source.serviceAccount",
  "source.trustDomain": "source.trustDomain",
  "source.principal": "source.principal",
  "destination.ip": "destination.ip",
  "destination.port": "destination.port",
  "connection.sni": "connection.sni",
};

/** The `when` keys of the validated JWT's attributes (claims, with their path, aside). */
const JWT_KEYS: Readonly<Record<string, RbacAttribute>> = {
  "request.auth.principal": "request.auth.principal",
  "request.auth.audiences": "request.auth.audiences",
  "request.auth.presenter": "request.auth.presenter",
};

/** A condition with what decides where it goes and whether TCP keeps it. */
interface Built {
  /** The condition. */
  readonly condition: RbacCondition;
  /** HTTP only (including the request's JWT attributes, which Istio treats so). */
  readonly httpOnly: boolean;
  /** From `from` or a source key of `when` (a principal), else a permission. */
  readonly principal: boolean;
}

function condition(
  attribute: RbacAttribute,
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  header?: string,
): RbacCondition {
  return {
    attribute,
    ...(header === undefined ? {} : { header }),
    values: [...(values ?? [])],
    notValues: [...(notValues ?? [])],
  };
}

function hasAny(values: readonly string[] | undefined, notValues: readonly string[] | undefined): boolean {
  return (values?.length ?? 0) > 0 || (notValues?.length ?? 0) > 0;
}

/** The conditions of a `when` entry, or undefined for a key the proxy does not know. */
function whenCondition(c: Condition, policyNamespace: string): Built | undefined {
  const values = c.values;
  const notValues = c.notValues;
  // Own keys only: a key such as "constructor" is no attribute.
  const known = Object.hasOwn(WHEN_KEYS, c.key) ? WHEN_KEYS[c.key] : undefined;
  if (known !== undefined) {
    const principal = known.startsWith("source.") || known === "remote.ip";
    const v = known === "source.serviceAccount" ? qualify(values, policyNamespace) : values;
    const nv = known === "source.serviceAccount" ? qualify(notValues, policyNamespace) : notValues;
    return { condition: condition(known, v, nv), httpOnly: false, principal };
  }
  const header = /^request\.headers\[(.+)\]$/.exec(c.key);
  if (header !== null) {
    return {
      condition: condition("request.headers", values, notValues, header[1]),
      httpOnly: true,
      principal: true,
    };
  }
  const auth = Object.hasOwn(JWT_KEYS, c.key) ? JWT_KEYS[c.key] : undefined;
  if (auth !== undefined) {
    return { condition: condition(auth, values, notValues), httpOnly: true, principal: true };
  }
  const claim = /^request\.auth\.claims((?:\[[^[\]]+\])+)$/.exec(c.key);
  if (claim !== null) {
    const path = [...claim[1]!.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1]!);
    return {
      condition: { ...condition("request.auth.claims", values, notValues), claim: path },
      httpOnly: true,
      principal: true,
    };
  }
  if (c.key.startsWith("experimental.envoy.filters.")) {
    return { condition: condition("unavailable", values, notValues), httpOnly: false, principal: false };
  }
  return undefined;
}

/** Service accounts as `namespace/name`, the policy's namespace where a value names none. */
function qualify(values: readonly string[] | undefined, namespace: string): string[] | undefined {
  return values?.map((v) => (v.includes("/") ? v : `${namespace}/${v}`));
}

function sourceConditions(s: Source, policyNamespace: string): Built[] {
  const out: Built[] = [];
  const add = (
    attribute: RbacAttribute,
    v: string[] | undefined,
    nv: string[] | undefined,
    httpOnly = false,
  ) => {
    if (hasAny(v, nv)) out.push({ condition: condition(attribute, v, nv), httpOnly, principal: true });
  };
  // Istio's order (insertFront): principal, request principal, service account, trust domain,
  // namespace, remote IP, IP. Order changes nothing but what a debug dump shows.
  add("source.principal", s.principals, s.notPrincipals);
  add("request.auth.principal", s.requestPrincipals, s.notRequestPrincipals, true);
  add(
    "source.serviceAccount",
    qualify(s.serviceAccounts, policyNamespace),
    qualify(s.notServiceAccounts, policyNamespace),
  );
  add("source.trustDomain", s.trustDomains, s.notTrustDomains);
  add("source.namespace", s.namespaces, s.notNamespaces);
  add("remote.ip", s.remoteIpBlocks, s.notRemoteIpBlocks);
  add("source.ip", s.ipBlocks, s.notIpBlocks);
  return out;
}

function operationConditions(o: Operation): Built[] {
  const out: Built[] = [];
  const add = (attribute: RbacAttribute, v: string[] | undefined, nv: string[] | undefined) => {
    if (hasAny(v, nv))
      out.push({
        condition: condition(attribute, v, nv),
        httpOnly: HTTP_ONLY.has(attribute),
        principal: false,
      });
  };
  add("host", o.hosts, o.notHosts);
  add("method", o.methods, o.notMethods);
  add("path", o.paths, o.notPaths);
  add("destination.port", o.ports, o.notPorts);
  return out;
}

/**
 * One rule as an Envoy policy for HTTP or TCP; undefined when it is dropped (an ALLOW rule with an
 * HTTP-only field on TCP, or a `when` key the proxy does not know).
 */
function buildRule(
  rule: Rule,
  name: string,
  namespace: string,
  forTCP: boolean,
  allow: boolean,
): RbacPolicy | undefined {
  const basePermission: Built[] = [];
  const basePrincipal: Built[] = [];
  for (const c of rule.when ?? []) {
    const built = whenCondition(c, namespace);
    if (built === undefined) return undefined;
    (built.principal ? basePrincipal : basePermission).push(built);
  }
  const principalSets = (rule.from ?? []).map((f) => [
    ...sourceConditions(f.source ?? {}, namespace),
    ...basePrincipal,
  ]);
  if ((rule.from ?? []).length === 0) principalSets.push(basePrincipal);
  const permissionSets = (rule.to ?? []).map((t) => [
    ...operationConditions(t.operation ?? {}),
    ...basePermission,
  ]);
  if ((rule.to ?? []).length === 0) permissionSets.push(basePermission);
  const keep = (sets: Built[][]): RbacCondition[][] | undefined => {
    const out: RbacCondition[][] = [];
    for (const set of sets) {
      if (forTCP && allow && set.some((b) => b.httpOnly)) return undefined;
      out.push(set.filter((b) => !(forTCP && b.httpOnly)).map((b) => b.condition));
    }
    return out;
  };
  const permissions = keep(permissionSets);
  const principals = keep(principalSets);
  if (permissions === undefined || principals === undefined) return undefined;
  return { name, permissions, principals };
}

/** Istio's name of a rule's Envoy policy. */
export function rbacPolicyName(namespace: string, name: string, rule: number): string {
  return `ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

function buildPolicies(
  policies: readonly AuthorizationPolicy[],
  forTCP: boolean,
  allow: boolean,
): RbacPolicy[] {
  const out: RbacPolicy[] = [];
  for (const p of policies) {
    const ns = namespaceOf(p);
    const name = p.metadata?.name ?? "";
    const rules = p.spec?.rules ?? [];
    if (rules.length === 0) {
      out.push({ name: rbacPolicyName(ns, name, 0), permissions: [], principals: [], never: true });
      continue;
    }
    rules.forEach((rule, i) => {
      if (rule == null) return;
      const built = buildRule(rule, rbacPolicyName(ns, name, i), ns, forTCP, allow);
      if (built !== undefined) out.push(built);
    });
  }
  // Envoy keeps a filter's policies in a map ordered by name: the first that matches names the denial.
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function buildFilter(
  deny: readonly AuthorizationPolicy[],
  allow: readonly AuthorizationPolicy[],
  forTCP: boolean,
): RbacFilter {
  return {
    deny: buildPolicies(deny, forTCP, false),
    ...(allow.length === 0 ? {} : { allow: buildPolicies(allow, forTCP, true) }),
  };
}

/**
 * The RBAC filters for the proxy from every AuthorizationPolicy among `resources`; undefined when
 * none applies. Reports the policies that do not apply by selector or targetRef (info), dry-run
 * ones (info) and CUSTOM ones (error).
 */
export function buildRbacConfig(
  ctx: TranslateContext,
  resources: readonly Resource[],
): RbacConfig | undefined {
  const allow: AuthorizationPolicy[] = [];
  const deny: AuthorizationPolicy[] = [];
  const refs: RbacPolicyRef[] = [];
  for (const r of resources) {
    if (r == null || r.kind !== "AuthorizationPolicy") continue;
    const policy = r;
    const scope = policyScope(policy, ctx.proxyNamespace, ctx.proxyLabels);
    if (scope === "other-namespace") continue;
    const spec = policy.spec ?? {};
    if (scope === "target-ref") {
      ctx.report(
        policy,
        "IGW6031",
        pathOf("spec", spec.targetRef !== undefined ? "targetRef" : "targetRefs"),
        "attaches the policy to Gateway API resources or Services, never to the deployment of an Istio Gateway: it does not apply to this proxy",
      );
      continue;
    }
    const selector = spec.selector?.matchLabels;
    if (scope === "selector") {
      ctx.report(
        policy,
        "IGW6030",
        pathOf("spec", "selector", "matchLabels"),
        `must be contained in the proxy's labels ${JSON.stringify(labelsString(ctx.proxyLabels))} for the policy to apply to it (got ${JSON.stringify(labelsString(selector ?? {}))})`,
      );
      continue;
    }
    const action = spec.action ?? "ALLOW";
    if (action === "CUSTOM") {
      ctx.report(
        policy,
        "IGW6032",
        "spec.action",
        `needs the external authorizer ${JSON.stringify(spec.provider?.name ?? "")}, which this proxy cannot call: the configuration is refused rather than served without the policy (got "CUSTOM")`,
      );
      continue;
    }
    const dryRun = policy.metadata?.annotations?.[DRY_RUN_ANNOTATION];
    if (dryRun !== undefined && TRUE_WORDS.has(dryRun)) {
      ctx.report(
        policy,
        "IGW6033",
        pathOf("metadata", "annotations", DRY_RUN_ANNOTATION),
        `makes the policy a dry run: it is not enforced (got ${JSON.stringify(dryRun)})`,
      );
      continue;
    }
    refs.push({ policy: `${namespaceOf(policy)}/${policy.metadata?.name ?? ""}`, action });
    if (action === "ALLOW") allow.push(policy);
    else if (action === "DENY") deny.push(policy);
  }
  if (refs.length === 0) return undefined;
  refs.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
  return { policies: refs, http: buildFilter(deny, allow, false), tcp: buildFilter(deny, allow, true) };
}

function labelsString(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
}
