/** `http[].corsPolicy`: origins, methods, header names and a max age in whole seconds. */
import type { CorsPolicy } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { corsHeaderNameProblem } from "./header-name";
import { parseDuration, SECOND, validateDuration } from "./duration";
import { checkRegexMatch, matchType } from "./string-match";
import { isRecord, isSet, listOf, quote } from "./values";

/** The methods a CORS policy may allow (case-sensitive), and `*`. */
export const CORS_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "*",
]);

/** Reports problems of `policy` at `path`. */
export function checkCorsPolicy(report: Report, policy: CorsPolicy | null | undefined, path: string): void {
  if (!isRecord(policy)) return;
  listOf(policy.allowOrigins).forEach((origin, i) => {
    const where = childPath(childPath(path, "allowOrigins"), i);
    const type = isRecord(origin) ? matchType(origin) : undefined;
    const value = type === undefined ? "" : (origin as Record<string, unknown>)[type];
    if (value === "" || value === undefined) {
      report("IGW3160", where, `must set a non-empty exact, prefix or regex (got ${JSON.stringify(origin)})`);
      return;
    }
    checkRegexMatch(report, origin, where);
  });
  listOf(policy.allowMethods).forEach((method, i) => {
    if (!CORS_METHODS.has(method)) {
      report(
        "IGW3161",
        childPath(childPath(path, "allowMethods"), i),
        `must be an upper-case HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE) or "*" (got ${quote(method)})`,
      );
    }
  });
  for (const field of ["allowHeaders", "exposeHeaders"] as const) {
    listOf(policy[field]).forEach((name, i) => {
      const problem = corsHeaderNameProblem(typeof name === "string" ? name : String(name));
      if (problem !== undefined) report("IGW3162", childPath(childPath(path, field), i), problem);
    });
  }
  if (isSet(policy.maxAge)) {
    const where = childPath(path, "maxAge");
    const problem = validateDuration(policy.maxAge);
    if (problem !== undefined) report("IGW3120", where, problem);
    const nanos = parseDuration(policy.maxAge);
    if (nanos !== undefined && nanos > 0n && nanos % SECOND !== 0n) {
      report("IGW3163", where, `must be a whole number of seconds (got ${quote(policy.maxAge)})`);
    }
  }
}
