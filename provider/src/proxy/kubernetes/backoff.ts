/**
 * Exponential backoff for reconnecting to the API server: the delay doubles from `initialMs` up
 * to `maxMs` and stays there, so a long outage costs one attempt per `maxMs` and a short one is
 * noticed quickly. A little jitter keeps many proxies from reconnecting in lockstep.
 */

/** How reconnection delays grow. */
export interface BackoffPolicy {
  /** The first delay, ms. */
  readonly initialMs: number;
  /** The bound, ms. */
  readonly maxMs: number;
  /** The fraction of random spread either way (0 = none). */
  readonly jitter: number;
}

/** The default policy: 250 ms, 500 ms, 1 s, … up to 30 s, ±10 %. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 30_000, jitter: 0.1 };

/** The delay before reconnection attempt `attempt` (1 for the first), ms. */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const base = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(Math.max(base + spread, 0), policy.maxMs));
}
