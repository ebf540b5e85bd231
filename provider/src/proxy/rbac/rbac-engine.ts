/**
 * Envoy's RBAC engine for one filter (HTTP or network), compiled from the {@link RbacFilter} the
 * AuthorizationPolicies gave: DENY rules first (the first that matches, by name, denies), then,
 * when any ALLOW policy applies, ALLOW rules (none matching denies). The decision is what Envoy's
 * filter logs: `rbac_access_denied_matched_policy[<rule>]`, or `[none]` when no ALLOW rule
 * matched. Attributes are read lazily from {@link RbacRequest}, so a rule on the path never
 * reads the client certificate.
 */
import type { RbacCondition, RbacFilter, RbacPolicy } from "../../istio/translate/proxy-config";
import type { RequestAuth } from "../jwt/request-auth";
import { ipBlockTest } from "./ip-block";
import type { ValueTest } from "./istio-pattern";
import { headerPattern, stringPattern } from "./istio-pattern";
import { isPathTemplate, pathTemplateTest } from "./path-template";

/** What the RBAC filters read of a request or connection. HTTP-only readers are absent on TCP. */
export interface RbacRequest {
  /** The `:authority` (HTTP). */
  host?(): string | undefined;
  /** The method (HTTP). */
  method?(): string | undefined;
  /** The path without the query, normalized as routing sees it (HTTP). */
  path?(): string | undefined;
  /** A request header's value, several joined with `,` (HTTP; lower-case `name`). */
  header?(name: string): string | undefined;
  /** The port the connection reached, as Envoy sees it (the listen port, or a PROXY header's). */
  destinationPort(): number;
  /** The address the connection reached. */
  destinationIp(): string;
  /** The SNI of the TLS handshake, if any. */
  serverName(): string | undefined;
  /** The connection's peer (a PROXY protocol header's source, when one came). */
  sourceIp(): string;
  /** The original client: past trusted proxies by `x-forwarded-for` (HTTP), else the peer. */
  remoteIp(): string;
  /**
   * The peer's authenticated identity: the client certificate's URI SAN (`spiffe://...`), else its
   * DNS SAN, else its subject; undefined without a verified client certificate.
   */
  principal(): string | undefined;
  /** The JWT RequestAuthentication validated (HTTP); undefined without one. */
  requestAuth?(): RequestAuth | undefined;
}

/** A request's fate: allowed (undefined), or denied with Envoy's response code details. */
export type RbacDecision = string | undefined;

/** Envoy's details when an ALLOW filter matched no policy. */
export const NO_POLICY_MATCHED = "rbac_access_denied_matched_policy[none]";

/** Envoy's details when `policy` denied (blanks written as `_`, as Envoy sanitizes them). */
export function deniedBy(policy: string): string {
  return `rbac_access_denied_matched_policy[${policy.replace(/\s/g, "_")}]`;
}

type Predicate = (r: RbacRequest) => boolean;

interface CompiledPolicy {
  readonly name: string;
  readonly matches: Predicate;
}

/** A compiled filter: {@link RbacEngine.evaluate} decides a request. */
export class RbacEngine {
  private readonly deny: readonly CompiledPolicy[];
  private readonly allow: readonly CompiledPolicy[] | undefined;

  constructor(filter: RbacFilter) {
    this.deny = filter.deny.map(compilePolicy);
    this.allow = filter.allow?.map(compilePolicy);
  }

  /** True when the filter decides nothing (no DENY rule, no ALLOW policy): it can be skipped. */
  get empty(): boolean {
    return this.deny.length === 0 && this.allow === undefined;
  }

  /** Whether `request` is allowed: undefined, else Envoy's response code details of the denial. */
  evaluate(request: RbacRequest): RbacDecision {
    for (const p of this.deny) if (p.matches(request)) return deniedBy(p.name);
    if (this.allow === undefined) return undefined;
    for (const p of this.allow) if (p.matches(request)) return undefined;
    return NO_POLICY_MATCHED;
  }
}

