/**
 * Retries as Envoy applies Istio's `HTTPRetry`: `retryOn` parsed once into conditions, a check
 * per failed attempt, and Envoy's jittered exponential back-off.
 *
 * Conditions: `5xx` (any 5xx, or no response: connect failure, reset, per-try timeout),
 * `gateway-error` (502, 503, 504, or no response), `reset` (no response), `reset-before-request`,
 * `connect-failure`, `retriable-4xx` (409), `refused-stream` (HTTP/2 REFUSED_STREAM),
 * `retriable-status-codes` (the numeric codes in the list), and gRPC `cancelled`,
 * `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable` (by `grpc-status`).
 * `retriable-headers`, `envoy-ratelimited` and `http3-post-connect-failure` are accepted and never
 * fire here. A numeric code turns on `retriable-status-codes`, as Istio does.
 */
import type { RetryPolicyConfig } from "../../istio/translate/proxy-config";
import type { RandomSource } from "./weighted-cluster";

/** Parsed `retryOn`. */
export interface RetryConditions {
  /** `5xx`. */
  readonly on5xx: boolean;
  /** `gateway-error`. */
  readonly gatewayError: boolean;
  /** `reset`. */
  readonly reset: boolean;
  /** `reset-before-request`. */
  readonly resetBeforeRequest: boolean;
  /** `connect-failure`. */
  readonly connectFailure: boolean;
  /** `retriable-4xx`. */
  readonly retriable4xx: boolean;
  /** `refused-stream`. */
  readonly refusedStream: boolean;
  /** `retriable-status-codes` (set when listed or when a numeric code is given). */
  readonly retriableStatusCodesOn: boolean;
  /** The numeric codes listed. */
  readonly retriableStatusCodes: readonly number[];
  /** gRPC status codes retried (`cancelled` 1, `deadline-exceeded` 4, `resource-exhausted` 8, `internal` 13, `unavailable` 14). */
  readonly grpcStatusCodes: readonly number[];
  /** Tokens understood but never firing in this proxy. */
  readonly inert: readonly string[];
  /** Tokens not understood (ignored, as Envoy ignores them). */
  readonly unknown: readonly string[];
}

const GRPC_CONDITIONS: Readonly<Record<string, number>> = {
  cancelled: 1,
  "deadline-exceeded": 4,
  "resource-exhausted": 8,
  internal: 13,
  unavailable: 14,
};

const INERT = new Set(["retriable-headers", "envoy-ratelimited", "http3-post-connect-failure"]);

/** Parses a `retryOn` list (`"5xx,gateway-error,503"`); whitespace around items is ignored. */
export function parseRetryOn(retryOn: string): RetryConditions {
  const flags = new Set<string>();
  const codes: number[] = [];
  const grpc: number[] = [];
  const inert: string[] = [];
  const unknown: string[] = [];
  for (const raw of retryOn.split(",")) {
    const token = raw.trim();
    if (token === "") continue;
    if (/^\d+$/.test(token)) {
      const code = Number(token);
      if (!codes.includes(code)) codes.push(code);
      continue;
    }
    if (GRPC_CONDITIONS[token] !== undefined) {
      if (!grpc.includes(GRPC_CONDITIONS[token])) grpc.push(GRPC_CONDITIONS[token]);
      continue;
    }
    if (INERT.has(token)) {
      inert.push(token);
      continue;
    }
    switch (token) {
      case "5xx":
      case "gateway-error":
      case "reset":
      case "reset-before-request":
      case "connect-failure":
      case "retriable-4xx":
      case "refused-stream":
      case "retriable-status-codes":
        flags.add(token);
        break;
      default:
        unknown.push(token);
    }
  }
  return {
    on5xx: flags.has("5xx"),
    gatewayError: flags.has("gateway-error"),
    reset: flags.has("reset"),
    resetBeforeRequest: flags.has("reset-before-request"),
    connectFailure: flags.has("connect-failure"),
    retriable4xx: flags.has("retriable-4xx"),
    refusedStream: flags.has("refused-stream"),
    retriableStatusCodesOn: flags.has("retriable-status-codes") || codes.length > 0,
    retriableStatusCodes: codes,
    grpcStatusCodes: grpc,
    inert,
    unknown,
  };
}

/** A retry policy ready to apply. */
export interface RetryPolicy {
  /** Retries after the first try. */
  readonly attempts: number;
  /** Time for each try in ms; undefined = the route timeout only. */
  readonly perTryTimeoutMs?: number;
  /** Base back-off in ms. */
  readonly backoffBaseMs: number;
  /** Longest back-off in ms (10 × base, as Envoy). */
  readonly backoffMaxMs: number;
  /** When to retry. */
  readonly conditions: RetryConditions;
  /** Whether retries avoid endpoints already tried (Envoy's `previous_hosts` predicate). */
  readonly previousHosts: boolean;
}

