/**
 * `null` in a Kubernetes object means "not set": the API server prunes null fields of a
 * structural schema before it validates, and Istio's webhook reads them as absent. Pruning them
 * here lets `timeout: null` or `hosts: ~` mean what they mean in a cluster, rather than being
 * reported as wrong types.
 *
 * Null list items and null values of a match's header and query maps are not fields: they stay
 * and are reported, as Istio rejects them — except in `spec.http[].match`, where Istio skips a
 * null match instead of rejecting it.
 */

const SKIPPED_NULL_ITEMS = /^spec\.http\[\d+\]\.match$/;
const KEPT_NULL_VALUES = /\.match\[\d+\]\.(headers|withoutHeaders|queryParams)$/;

/**
 * Istio's kinds are at most a dozen levels deep; below this depth values are left as they are, so
 * hostile nesting cannot exhaust the stack (the schema then reports what is wrong there).
 */
const MAX_DEPTH = 64;

/**
 * A copy of `value` without null fields (and without null HTTP matches). Parts with nothing to
 * prune are shared, not copied, so a clean object comes back as itself.
 */
export function withoutNulls(value: unknown, path = "", depth = 0): unknown {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const items: unknown[] = [];
    value.forEach((item, i) => {
      if (item === null && SKIPPED_NULL_ITEMS.test(path)) {
        changed = true;
        return;
      }
      const pruned = withoutNulls(item, `${path}[${i}]`, depth + 1);
      changed ||= pruned !== item;
      items.push(pruned);
    });
    return changed ? items : value;
  }
  if (typeof value !== "object" || value === null) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null && !KEPT_NULL_VALUES.test(path)) {
      changed = true;
      continue;
    }
    const pruned = withoutNulls(field, path === "" ? key : `${path}.${key}`, depth + 1);
    changed ||= pruned !== field;
    out[key] = pruned;
  }
  return changed ? out : value;
}
