/**
 * Path and authority rewrites before forwarding, as Istio configures Envoy: `rewrite.uri` is
 * Envoy's `prefix_rewrite`, so it replaces what the route's path condition matched — the prefix
 * of a `prefix` match, the whole path of an `exact` or `regex` match, and the leading `/` when
 * the route has no `uri` condition (Envoy's implicit `prefix: /`, a known Istio subtlety).
 */
import type { CompiledRoute, CompiledWeightedCluster } from "./route-config";
import { replaceAllMatches } from "./regex";

/** How many leading characters of `path` the route's path condition matched. */
export function matchedPathLength(route: CompiledRoute, path: string): number {
  const uri = route.route.match.uri;
  if (uri === undefined) return path.startsWith("/") ? 1 : 0;
  if (uri.kind === "prefix") return Math.min(uri.value.length, path.length);
  return path.length;
}

/** The path forwarded upstream (query not included: the runtime keeps the query as sent). */
export function rewritePath(route: CompiledRoute, path: string): string {
  const action = route.route.action;
  if (action.kind !== "route" || action.rewrite === undefined) return path;
  const { uri, uriRegex } = action.rewrite;
  if (uriRegex !== undefined) {
    return route.uriRegexRewrite === undefined
      ? path
      : replaceAllMatches(route.uriRegexRewrite, path, uriRegex.substitution);
  }
  if (uri !== undefined) return uri + path.slice(matchedPathLength(route, path));
  return path;
}

/**
 * Whether the route rewrites the path (`rewrite.uri` or `uriRegexRewrite`): Envoy then sends the
 * path it routed on in `x-envoy-original-path`, whatever the rewrite made of it.
 */
export function rewritesPath(route: CompiledRoute): boolean {
  const action = route.route.action;
  if (action.kind !== "route" || action.rewrite === undefined) return false;
  const { uri, uriRegex } = action.rewrite;
  return uriRegex !== undefined ? route.uriRegexRewrite !== undefined : uri !== undefined;
}

/**
 * The authority forwarded upstream: the route's (`rewrite.authority`, or its own authority header
 * operation), else the destination's, else undefined (keep the request's). Envoy rewrites the
 * host for a weighted cluster first and for its route after, so the route's wins.
 */
export function rewriteAuthority(
  route: CompiledRoute,
  cluster?: CompiledWeightedCluster,
): string | undefined {
  const action = route.route.action;
  const own = action.kind === "route" ? action.rewrite?.authority : undefined;
  return own ?? cluster?.cluster.authority;
}
