/**
 * Header operations (`headers.request` / `headers.response`: set, add, remove), on a route and
 * on each of its destinations: which names Envoy lets a route change, and valid values.
 */
import type { Headers, HeaderOperations, HTTPRewrite } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { headerValueProblem } from "./header-value";
import { entriesOf, isRecord, listOf, nonEmpty } from "./values";

/** True for `:authority` and `host` (any case): the header a rewrite of the authority sets. */
export function isAuthorityHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === ":authority" || lower === "host";
}

/** A request header that may be set or added: pseudo headers are Envoy's own, except the authority. */
function requestSetNameProblem(name: string): string | undefined {
  if (name === "") return 'header name must not be empty (got "")';
  if (name.startsWith(":") && !isAuthorityHeader(name)) {
    return `header name must not start with ":" other than ":authority" (got ${JSON.stringify(name)})`;
  }
  return undefined;
}

/** A header that may be removed, or changed on the response: no pseudo headers, no Host. */
function otherOperationNameProblem(name: string): string | undefined {
  if (name === "") return 'header name must not be empty (got "")';
  if (name.toLowerCase() === "host") {
    return `header name must not be Host, which can only be set on the request (got ${JSON.stringify(name)})`;
  }
  if (name.startsWith(":")) return `header name must not start with ":" (got ${JSON.stringify(name)})`;
  return undefined;
}

function checkOperations(
  report: Report,
  ops: HeaderOperations | null | undefined,
  path: string,
  nameProblem: (name: string) => string | undefined,
  removeProblem: (name: string) => string | undefined,
): void {
  if (!isRecord(ops)) return;
  for (const field of ["set", "add"] as const) {
    for (const [name, value] of entriesOf(ops[field])) {
      const where = childPath(childPath(path, field), name);
      const problem = nameProblem(name);
      if (problem !== undefined) report("IGW3070", where, problem);
      if (typeof value === "string") {
        const valueProblem = headerValueProblem(value);
        if (valueProblem !== undefined) report("IGW3071", where, valueProblem);
      }
    }
  }
  listOf(ops.remove).forEach((name, i) => {
    const problem = typeof name === "string" ? removeProblem(name) : undefined;
    if (problem !== undefined) report("IGW3070", childPath(childPath(path, "remove"), i), problem);
  });
}

/** Reports invalid header operations of `headers` at `path` (a route's or a destination's). */
export function checkHeaders(report: Report, headers: Headers | null | undefined, path: string): void {
  if (!isRecord(headers)) return;
  checkOperations(
    report,
    headers.request,
    childPath(path, "request"),
    requestSetNameProblem,
    otherOperationNameProblem,
  );
  checkOperations(
    report,
    headers.response,
    childPath(path, "response"),
    otherOperationNameProblem,
    otherOperationNameProblem,
  );
}

/**
 * Reports the authority being set in two places of one route (`rewrite.authority`, and
 * `headers.request.set`/`add` of `:authority` or `host`): Envoy would apply only one of them.
 * Only the first conflict is reported, as Istio does.
 */
export function checkAuthorityRewrite(
  report: Report,
  rewrite: HTTPRewrite | null | undefined,
  headers: Headers | null | undefined,
  routePath: string,
): void {
  let current = isRecord(rewrite) ? nonEmpty(rewrite.authority) : undefined;
  let currentPath = childPath(childPath(routePath, "rewrite"), "authority");
  const request = isRecord(headers) && isRecord(headers.request) ? headers.request : undefined;
  for (const field of ["set", "add"] as const) {
    for (const [name, value] of entriesOf(request?.[field])) {
      if (!isAuthorityHeader(name)) continue;
      const where = childPath(pathOfRequest(routePath, field), name);
      if (current !== undefined && current !== "") {
        report(
          "IGW3072",
          where,
          `must not set the authority again: ${currentPath} already sets it to ${JSON.stringify(current)} (got ${JSON.stringify(value)})`,
        );
        return;
      }
      current = typeof value === "string" ? value : String(value);
      currentPath = where;
    }
  }
}

function pathOfRequest(routePath: string, field: string): string {
  return childPath(childPath(childPath(routePath, "headers"), "request"), field);
}