function compilePolicy(policy: RbacPolicy): CompiledPolicy {
  if (policy.never === true) return { name: policy.name, matches: () => false };
  const permissions = policy.permissions.map(compileAll);
  const principals = policy.principals.map(compileAll);
  return {
    name: policy.name,
    matches: (r) => permissions.some((p) => p(r)) && principals.some((p) => p(r)),
  };
}

function compileAll(conditions: readonly RbacCondition[]): Predicate {
  const all = conditions.map(compileCondition);
  if (all.length === 0) return () => true;
  if (all.length === 1) return all[0]!;
  return (r) => all.every((c) => c(r));
}

/**
 * What a condition reads: one value, several (a token's audiences, a list claim: the condition
 * holds for the list when it holds for one of them, as Envoy's list matcher), or undefined.
 */
type Read = string | readonly string[] | undefined;

/** The condition: one of `values` (when any) and none of `notValues`. */
function compileCondition(c: RbacCondition): Predicate {
  if (c.attribute === "request.auth.principal") return requestPrincipalCondition(c);
  const read = reader(c);
  const test = (values: readonly string[]): ((value: Read) => boolean) => {
    const tests = values.map((v) => valueTest(c, v));
    const one: ValueTest = (value) => tests.some((t) => t(value));
    return (value) => (typeof value === "object" ? value.some(one) : one(value));
  };
  const anyOf = c.values.length === 0 ? undefined : test(c.values);
  const noneOf = c.notValues.length === 0 ? undefined : test(c.notValues);
  return (r) => {
    const value = read(r);
    if (anyOf !== undefined && !anyOf(value)) return false;
    return noneOf === undefined || !noneOf(value);
  };
}

/**
 * `requestPrincipals` and `request.auth.principal`: as istiod writes them, a value is split at its
 * last `/` into issuer and subject, each matched against the token's claim (so an issuer that is a
 * URL keeps its slashes), and `*` needs both present: `*` any token, `*x` any issuer and a subject
 * ending in `x` (or, with a `/`, an issuer ending so and that subject), `x*` likewise a prefix.
 */
function requestPrincipalCondition(c: RbacCondition): Predicate {
  const test = (values: readonly string[]) => {
    const tests = values.map(requestPrincipalTest);
    return (auth: RequestAuth | undefined) => auth !== undefined && tests.some((t) => t(auth));
  };
  const anyOf = c.values.length === 0 ? undefined : test(c.values);
  const noneOf = c.notValues.length === 0 ? undefined : test(c.notValues);
  return (r) => {
    const auth = r.requestAuth?.();
    if (anyOf !== undefined && !anyOf(auth)) return false;
    return noneOf === undefined || !noneOf(auth);
  };
}

function requestPrincipalTest(value: string): (auth: RequestAuth) => boolean {
  const slash = value.lastIndexOf("/");
  const found = slash >= 0;
  const iss = found ? value.slice(0, slash) : value;
  const sub = found ? value.slice(slash + 1) : "";
  const any: ValueTest = (v) => v !== undefined && v.length > 0;
  const exact =
    (e: string): ValueTest =>
    (v) =>
      v === e;
  let matchIss: ValueTest;
  let matchSub: ValueTest;
  if (value === "*") {
    matchIss = any;
    matchSub = any;
  } else if (value.startsWith("*")) {
    matchIss = !found ? any : iss === "*" ? any : (v) => v !== undefined && v.endsWith(iss.slice(1));
    matchSub = found ? exact(sub) : (v) => v !== undefined && v.endsWith(value.slice(1));
  } else if (value.endsWith("*")) {
    matchIss = found ? exact(iss) : (v) => v !== undefined && v.startsWith(value.slice(0, -1));
    matchSub = !found ? any : sub === "*" ? any : (v) => v !== undefined && v.startsWith(sub.slice(0, -1));
  } else {
    matchIss = exact(iss);
    matchSub = exact(sub);
  }
  // A token without `sub` has no subject claim for a matcher to read.
  return (auth) => matchIss(auth.issuer) && matchSub(auth.subject === "" ? undefined : auth.subject);
}

