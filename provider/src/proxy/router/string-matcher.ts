/** Compiled string conditions: `exact`, `prefix`, `regex` (whole string, RE2) and presence. */
import type { StringMatcher } from "../../istio/translate/proxy-config";
import { compileRegex, fullMatch } from "./regex";

/** A compiled condition on an optional value (undefined = absent). */
export type ValuePredicate = (value: string | undefined) => boolean;

/**
 * ASCII-only lower case, as Envoy folds case (no locale, no Unicode folding). Every request's
 * authority goes through it, nearly always already in lower case: that is found by a scan, and
 * the string is returned as it is.
 */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

/**
 * Compiles `m`. An absent value never matches, except for nothing: `present` needs the value to
 * exist (even empty). `ignoreCase` folds ASCII case for `exact` and `prefix` only; regular
 * expressions stay case-sensitive, as Envoy's `case_sensitive` does not apply to `safe_regex`.
 */
export function compileStringMatcher(m: StringMatcher, ignoreCase = false): ValuePredicate {
  switch (m.kind) {
    case "present":
      return (v) => v !== undefined;
    case "exact": {
      if (!ignoreCase) return (v) => v === m.value;
      const want = asciiLower(m.value);
      return (v) => v !== undefined && v.length === want.length && asciiLower(v) === want;
    }
    case "prefix": {
      if (!ignoreCase) return (v) => v !== undefined && v.startsWith(m.value);
      const want = asciiLower(m.value);
      return (v) => v !== undefined && asciiLower(v.slice(0, want.length)) === want;
    }
    case "regex": {
      const re = compileRegex(m.regex);
      if (re === undefined) return () => false;
      return (v) => v !== undefined && fullMatch(re, v);
    }
  }
}
