/**
 * Rules and matches that can never take traffic, because the first rule that matches wins:
 * a rule after one without `match`, a match repeating an earlier one, and (HTTP) a `uri.prefix`
 * match that an earlier, shorter prefix match with the same other conditions already takes.
 * Istio only warns (IST0130, IST0131); traffic silently goes elsewhere, so strict mode fails.
 */
import type { HTTPMatchRequest, StringMatch } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { matchType } from "./string-match";
import { isRecord, listOf } from "./values";

/** The fields of a match that are maps; empty maps count as absent. */
const MAP_FIELDS: ReadonlySet<string> = new Set(["headers", "withoutHeaders", "queryParams", "sourceLabels"]);

/**
 * A canonical form of a match for equality: keys sorted, `name` dropped (it does not route),
 * and unset values (empty strings, 0, false, empty lists and maps) dropped, as Istio compares.
 */
export function canonicalMatch(match: unknown): string {
  return JSON.stringify(canonical(match, false, true)) ?? "null";
}

function canonical(value: unknown, keepEmptyString: boolean, top: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value.map((v) => canonical(v, false, false) ?? null);
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (top && (key === "name" || key === "statPrefix")) continue;
      const child = (value as Record<string, unknown>)[key];
      const isStringMatchValue = key === "exact" || key === "prefix" || key === "regex";
      const c = canonical(child, isStringMatchValue, false);
      if (c === undefined) continue;
      if (MAP_FIELDS.has(key) && isRecord(c) && Object.keys(c).length === 0) continue;
      out[key] = c;
    }
    return out;
  }
  if (value === "" && !keepEmptyString) return undefined;
  if (value === 0 || value === false) return undefined;
  return value;
}

type RouteKind = "http" | "tls" | "tcp";

interface PrefixMatch {
  path: string;
  match: HTTPMatchRequest;
  prefix: string;
}

/** `exact:v`, `prefix:v`, `regex:v`, or `present` for an empty StringMatch. */
function condition(sm: StringMatch | null | undefined): string | undefined {
  if (!isRecord(sm)) return undefined;
  const type = matchType(sm);
  return type === undefined ? "present" : `${type}:${sm[type] as string}`;
}

/** True when every value the `later` condition admits is admitted by the `earlier` one. */
function conditionCovers(earlier: string | undefined, later: string | undefined): boolean {
  if (earlier === undefined || earlier === later) return true;
  if (later === undefined) return false;
  if (!earlier.startsWith("prefix:")) return false;
  const value = earlier.slice("prefix:".length);
  const [, laterValue] = /^(?:exact|prefix):(.*)$/s.exec(later) ?? [];
  return laterValue !== undefined && laterValue.startsWith(value);
}

function mapCovers(
  earlier: { [key: string]: StringMatch } | null | undefined,
  later: { [key: string]: StringMatch } | null | undefined,
): boolean {
  const a = isRecord(earlier) ? earlier : {};
  const b = isRecord(later) ? later : {};
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (k) => k in b && conditionCovers(condition(a[k]) ?? "present", condition(b[k]) ?? "present"),
  );
}

/** Fields Istio's overlap check ignores; equal (or unset on the earlier match) for a cover. */
const OTHER_FIELDS = ["scheme", "ignoreUriCase", "sourceLabels", "gateways", "sourceNamespace"] as const;

function prefixCovers(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix)) return false;
  const portA = a.match.port ?? 0;
  if (portA !== 0 && portA !== (b.match.port ?? 0)) return false;
  if (!conditionCovers(condition(a.match.method), condition(b.match.method))) return false;
  if (!conditionCovers(condition(a.match.authority), condition(b.match.authority))) return false;
  if (!mapCovers(a.match.headers, b.match.headers)) return false;
  if (!mapCovers(a.match.queryParams, b.match.queryParams)) return false;
  // withoutHeaders exclude requests: only identical exclusions are known to cover.
  if (canonicalMatch(a.match.withoutHeaders ?? {}) !== canonicalMatch(b.match.withoutHeaders ?? {}))
    return false;
  return OTHER_FIELDS.every((f) => {
    const x = canonicalMatch({ v: a.match[f] });
    return x === "{}" || x === canonicalMatch({ v: b.match[f] });
  });
}

/**
 * Reports unreachable rules and ineffective matches of one route list (`spec.http`, `spec.tls`
 * or `spec.tcp`) at `path`.
 */
export function checkReachability(
  report: Report,
  kind: RouteKind,
  routes: ReadonlyArray<{ match?: ReadonlyArray<unknown> | null } | null> | null | undefined,
  path: string,
): void {
  const seen = new Map<string, string>();
  const prefixMatches: PrefixMatch[] = [];
  let catchAll: string | undefined;
  listOf(routes).forEach((route, i) => {
    if (!isRecord(route)) return;
    const routePath = childPath(path, i);
    const matches = listOf(route.match);
    if (matches.length === 0) {
      if (catchAll !== undefined) {
        report(
          "IGW3190",
          routePath,
          `is never used: ${catchAll} has no match either and takes all traffic first; only the last rule may omit match`,
        );
      }
      catchAll = routePath;
      return;
    }
    if (catchAll !== undefined) {
      report("IGW3190", routePath, `is never used: ${catchAll} before it has no match and takes all traffic`);
      return;
    }
    let repeated = 0;
    matches.forEach((match, j) => {
      const matchPath = childPath(childPath(routePath, "match"), j);
      const key = canonicalMatch(match);
      const first = seen.get(key);
      if (first !== undefined) {
        report("IGW3191", matchPath, `is never used: ${first} is the same match and comes first`);
        repeated++;
        return;
      }
      seen.set(key, matchPath);
      if (kind === "http" && isRecord(match)) {
        const m = match as HTTPMatchRequest;
        if (matchType(m.uri) === "prefix" && m.uri?.prefix !== "") {
          prefixMatches.push({ path: matchPath, match: m, prefix: m.uri?.prefix as string });
        }
      }
    });
    if (repeated === matches.length) {
      report("IGW3190", routePath, "is never used: every one of its matches repeats an earlier match");
    }
  });
  for (let i = 0; i < prefixMatches.length; i++) {
    for (let j = i + 1; j < prefixMatches.length; j++) {
      const a = prefixMatches[i];
      const b = prefixMatches[j];
      if (a.prefix === b.prefix || !prefixCovers(a, b)) continue;
      report(
        "IGW3191",
        b.path,
        `is never used: ${a.path} (uri prefix ${JSON.stringify(a.prefix)}) comes first and takes all traffic this one would (got uri prefix ${JSON.stringify(b.prefix)})`,
      );
    }
  }
}
