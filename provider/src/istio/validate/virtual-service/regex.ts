/**
 * Regular expressions as Envoy runs them: RE2 syntax (no lookaround, no backreferences), at most
 * 1024 bytes (Istio's stand-in for Envoy's program-size limit). Compiled with re2js, a port of
 * the same parser Istio uses (Go's regexp), so what compiles here compiles there.
 */
import { RE2JS } from "re2js";
import { utf8Length } from "./values";

/** The longest regular expression Istio accepts, in bytes. */
export const MAX_REGEX_BYTES = 1024;

/** Why `re` is not a usable RE2 expression, or undefined when it is. Empty is not checked here. */
export function validateRegex(re: string): string | undefined {
  const size = utf8Length(re);
  if (size > MAX_REGEX_BYTES) {
    return `must be at most ${MAX_REGEX_BYTES} bytes (got ${size} bytes)`;
  }
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (e) {
    return `must be a valid RE2 regular expression: ${describeSyntaxError(e)} (got ${JSON.stringify(re)})`;
  }
}

/** `missing closing ) in "(a"` from re2js's exception (its `error` and `input` fields). */
function describeSyntaxError(e: unknown): string {
  if (typeof e === "object" && e !== null) {
    const { error, input } = e as { error?: unknown; input?: unknown };
    if (typeof error === "string" && error !== "") {
      return typeof input === "string" && input !== "" ? `${error} in ${JSON.stringify(input)}` : error;
    }
  }
  return "it does not compile";
}
