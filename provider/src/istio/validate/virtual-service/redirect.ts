/** `http[].redirect`: what a redirect must change, and valid code, scheme and port. */
import type { HTTPMatchRequest, HTTPRedirect } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { isPortNumber } from "./destination";
import { matchType } from "./string-match";
import { isRecord, isSet, listOf, nonEmpty, numberOr0, quote } from "./values";

/** Reports problems of `redirect` at `path`; `matches` are the route's, for `prefixRewrite`. */
export function checkRedirect(
  report: Report,
  redirect: HTTPRedirect | null | undefined,
  matches: ReadonlyArray<HTTPMatchRequest | null> | null | undefined,
  path: string,
): void {
  if (!isRecord(redirect)) return;
  const uri = nonEmpty(redirect.uri);
  const prefixRewrite = nonEmpty(redirect.prefixRewrite);
  if (uri !== undefined && prefixRewrite !== undefined) {
    report(
      "IGW3090",
      childPath(path, "prefixRewrite"),
      `must not be set together with uri, which replaces the whole path (got ${quote(prefixRewrite)})`,
    );
  }
  if (prefixRewrite !== undefined) {
    const routePath = path.slice(0, path.length - ".redirect".length);
    listOf(matches).forEach((match, i) => {
      if (!isRecord(match) || !isSet(match.uri)) return;
      const type = matchType(match.uri);
      if (type !== "prefix") {
        report(
          "IGW3091",
          childPath(childPath(childPath(routePath, "match"), i), "uri"),
          `must be a prefix match when redirect.prefixRewrite is set (got ${type === undefined ? "no match type" : `${type} match`})`,
        );
      }
    });
  }
  const hasPort = isSet(redirect.port) || isSet(redirect.derivePort);
  if (
    uri === undefined &&
    prefixRewrite === undefined &&
    nonEmpty(redirect.authority) === undefined &&
    !hasPort &&
    nonEmpty(redirect.scheme) === undefined
  ) {
    report(
      "IGW3092",
      path,
      "must set at least one of uri, prefixRewrite, authority, scheme, port or derivePort (got none)",
    );
  }
  const code = numberOr0(redirect.redirectCode);
  if (code !== 0 && (code < 300 || code > 399)) {
    report("IGW3093", childPath(path, "redirectCode"), `must be a 3xx status code (got ${code})`);
  }
  const scheme = nonEmpty(redirect.scheme);
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    report("IGW3094", childPath(path, "scheme"), `must be "http" or "https" (got ${quote(scheme)})`);
  }
  const port = numberOr0(redirect.port);
  if (isSet(redirect.port) && port !== 0 && !isPortNumber(port)) {
    report("IGW3095", childPath(path, "port"), `must be an integer from 1 to 65535 (got ${port})`);
  }
}
