/**
 * Host names as Istio compares them (`pkg/config/host`): byte-wise and case-sensitive. A name is
 * wildcarded when its first character is `*`; its suffix is what follows that `*`, so `*` has the
 * suffix `""`, `*.foo.com` has `.foo.com` and the partial form `*foo.com` has `foo.com`.
 */
import { compareBytewise, utf8Length } from "./bytes";

/** True when `h` starts with `*` (`*`, `*.foo.com`, and the VirtualService-only `*foo.com`). */
export function isWildcard(h: string): boolean {
  return h.length > 0 && h.charCodeAt(0) === 0x2a;
}

/**
 * True when `a` and `b` can match a common host (the relation is symmetric): equal plain names, a
 * plain name ending with the other's wildcard suffix, or two wildcards one of whose suffixes ends
 * with the other's. `*.foo.com` does not match `foo.com`.
 */
export function matches(a: string, b: string): boolean {
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw && bw) {
    const sa = a.slice(1);
    const sb = b.slice(1);
    // Whichever suffix is longer must end with the shorter; if neither ends with the other the
    // length comparison is irrelevant, so UTF-16 lengths give Go's answer.
    return sa.length < sb.length ? sb.endsWith(sa) : sa.endsWith(sb);
  }
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * True when every host matched by `a` is matched by `b`: `foo.com` ⊆ `*.com`, `*.foo.com` ⊆ `*.com`,
 * anything ⊆ `*`; a wildcard is never a subset of a plain name.
 */
export function subsetOf(a: string, b: string): boolean {
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw && bw) return a.slice(1).endsWith(b.slice(1));
  if (aw) return false;
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * Routing precedence (Istio's `MoreSpecific`, the order of virtual hosts): plain names before
 * wildcards, then longer before shorter (in UTF-8 bytes), then byte-wise order. True when `a`
 * sorts before `b`; two empty names count as more specific than each other.
 */
export function moreSpecific(a: string, b: string): boolean {
  if (a.length === 0 && b.length === 0) return true;
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw !== bw) return bw;
  const la = utf8Length(a);
  const lb = utf8Length(b);
  if (la === lb) return compareBytewise(a, b) < 0;
  return la > lb;
}

/** A comparator for `Array.prototype.sort` that orders hosts most specific first. */
export function compareSpecificity(a: string, b: string): number {
  if (a === b) return 0;
  return moreSpecific(a, b) ? -1 : 1;
}
