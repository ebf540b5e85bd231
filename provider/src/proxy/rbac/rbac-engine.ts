/**
 * Envoy's RBAC engine for one filter (HTTP or network), compiled from the {@link RbacFilter} the
 * AuthorizationPolicies gave: DENY rules first (the first that matches, by name, denies), then,
 * when any ALLOW policy applies, ALLOW rules (none matching denies). The decision is what Envoy's
 * filter logs: `rbac_access_denied_matched_policy[<rule>]`, or `[none]` when no ALLOW rule
 * matched. Attributes are read lazily from {@link RbacRequest}, so a rule on the path never
 * reads the client certificate.
 */
import type { RbacCondition, RbacFilter, RbacPolicy } from "../../istio/translate/proxy-config";
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

/** The condition: one of `values` (when any) and none of `notValues`. */
function compileCondition(c: RbacCondition): Predicate {
  const read = reader(c);
  const test = (values: readonly string[]): ValueTest => {
    const tests = values.map((v) => valueTest(c, v));
    return (value) => tests.some((t) => t(value));
  };
  const anyOf = c.values.length === 0 ? undefined : test(c.values);
  const noneOf = c.notValues.length === 0 ? undefined : test(c.notValues);
  return (r) => {
    const value = read(r);
    if (anyOf !== undefined && !anyOf(value)) return false;
    return noneOf === undefined || !noneOf(value);
  };
}

/** How a condition reads its attribute (undefined: the request has no such value). */
function reader(c: RbacCondition): (r: RbacRequest) => string | undefined {
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
