/**
 * Envoy's response code details (`%RESPONSE_CODE_DETAILS%`, the `response_code_details` of Istio's
 * access log): one word for who made a response and why, which the status and the flags alone do
 * not tell apart. An upstream's own 503 is `via_upstream`; the proxy's 503 for a refused connect
 * is `upstream_reset_before_response_started{remote_connection_failure,...}`. The values are
 * Envoy's, so that queries and alerts written against Istio's logs find them here.
 */
import type { ProxyError, ProxyErrorCode } from "../errors";
import { RbacAccessDeniedError, UpstreamTimeoutError } from "../errors";

/** The upstream made the response. */
export const VIA_UPSTREAM = "via_upstream";
/** A route's `directResponse` or `redirect`, or the redirect of an `httpsRedirect` server. */
export const DIRECT_RESPONSE = "direct_response";
/** The answer to a CORS preflight. */
export const CORS_RESPONSE = "cors_response";
/** A route's fault injection aborted the request. */
export const FAULT_ABORT = "fault_filter_abort";
/** The client went away before a response was sent. */
export const DOWNSTREAM_REMOTE_DISCONNECT = "downstream_remote_disconnect";
/** The upstream failed after the response head was sent on: the client got a cut response. */
export const LATE_UPSTREAM_RESET = "upstream_reset_after_response_started";

/** The failures that are upstream resets in Envoy's router. */
type UpstreamResetCode =
  | "IGW_ERR_UPSTREAM_OVERFLOW"
  | "IGW_ERR_UPSTREAM_CONNECT"
  | "IGW_ERR_UPSTREAM_RESET"
  | "IGW_ERR_UPSTREAM_REMOTE_RESET"
  | "IGW_ERR_UPSTREAM_PROTOCOL";

/** The reset reasons of Envoy's router (`resetReasonToString`) for the upstream failures. */
export const UPSTREAM_RESET_REASON: Readonly<Record<UpstreamResetCode, string>> = {
  IGW_ERR_UPSTREAM_OVERFLOW: "overflow",
  IGW_ERR_UPSTREAM_CONNECT: "remote connection failure",
  IGW_ERR_UPSTREAM_RESET: "connection termination",
  IGW_ERR_UPSTREAM_REMOTE_RESET: "remote reset",
  IGW_ERR_UPSTREAM_PROTOCOL: "protocol error",
};

/** The reset reason of a failure that is an upstream reset in Envoy's router; else undefined. */
export function upstreamResetReason(code: ProxyErrorCode): string | undefined {
  return (UPSTREAM_RESET_REASON as Partial<Record<ProxyErrorCode, string>>)[code];
}

/**
 * The details of an attempt that failed before the upstream answered (or after, when `late`):
 * the reset reason and the transport's reason, blanks written as `_`, as Envoy stores details.
 */
export function upstreamResetDetails(reset: string, transport?: string, late = false): string {
  const base = late ? LATE_UPSTREAM_RESET : "upstream_reset_before_response_started";
  return `${base}{${reset}${transport === undefined ? "" : `,${transport}`}}`.replace(/\s/g, "_");
}

/** The upstream closed the connection after the response head was sent on. */
export const LATE_CONNECTION_TERMINATION = upstreamResetDetails(
  UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_RESET,
  undefined,
  true,
);

/** The details of each failure, over HTTP/1.1 and without a per-try timeout. */
const DETAILS: Readonly<Record<ProxyErrorCode, string>> = {
  IGW_ERR_NO_ROUTE: "route_not_found",
  IGW_ERR_NO_CLUSTER: "cluster_not_found",
  IGW_ERR_NO_HEALTHY_UPSTREAM: "no_healthy_upstream",
  IGW_ERR_UPSTREAM_OVERFLOW: upstreamResetDetails(UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_OVERFLOW),
  IGW_ERR_UPSTREAM_CONNECT: upstreamResetDetails(UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_CONNECT),
  IGW_ERR_UPSTREAM_RESET: upstreamResetDetails(UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_RESET),
  IGW_ERR_UPSTREAM_REMOTE_RESET: upstreamResetDetails(UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_REMOTE_RESET),
  IGW_ERR_UPSTREAM_PROTOCOL: upstreamResetDetails(UPSTREAM_RESET_REASON.IGW_ERR_UPSTREAM_PROTOCOL),
  IGW_ERR_UPSTREAM_TIMEOUT: "response_timeout",
  IGW_ERR_FAULT_ABORT: FAULT_ABORT,
  IGW_ERR_BAD_REQUEST: "http1.codec_error",
  IGW_ERR_HEADERS_TOO_LARGE: "http1.headers_too_large",
  IGW_ERR_HTTP_VERSION: "low_version",
  IGW_ERR_UPGRADE_FAILED: "upgrade_failed",
  // The status follows in braces where the filter refuses a token (jwt/jwt-status.ts).
  IGW_ERR_JWT_AUTHN: "jwt_authn_access_denied",
  IGW_ERR_HTTPS_IN_PLAINTEXT: "http1.https_url_on_plaintext_connection",
  IGW_ERR_NOT_A_PATH: "absolute_path",
  IGW_ERR_REQUEST_TIMEOUT: "request_overall_timeout",
  IGW_ERR_STREAM_IDLE_TIMEOUT: "stream_idle_timeout",
  IGW_ERR_DOWNSTREAM_RESET: DOWNSTREAM_REMOTE_DISCONNECT,
  IGW_ERR_RBAC_ACCESS_DENIED: "rbac_access_denied_matched_policy[none]",
  IGW_ERR_DRAINING: "downstream_local_disconnect",
  IGW_ERR_INTERNAL: "internal_error",
};

/**
 * The details of a failure the proxy answered without a transport's reason. A malformed request
 * names its codec, as Envoy's codecs do (`http1.codec_error`, `http2.violation.of.messaging.rule`);
 * an upstream timeout of the last try's own timer is `upstream_per_try_timeout`.
 */
export function failureDetails(err: ProxyError, h2: boolean): string {
  if (err instanceof UpstreamTimeoutError && err.perTry) return "upstream_per_try_timeout";
  if (err instanceof RbacAccessDeniedError) return err.details;
  if (h2 && err.code === "IGW_ERR_BAD_REQUEST") return "http2.violation.of.messaging.rule";
  if (h2 && err.code === "IGW_ERR_HEADERS_TOO_LARGE") return "http2.too_many_headers";
  return DETAILS[err.code];
}

/**
 * The details of a failure after the response head was sent on: an upstream reset is Envoy's late
 * reset (`upstream_reset_after_response_started{...}`), anything else as before the head.
 */
export function lateFailureDetails(err: ProxyError, h2: boolean): string {
  const reset = upstreamResetReason(err.code);
  return reset === undefined ? failureDetails(err, h2) : upstreamResetDetails(reset, undefined, true);
}
