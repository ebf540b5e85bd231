/** `http[].rewrite`: at least one change, `uri` or `uriRegexRewrite` (not both), a valid regex. */
import type { HTTPRewrite } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { validateRegex } from "./regex";
import { isRecord, isSet, nonEmpty, quote } from "./values";

/** Reports problems of `rewrite` at `path`. */
export function checkRewrite(report: Report, rewrite: HTTPRewrite | null | undefined, path: string): void {
  if (!isRecord(rewrite)) return;
  const uri = nonEmpty(rewrite.uri);
  const regexRewrite = isSet(rewrite.uriRegexRewrite) ? rewrite.uriRegexRewrite : undefined;
  if (uri !== undefined && regexRewrite !== undefined) {
    report(
      "IGW3110",
      childPath(path, "uriRegexRewrite"),
      `must not be set together with uri (got uri ${quote(uri)})`,
    );
    return;
  }
  if (uri === undefined && regexRewrite === undefined && nonEmpty(rewrite.authority) === undefined) {
    report("IGW3111", path, "must set at least one of uri, uriRegexRewrite or authority (got none)");
    return;
  }
  if (regexRewrite === undefined) return;
  const where = childPath(path, "uriRegexRewrite");
  const match = isRecord(regexRewrite) ? nonEmpty(regexRewrite.match) : undefined;
  const replacement = isRecord(regexRewrite) ? nonEmpty(regexRewrite.rewrite) : undefined;
  if (match === undefined || replacement === undefined) {
    const missing = match === undefined ? "match" : "rewrite";
    report(
      "IGW3112",
      childPath(where, missing),
      `required: uriRegexRewrite needs both match and rewrite (got nothing)`,
    );
    return;
  }
  const problem = validateRegex(match);
  if (problem !== undefined) report("IGW3063", childPath(where, "match"), problem);
}
