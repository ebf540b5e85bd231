/**
 * Istio's value patterns of AuthorizationPolicy fields, as its `matcher` package turns them into
 * Envoy matchers: `*` alone matches any non-empty value (a header or host: any value present),
 * `*x` is a suffix, `x*` a prefix, anything else exact. Envoy's string matchers match the whole
 * value, so there is nothing else to it.
 */

/** A compiled value test; `undefined` stands for an absent value. */
export type ValueTest = (value: string | undefined) => boolean;

/**
 * Istio's string matcher (`StringMatcherWithPrefix`) for `pattern`, with `prefix` put before the
 * pattern (`spiffe://` for principals); `ignoreCase` for hosts. `*` needs a non-empty value.
 */
export function stringPattern(pattern: string, prefix = "", ignoreCase = false): ValueTest {
  const fold = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  // Istio writes `*` as the regex `.+`, without the prefix: any non-empty value.
  if (pattern === "*") return (v) => v !== undefined && v.length > 0;
  if (pattern.startsWith("*")) {
    const suffix = fold(pattern.slice(1));
    return (v) => v !== undefined && v.startsWith(prefix) && fold(v.slice(prefix.length)).endsWith(suffix);
  }
  if (pattern.endsWith("*")) {
    const start = fold(prefix + pattern.slice(0, -1));
    return (v) => v !== undefined && fold(v).startsWith(start);
  }
  const exact = fold(prefix + pattern);
  return (v) => v !== undefined && fold(v) === exact;
}

/**
 * Istio's header matcher (`HeaderMatcher`, `HostMatcher`): like {@link stringPattern}, but `*`
 * is Envoy's presence match, which an empty value passes too.
 */
export function headerPattern(pattern: string, ignoreCase = false): ValueTest {
  if (pattern === "*") return (v) => v !== undefined;
  return stringPattern(pattern, "", ignoreCase);
}
