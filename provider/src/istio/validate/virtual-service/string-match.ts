/**
 * `StringMatch` (exact / prefix / regex), as `validateStringMatch` judges it: an empty `prefix`
 * means nothing to Envoy outside `uri`, and a `regex` must be non-empty valid RE2.
 */
import type { StringMatch } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { validateRegex } from "./regex";
import { isRecord } from "./values";

/** Which of exact/prefix/regex a StringMatch uses, or undefined when none is set. */
export function matchType(sm: StringMatch | null | undefined): "exact" | "prefix" | "regex" | undefined {
  if (!isRecord(sm)) return undefined;
  if (typeof sm.exact === "string") return "exact";
  if (typeof sm.prefix === "string") return "prefix";
  if (typeof sm.regex === "string") return "regex";
  return undefined;
}

/** Reports an empty or invalid `regex` of `sm` at `path`. */
export function checkRegexMatch(report: Report, sm: StringMatch | null | undefined, path: string): void {
  if (matchType(sm) !== "regex") return;
  const re = (sm as StringMatch).regex as string;
  const where = childPath(path, "regex");
  if (re === "") {
    report("IGW3063", where, 'must not be empty (got "")');
    return;
  }
  const problem = validateRegex(re);
  if (problem !== undefined) report("IGW3063", where, problem);
}

/**
 * Reports an empty `prefix` (meaningless to Envoy for anything but the path) and a bad `regex`
 * of `sm` at `path`.
 */
export function checkStringMatch(report: Report, sm: StringMatch | null | undefined, path: string): void {
  if (matchType(sm) === "prefix" && (sm as StringMatch).prefix === "") {
    report(
      "IGW3062",
      childPath(path, "prefix"),
      'must not be empty (only uri accepts an empty prefix) (got "")',
    );
    return;
  }
  checkRegexMatch(report, sm, path);
}
