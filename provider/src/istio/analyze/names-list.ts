/** Short lists of resource names inside messages. */

/** At most this many names are spelled out; the rest are counted. */
export const MAX_NAMES = 5;

/** `Gateway a/b`, `Gateways a/b, c/d`, `Gateways a/b, ... and 3 more` (names sorted). */
export function kindList(kind: string, names: readonly string[]): string {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, MAX_NAMES).join(", ");
  const rest = sorted.length - MAX_NAMES;
  const plural = sorted.length === 1 ? kind : `${kind}s`;
  return rest > 0 ? `${plural} ${shown} and ${rest} more` : `${plural} ${shown}`;
}
