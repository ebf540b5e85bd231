/**
 * Consistent hashing for `loadBalancer.consistentHash` (Envoy's ring hash): every endpoint gets
 * ring entries in proportion to its weight, at least `minimumRingSize` in all, at positions given
 * by hashing `<ip:port>_<n>`; a request's hash picks the first entry at or after it. Adding or
 * removing one endpoint moves only the keys that land next to its entries. Istio's `maglev`
 * option is served by the same ring (a table of its size), which keeps the same key-to-endpoint
 * stability with a different lookup structure.
 */

/** 32-bit FNV-1a of a string's UTF-16 code units, with a final avalanche (murmur3's fmix32). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A ring over endpoints of type `T`. */
export class HashRing<T extends { readonly hostPort: string }> {
  private readonly points: Uint32Array;
  private readonly owners: T[];

  /** `hosts` may repeat an endpoint: each copy is one unit of weight. */
  constructor(hosts: readonly T[], minimumRingSize: number) {
    const weights = new Map<T, number>();
    for (const h of hosts) weights.set(h, (weights.get(h) ?? 0) + 1);
    const total = hosts.length;
    const entries: { point: number; owner: T }[] = [];
    if (total > 0) {
      const perUnit = Math.ceil(minimumRingSize / total);
      for (const [host, weight] of weights) {
        const n = perUnit * weight;
        for (let i = 0; i < n; i++) entries.push({ point: hashString(`${host.hostPort}_${i}`), owner: host });
      }
    }
    // Ties broken by address so the ring does not depend on the order endpoints were listed in.
    entries.sort((a, b) => a.point - b.point || (a.owner.hostPort < b.owner.hostPort ? -1 : 1));
    this.points = Uint32Array.from(entries, (e) => e.point);
    this.owners = entries.map((e) => e.owner);
  }

  /** Ring entries. */
  get size(): number {
    return this.points.length;
  }

  /**
   * The endpoint owning `hash`; undefined on an empty ring. A retry avoiding endpoints already
   * tried asks again with `skip` 1, 2, ...: the owner of the entry that many places further on
   * (which may be the same endpoint again, as on Envoy's ring).
   */
  pick(hash: number, skip = 0): T | undefined {
    const points = this.points;
    const n = points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[((lo === n ? 0 : lo) + skip) % n];
  }
}
