/**
 * Responses the proxy makes itself: errors (from a {@link ProxyError}: status by code, the code in
 * `x-igw-error-code`, Envoy's body text), redirects and direct responses.
 */
import type { ProxyError } from "../errors";
import type { HeaderMap } from "../router/header-operations";

/** Envoy's body texts for the failures it answers, so clients and scripts see familiar words. */
const BODY: Partial<Record<ProxyError["code"], string>> = {
  IGW_ERR_NO_ROUTE: "",
  IGW_ERR_UPGRADE_FAILED: "",
  IGW_ERR_NO_HEALTHY_UPSTREAM: "no healthy upstream",
  IGW_ERR_UPSTREAM_OVERFLOW:
    "upstream connect error or disconnect/reset before headers. reset reason: overflow",
  IGW_ERR_UPSTREAM_CONNECT:
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
  IGW_ERR_UPSTREAM_RESET:
    "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
  IGW_ERR_UPSTREAM_PROTOCOL:
    "upstream connect error or disconnect/reset before headers. reset reason: protocol error",
  IGW_ERR_UPSTREAM_TIMEOUT: "upstream request timeout",
  IGW_ERR_FAULT_ABORT: "fault filter abort",
  IGW_ERR_DRAINING: "the proxy is shutting down",
};

/** Status, headers and body of the local reply for `err`. */
export function errorReply(err: ProxyError): { status: number; headers: HeaderMap; body: string } {
  const body = BODY[err.code] ?? err.message;
  const headers: HeaderMap = { "x-igw-error-code": err.code };
  // Envoy marks a circuit breaker's answer so clients can tell it from the upstream's own 503.
  if (err.code === "IGW_ERR_UPSTREAM_OVERFLOW") headers["x-envoy-overloaded"] = "true";
  if (body !== "") {
    headers["content-type"] = "text/plain";
    headers["content-length"] = String(Buffer.byteLength(body));
  } else {
    headers["content-length"] = "0";
  }
  return { status: err.status, headers, body };
}
