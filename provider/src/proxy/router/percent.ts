/** Percentages drawn as Envoy does: in millionths (`FractionalPercent` per million). */
import type { RandomSource } from "./weighted-cluster";

/**
 * True with probability `percentage`/100 (0 never, 100 always). Always draws exactly one number,
 * so a seeded sequence stays aligned whatever the percentages are.
 */
export function drawPercentage(percentage: number, random: RandomSource): boolean {
  const draw = Math.floor(random() * 1_000_000);
  if (percentage <= 0) return false;
  if (percentage >= 100) return true;
  return draw < Math.floor(percentage * 10_000);
}
