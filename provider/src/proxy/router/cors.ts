/**
 * CORS as Envoy's cors filter applies a route's policy (before fault injection and routing):
 * - no `Origin` header: nothing to do;
 * - origin allowed (one `allowOrigins` condition matches it, or matches the literal `*`):
 *   a preflight (`OPTIONS` with `Origin` and a non-empty `Access-Control-Request-Method`) is
 *   answered 200 with `Access-Control-Allow-Origin: <origin>` and the configured
 *   `-Allow-Methods`, `-Allow-Headers`, `-Max-Age`, `-Allow-Credentials`, `-Expose-Headers`;
 *   any other request is forwarded and its response gets `-Allow-Origin`, `-Allow-Credentials`,
 *   `-Expose-Headers`;
 * - origin not allowed: forwarded without CORS headers, except a preflight under
 *   `unmatchedPreflights: IGNORE`, which is answered 200 with the policy's headers but
 *   `-Allow-Origin`;
 * - `allowMethods: ["*"]` and `allowHeaders: ["*"]` answer a preflight with the method and headers
 *   it asked for (`Access-Control-Request-Method`, `-Request-Headers`).
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
  if (preflight && (allowed || policy.unmatchedPreflights === "IGNORE")) {
    // Envoy answers a preflight it does not forward with every header the policy gives but the
    // origin, which only an allowed origin gets.
    const headers: [string, string][] = allowed ? [["access-control-allow-origin", origin]] : [];
    if (policy.allowCredentials) headers.push(["access-control-allow-credentials", "true"]);
    const methods = policy.allowMethods.join(",");
    // A lone `*` allows whatever the preflight asks for, named back to the browser (which takes a
    // literal `*` as no method at all when credentials are allowed).
    if (methods !== "")
      headers.push(["access-control-allow-methods", methods === "*" ? requestMethod : methods]);
    const allowHeaders = policy.allowHeaders.join(",");
    if (allowHeaders !== "") {
      const asked = headerValue(request, "access-control-request-headers") ?? "";
      headers.push(["access-control-allow-headers", allowHeaders === "*" ? asked : allowHeaders]);
    }
    if (policy.maxAgeSeconds !== undefined)
      headers.push(["access-control-max-age", String(policy.maxAgeSeconds)]);
    // The answer passes Envoy's cors filter on its way out too, which adds what it adds to any
    // response to an allowed origin: `-Expose-Headers` among it.
    if (allowed && policy.exposeHeaders.length > 0)
      headers.push(["access-control-expose-headers", policy.exposeHeaders.join(",")]);
    return { kind: "preflight", status: 200, headers };
  }
  if (!allowed) return { kind: "forward", responseHeaders: [] };
  const responseHeaders: [string, string][] = [["access-control-allow-origin", origin]];
  if (policy.allowCredentials) responseHeaders.push(["access-control-allow-credentials", "true"]);
  if (policy.exposeHeaders.length > 0) {
    responseHeaders.push(["access-control-expose-headers", policy.exposeHeaders.join(",")]);
  }
  return { kind: "forward", responseHeaders };
}
