/** Choosing one destination of a forwarding route by weight. */
import type { CompiledRoute, CompiledWeightedCluster } from "./route-config";

/** A source of uniformly distributed numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * Picks a destination of `route` (a forwarding route) with probability weight / total weight,
 * drawing one number from `random`. Undefined for redirects and direct responses.
 */
export function pickWeightedCluster(
  route: CompiledRoute,
  random: RandomSource = Math.random,
): CompiledWeightedCluster | undefined {
  const clusters = route.clusters;
  if (clusters.length === 0) return undefined;
  if (clusters.length === 1) return clusters[0];
  const total = clusters.reduce((sum, c) => sum + c.cluster.weight, 0);
  const point = Math.min(Math.floor(random() * total), total - 1);
  let cumulative = 0;
  for (const c of clusters) {
    cumulative += c.cluster.weight;
    if (point < cumulative) return c;
  }
  return clusters[clusters.length - 1];
}

/**
 * A deterministic {@link RandomSource} (mulberry32) for tests and reproducible simulations:
 * the same seed gives the same sequence.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
