/**
 * Path templates of AuthorizationPolicy `paths` (`/api/{*}/items`, `/static/{**}`), as Istio
 * hands them to Envoy's `uri_template` matcher: `{*}` (Envoy's `*`) is one path segment, `{**}`
 * (Envoy's `**`) everything left, slashes included; other segments are literal. The whole path
 * must match.
 */
import type { ValueTest } from "./istio-pattern";

/** The characters of a path segment Envoy's template matcher accepts (RFC 3986 pchar). */
const SEGMENT = "[a-zA-Z0-9\\-._~%!$&'()+,;:@=]";

/** Whether `path` uses `{*}` or `{**}` (else it is one of Istio's `*` patterns). */
export function isPathTemplate(path: string): boolean {
  return path.includes("{*}") || path.includes("{**}");
}

/** A test of paths (without query) against the template `template` (validated beforehand). */
export function pathTemplateTest(template: string): ValueTest {
  let source = "";
  for (const part of template.split(/(\{\*\*\}|\{\*\})/)) {
    if (part === "{**}") source += `${SEGMENT.slice(0, -1)}/]*`;
    else if (part === "{*}") source += `${SEGMENT}+`;
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const re = new RegExp(`^${source}$`);
  return (v) => v !== undefined && re.test(v);
}
