/**
 * Whether a failed attempt is retried, as Envoy's router decides it: the route's policy must name
 * the outcome, allow another try, and the cluster's retry budget (`connectionPool.http.maxRetries`)
 * must have room. A retry the policy wanted but could not have is flagged as Envoy flags it: `URX`
 * past the attempts, `UO` over the budget.
 */
import type { AttemptOutcome, RetryPolicy } from "../router/retry-policy";
import { isRetriable } from "../router/retry-policy";
import type { CircuitBreaker } from "../upstream/circuit-breaker";

/**
 * True when attempt number `attempt` (counting from 1), which ended with `outcome`, is retried
 * under `policy`; it then holds one of `breaker`'s retry slots, which the caller gives back
 * (`retryDone`) when the retry starts. A retry refused is flagged on `exchange`.
 */
export function admitRetry(
  policy: RetryPolicy | undefined,
  outcome: AttemptOutcome,
  attempt: number,
  exchange: { addFlag(flag: string): void },
  breaker: CircuitBreaker | undefined,
): boolean {
  if (policy === undefined || !isRetriable(policy.conditions, outcome)) return false;
  if (attempt > policy.attempts) {
    exchange.addFlag("URX");
    return false;
  }
  if (breaker !== undefined && !breaker.tryRetry()) {
    exchange.addFlag("UO");
    return false;
  }
  return true;
}
