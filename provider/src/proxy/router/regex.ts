/**
 * Regular expressions as Envoy runs them: RE2 syntax, linear-time matching (re2js), and for
 * matchers the whole string must match. Hostile patterns or inputs cannot stall a request.
 */
import { RE2JS } from "re2js";

/** A compiled RE2 expression. */
export type CompiledRegex = RE2JS;

const cache = new Map<string, CompiledRegex | null>();
const CACHE_LIMIT = 4096;

/**
 * Compiles `pattern` once (cached by source), or returns undefined when it is not valid RE2.
 * Invalid patterns are rejected by validation before translation; a matcher built from one
 * never matches.
 */
export function compileRegex(pattern: string): CompiledRegex | undefined {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit ?? undefined;
  let compiled: CompiledRegex | null;
  try {
    compiled = RE2JS.compile(pattern);
  } catch {
    compiled = null;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled ?? undefined;
}

/** True when `re` matches all of `input` (Envoy's `safe_regex` semantics). */
export function fullMatch(re: CompiledRegex, input: string): boolean {
  return re.matches(input);
}

/**
 * Replaces every match of `re` in `input` with `substitution`, where `\0`..`\9` stand for the
 * match and its capture groups and `\\` for a backslash (Envoy's `regex_rewrite`).
 */
export function replaceAllMatches(re: CompiledRegex, input: string, substitution: string): string {
  const m = re.matcher(input);
  let out = "";
  let last = 0;
  let from = 0;
  while (from <= input.length && m.find(from)) {
    const start = m.start();
    const end = m.end();
    out +=
      input.slice(last, start) +
      expandSubstitution(substitution, (g) => (g <= m.groupCount() ? m.group(g) : null));
    last = end;
    // An empty match must still advance, or the loop would never end.
    from = end === start ? end + 1 : end;
  }
  return out + input.slice(last);
}

function expandSubstitution(substitution: string, group: (n: number) => string | null): string {
  let out = "";
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i];
    if (c === "\\" && i + 1 < substitution.length) {
      const next = substitution[i + 1];
      if (next >= "0" && next <= "9") {
        out += group(next.charCodeAt(0) - 48) ?? "";
        i++;
        continue;
      }
      if (next === "\\") {
        out += "\\";
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}