/** Builds the policy of a route's retry configuration. */
export function toRetryPolicy(config: RetryPolicyConfig): RetryPolicy {
  const policy: RetryPolicy = {
    attempts: config.attempts,
    backoffBaseMs: config.backoffMs,
    backoffMaxMs: config.backoffMs * 10,
    conditions: parseRetryOn(config.retryOn),
    previousHosts: config.previousHosts,
  };
  return {
    ...policy,
    ...(config.perTryTimeoutMs === undefined ? {} : { perTryTimeoutMs: config.perTryTimeoutMs }),
  };
}

/** How an attempt ended, as far as retrying is concerned. */
export type AttemptOutcome =
  /** The upstream answered; `grpcStatus` from the `grpc-status` header when present. */
  | { readonly kind: "response"; readonly status: number; readonly grpcStatus?: number }
  /** The connection to the upstream could not be made. */
  | { readonly kind: "connect-failure" }
  /** The upstream reset or closed the connection; `beforeRequest` when nothing was sent yet. */
  | { readonly kind: "reset"; readonly beforeRequest: boolean }
  /** The upstream refused the HTTP/2 stream (REFUSED_STREAM). */
  | { readonly kind: "refused-stream" }
  /** The per-try timeout elapsed. */
  | { readonly kind: "per-try-timeout" };

/** True when `outcome` is retriable under `conditions` (attempt counting is the caller's). */
export function isRetriable(conditions: RetryConditions, outcome: AttemptOutcome): boolean {
  const c = conditions;
  const noResponse = c.on5xx || c.gatewayError || c.reset;
  switch (outcome.kind) {
    case "connect-failure":
      return noResponse || c.connectFailure || c.resetBeforeRequest;
    case "reset":
      return noResponse || (outcome.beforeRequest && c.resetBeforeRequest);
    case "refused-stream":
      return noResponse || c.refusedStream || c.resetBeforeRequest;
    case "per-try-timeout":
      return noResponse;
    case "response": {
      const s = outcome.status;
      if (c.on5xx && s >= 500 && s <= 599) return true;
      if (c.gatewayError && (s === 502 || s === 503 || s === 504)) return true;
      if (c.retriable4xx && s === 409) return true;
      if (c.retriableStatusCodesOn && c.retriableStatusCodes.includes(s)) return true;
      return outcome.grpcStatus !== undefined && c.grpcStatusCodes.includes(outcome.grpcStatus);
    }
  }
}

/**
 * The wait before retry number `retry` (0 for the first retry): uniformly drawn from
 * [0, min(base × (2^(retry+1) − 1), max)), Envoy's fully jittered exponential back-off.
 */
export function retryBackoffMs(
  policy: RetryPolicy,
  retry: number,
  random: RandomSource = Math.random,
): number {
  const ceiling = Math.min(policy.backoffBaseMs * (2 ** Math.min(retry + 1, 30) - 1), policy.backoffMaxMs);
  return Math.floor(random() * ceiling);
}

/**
 * The `x-envoy-expected-rq-timeout-ms` of an attempt starting `elapsedMs` after the request: the
 * per-try timeout when it is shorter than the route's, else the route's, and never more than
 * what is left of the route's (at least 1); undefined when neither is set, as Envoy's router
 * computes it (`FilterUtility::setTimeoutHeaders`). 0 means unset, as in Envoy.
 */
export function expectedTimeoutMs(
  timeoutMs: number | undefined,
  perTryTimeoutMs: number | undefined,
  elapsedMs: number,
): number | undefined {
  const global = timeoutMs ?? 0;
  let perTry = perTryTimeoutMs ?? 0;
  if (global > 0 && perTry >= global) perTry = 0;
  let expected = perTry > 0 ? perTry : global;
  if (expected <= 0) return undefined;
  if (global > 0) expected = elapsedMs >= global ? 1 : Math.min(expected, global - elapsedMs);
  return Math.max(1, Math.floor(expected));
}

/** Retry policies parsed once per route's retry settings (configurations are frozen: identity is a safe key). */
const parsedPolicies = new WeakMap<RetryPolicyConfig, RetryPolicy>();

/** The retry policy of a route's retry settings, parsed on first use and kept as long as they are. */
export function retryPolicyFor(config: RetryPolicyConfig): RetryPolicy {
  let policy = parsedPolicies.get(config);
  if (policy === undefined) {
    policy = toRetryPolicy(config);
    parsedPolicies.set(config, policy);
  }
  return policy;
}