/**
 * A claim of a token's payload by its path: a string, or the strings of a list (other values,
 * numbers or objects, match nothing, as Envoy's string matchers on them).
 */
function claimAt(auth: RequestAuth | undefined, path: readonly string[]): Read {
  let value: unknown = auth?.claims;
  for (const key of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return undefined;
}

/** How a condition reads its attribute (undefined: the request has no such value). */
function reader(c: RbacCondition): (r: RbacRequest) => Read {
  switch (c.attribute) {
    case "host":
      return (r) => r.host?.();
    case "method":
      return (r) => r.method?.();
    case "path":
      return (r) => r.path?.();
    case "request.headers": {
      const name = (c.header ?? "").toLowerCase();
      return (r) => r.header?.(name);
    }
    case "destination.port":
      return (r) => String(r.destinationPort());
    case "destination.ip":
      return (r) => r.destinationIp();
    case "connection.sni":
      return (r) => r.serverName();
    case "source.ip":
      return (r) => r.sourceIp();
    case "remote.ip":
      return (r) => r.remoteIp();
    case "source.principal":
    case "source.namespace":
    case "source.serviceAccount":
    case "source.trustDomain":
      return (r) => r.principal();
    case "request.auth.principal":
      // Compiled on its own (requestPrincipalCondition): issuer and subject apart.
      return (r) => r.requestAuth?.()?.principal;
    case "request.auth.audiences":
      return (r) => r.requestAuth?.()?.audiences;
    case "request.auth.presenter":
      return (r) => r.requestAuth?.()?.presenter;
    case "request.auth.claims": {
      const path = c.claim ?? [];
      return (r) => claimAt(r.requestAuth?.(), path);
    }
    case "unavailable":
      return () => undefined;
  }
}

/** How a condition tests one of its values against what it read. */
function valueTest(c: RbacCondition, value: string): ValueTest {
  switch (c.attribute) {
    case "host":
      return headerPattern(value, true);
    case "method":
    case "request.headers":
      return headerPattern(value);
    case "path":
      return isPathTemplate(value) ? pathTemplateTest(value) : stringPattern(value);
    case "destination.port":
      // Ports are validated digits; "080" is port 80 as Istio's ParseUint reads it.
      return equals(String(Number(value)));
    case "destination.ip":
    case "source.ip":
    case "remote.ip":
      return ipBlockTest([value]);
    case "connection.sni":
      return stringPattern(value);
    case "source.principal":
      return stringPattern(value, "spiffe://");
    case "source.namespace":
      return regexTest(`.*/ns/${value.split("*").map(escapeRegex).join(".*")}/.*`);
    case "source.serviceAccount": {
      const [ns, sa] = value.split("/");
      return regexTest(`spiffe://.+/ns/${escapeRegex(ns ?? "")}/(.+/|)sa/${escapeRegex(sa ?? "")}(/.+)?`);
    }
    case "source.trustDomain":
      return trustDomainTest(value);
    case "request.auth.principal":
    case "request.auth.audiences":
    case "request.auth.presenter":
    case "request.auth.claims":
      // Istio's metadata matchers take the `*`, prefix and suffix forms of its string matcher.
      return stringPattern(value);
    case "unavailable":
      return () => false;
  }
}

function equals(expected: string): ValueTest {
  return (v) => v === expected;
}

/** Envoy's safe regex matchers match the whole value. */
function regexTest(source: string): ValueTest {
  const re = new RegExp(`^(?:${source})$`);
  return (v) => v !== undefined && re.test(v);
}

function trustDomainTest(value: string): ValueTest {
  if (value === "*") return (v) => v !== undefined && v.startsWith("spiffe://");
  if (!value.includes("*")) return (v) => v !== undefined && v.startsWith(`spiffe://${value}/`);
  const [before, after] = value.split("*", 2);
  return regexTest(`spiffe://${escapeRegex(before ?? "")}[^/]*${escapeRegex(after ?? "")}/.*`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
