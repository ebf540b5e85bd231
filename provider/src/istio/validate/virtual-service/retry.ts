/** `http[].retries`: attempts, per-try timeout, backoff and the retryOn conditions Envoy knows. */
import type { HTTPRetry } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { validateDuration } from "./duration";
import { isRecord, isSet, nonEmpty, numberOr0 } from "./values";

/** Envoy's `x-envoy-retry-on` and `x-envoy-retry-grpc-on` conditions. */
export const RETRY_ON_CONDITIONS: ReadonlySet<string> = new Set([
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "envoy-ratelimited",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);

/** The status codes Go's `net/http.StatusText` names: the numbers Istio accepts in retryOn. */
export const NAMED_HTTP_STATUSES: ReadonlySet<number> = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Go's `strconv.Atoi` result for `text`, or 0 when it is not a decimal integer. */
function atoi(text: string): number {
  return /^[+-]?[0-9]+$/.test(text) ? Number(text) : 0;
}

/** Reports problems of `retries` at `path`. */
export function checkRetry(report: Report, retries: HTTPRetry | null | undefined, path: string): void {
  if (!isRecord(retries)) return;
  const attempts = numberOr0(retries.attempts);
  if (attempts < 0) report("IGW3130", childPath(path, "attempts"), `must not be negative (got ${attempts})`);
  const retryOn = nonEmpty(retries.retryOn);
  if (attempts === 0) {
    const configured = (["perTryTimeout", "retryOn", "retryRemoteLocalities"] as const).filter((f) =>
      f === "retryOn" ? retryOn !== undefined : isSet(retries[f]),
    );
    if (configured.length > 0) {
      report(
        "IGW3131",
        childPath(path, "attempts"),
        `must be above 0 when ${configured.join(", ")} ${configured.length > 1 ? "are" : "is"} set: 0 disables retries (got 0)`,
      );
    }
  }
  if (isSet(retries.perTryTimeout)) {
    const problem = validateDuration(retries.perTryTimeout);
    if (problem !== undefined) report("IGW3120", childPath(path, "perTryTimeout"), problem);
  }
  if (retryOn !== undefined) {
    for (const condition of retryOn.split(",")) {
      if (NAMED_HTTP_STATUSES.has(atoi(condition)) || RETRY_ON_CONDITIONS.has(condition)) continue;
      report(
        "IGW3132",
        childPath(path, "retryOn"),
        `must list Envoy retry conditions (5xx, gateway-error, connect-failure, reset, retriable-4xx, refused-stream, unavailable, ...) or HTTP status codes (got ${JSON.stringify(condition)})`,
      );
    }
  }
  if (isSet(retries.backoff)) {
    const problem = validateDuration(retries.backoff);
    if (problem !== undefined) report("IGW3120", childPath(path, "backoff"), problem);
  }
}
