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
  let lastEnd = -1;
  while (from <= input.length && m.find(from)) {
    const start = m.start();
    const end = m.end();
    if (start === end && start === lastEnd) {
      // RE2's GlobalReplace, which Envoy's regex_rewrite runs, passes over an empty match where the
      // previous match ended: `/*$` on `/a/` replaces the last slash, not it and the end after it.
      from = end + charLength(input, end);
      continue;
    }
    out +=
      input.slice(last, start) +
      expandSubstitution(substitution, (g) => (g <= m.groupCount() ? m.group(g) : null));
    last = end;
    lastEnd = end;
    // An empty match must still advance, or the loop would never end.
    from = end === start ? end + charLength(input, end) : end;
  }
  return out + input.slice(last);
}

/** UTF-16 units of the character at `i`: RE2 steps over a whole character, never half of a pair. */
function charLength(input: string, i: number): number {
  const c = input.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < input.length ? 2 : 1;
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
