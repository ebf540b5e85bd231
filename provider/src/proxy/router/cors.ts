/**
 * CORS as Envoy's cors filter applies a route's policy (before fault injection and routing):
 * - no `Origin` header: nothing to do;
 * - origin allowed (one `allowOrigins` condition matches it, or matches the literal `*`):
 *   a preflight (`OPTIONS` with `Origin` and a non-empty `Access-Control-Request-Method`) is
 *   answered 200 with `Access-Control-Allow-Origin: <origin>` and the configured
 *   `-Allow-Methods`, `-Allow-Headers`, `-Max-Age`, `-Allow-Credentials`; any other request is
 *   forwarded and its response gets `-Allow-Origin`, `-Allow-Credentials`, `-Expose-Headers`;
 * - origin not allowed: forwarded without CORS headers, except a preflight under
 *   `unmatchedPreflights: IGNORE`, which is answered 200 without CORS headers.
 */
import type { CompiledRoute } from "./route-config";
import type { RouteRequest } from "./request";
import { headerValue } from "./request";

/** What to do about CORS for one request. */
export type CorsDecision =
  /** Not a CORS request, or the route has no policy. */
  | { readonly kind: "none" }
  /** Answer now with `status` and `headers`; do not forward. */
  | {
      readonly kind: "preflight";
      readonly status: 200;
      readonly headers: readonly (readonly [string, string])[];
    }
  /** Forward; add `responseHeaders` to the upstream's response. */
  | { readonly kind: "forward"; readonly responseHeaders: readonly (readonly [string, string])[] };

/** Decides CORS handling for `request` on `route`. */
export function evaluateCors(route: CompiledRoute, request: RouteRequest): CorsDecision {
  const policy = route.route.cors;
  if (policy === undefined) return { kind: "none" };
  const origin = headerValue(request, "origin");
  if (origin === undefined || origin === "") return { kind: "none" };
  const requestMethod = headerValue(request, "access-control-request-method");
  const preflight = request.method === "OPTIONS" && requestMethod !== undefined && requestMethod !== "";
  const allowed = route.corsOrigins.some((p) => p("*") || p(origin));
  if (!allowed) {
    if (preflight && policy.unmatchedPreflights === "IGNORE")
      return { kind: "preflight", status: 200, headers: [] };
    return { kind: "forward", responseHeaders: [] };
  }
  if (preflight) {
    const headers: [string, string][] = [["access-control-allow-origin", origin]];
    if (policy.allowCredentials) headers.push(["access-control-allow-credentials", "true"]);
    if (policy.allowMethods.length > 0)
      headers.push(["access-control-allow-methods", policy.allowMethods.join(",")]);
    if (policy.allowHeaders.length > 0)
      headers.push(["access-control-allow-headers", policy.allowHeaders.join(",")]);
    if (policy.maxAgeSeconds !== undefined)
      headers.push(["access-control-max-age", String(policy.maxAgeSeconds)]);
    return { kind: "preflight", status: 200, headers };
  }
  const responseHeaders: [string, string][] = [["access-control-allow-origin", origin]];
  if (policy.allowCredentials) responseHeaders.push(["access-control-allow-credentials", "true"]);
  if (policy.exposeHeaders.length > 0) {
    responseHeaders.push(["access-control-expose-headers", policy.exposeHeaders.join(",")]);
  }
  return { kind: "forward", responseHeaders };
}
