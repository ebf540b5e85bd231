/**
 * Responses the proxy makes itself: errors (from a {@link ProxyError}: status by code, the code in
 * `x-igw-error-code`, Envoy's body text), redirects and direct responses.
 */
import type { ProxyError } from "../errors";
import { UpstreamConnectTimeoutError, UpstreamRemoteResetError } from "../errors";
import { transportFailureReason } from "../upstream/transport-failure";
import type { HeaderMap } from "../router/header-operations";
import { httpToGrpcStatus } from "./grpc-status";
import { failureDetails, upstreamResetDetails, upstreamResetReason } from "./response-code-details";

/** Envoy's body texts for the failures it answers, so clients and scripts see familiar words. */
const BODY: Partial<Record<ProxyError["code"], string>> = {
  IGW_ERR_NO_ROUTE: "",
  IGW_ERR_NO_CLUSTER: "",
  IGW_ERR_UPGRADE_FAILED: "",
  IGW_ERR_NOT_A_PATH: "",
  IGW_ERR_NO_HEALTHY_UPSTREAM: "no healthy upstream",
  IGW_ERR_UPSTREAM_TIMEOUT: "upstream request timeout",
  IGW_ERR_FAULT_ABORT: "fault filter abort",
  IGW_ERR_DRAINING: "the proxy is shutting down",
  IGW_ERR_RBAC_ACCESS_DENIED: "RBAC: access denied",
};

/**
 * Why an attempt failed before the upstream answered, as Envoy's router words it: the reset reason
 * and, when the connection has one, the transport's reason. A connect that timed out is Envoy's
 * `connection timeout`, with no transport reason.
 */
function upstreamFailure(err: ProxyError, reason: string): { reset: string; transport?: string } {
  if (err instanceof UpstreamRemoteResetError && err.refused) return { reset: "remote refused stream reset" };
  if (err.code !== "IGW_ERR_UPSTREAM_CONNECT") return { reset: reason };
  const code = causeCode(err);
  if (code === "ETIMEDOUT" || err instanceof UpstreamConnectTimeoutError)
    return { reset: "connection timeout" };
  const transport = transportFailureReason(code);
  return transport === undefined ? { reset: reason } : { reset: reason, transport };
}

/** The `code` of the first error in `err`'s chain of causes that has one. */
function causeCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === "object" && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("IGW_")) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The local reply for a failure, and what the access log says of it. */
export interface ErrorReply {
  /** The status. */
  readonly status: number;
  /** The headers. */
  readonly headers: HeaderMap;
  /** The body text (Envoy's words). */
  readonly body: string;
  /** Envoy's `%RESPONSE_CODE_DETAILS%` for it (see {@link failureDetails}). */
  readonly details: string;
  /** Envoy's `%UPSTREAM_TRANSPORT_FAILURE_REASON%`: why the connection failed, when it says. */
  readonly transportFailureReason: string | undefined;
}

/**
 * Status, headers and body of the local reply for `err`; `retried` when the request was retried
 * before it (Envoy's body says so); `h2` when the client speaks HTTP/2 (codec errors name it).
 */
export function errorReply(err: ProxyError, retried = false, h2 = false): ErrorReply {
  const reason = upstreamResetReason(err.code);
  let body: string;
  let details: string;
  let transportFailureReason: string | undefined;
  if (reason !== undefined) {
    const failure = upstreamFailure(err, reason);
    transportFailureReason = failure.transport;
    const why =
      failure.transport === undefined
        ? failure.reset
        : `${failure.reset}, transport failure reason: ${failure.transport}`;
    body = `upstream connect error or disconnect/reset before headers. ${retried ? "retried and the latest " : ""}reset reason: ${why}`;
    details = upstreamResetDetails(failure.reset, failure.transport);
  } else {
    body = BODY[err.code] ?? err.message;
    details = failureDetails(err, h2);
  }
  const headers: HeaderMap = { "x-igw-error-code": err.code };
  // Envoy marks a circuit breaker's answer so clients can tell it from the upstream's own 503.
  if (err.code === "IGW_ERR_UPSTREAM_OVERFLOW") headers["x-envoy-overloaded"] = "true";
  if (body !== "") {
    headers["content-type"] = "text/plain";
    headers["content-length"] = String(Buffer.byteLength(body));
  } else {
    headers["content-length"] = "0";
  }
  return { status: err.status, headers, body, details, transportFailureReason };
}

/**
 * Whether a request's `content-type` makes it gRPC, as Envoy's `Grpc::Common::hasGrpcContentType`
 * decides: `application/grpc` exactly or `application/grpc+<codec>`. gRPC-Web
 * (`application/grpc-web`) is not gRPC.
 */
export function isGrpcContentType(contentType: string | readonly string[] | undefined): boolean {
  if (typeof contentType !== "string" || !contentType.startsWith("application/grpc")) return false;
  return contentType.length === 16 || contentType.charCodeAt(16) === 43; // "+"
}

/**
 * `grpc-message` text as Envoy's `PercentEncoding::encode` writes it: `%`, controls and bytes
 * outside printable ASCII percent-encoded (a string as its UTF-8 bytes), everything else as it is.
 */
export function percentEncodeGrpcMessage(text: string | Buffer): string {
  let out = "";
  for (const byte of typeof text === "string" ? Buffer.from(text, "utf8") : text) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/**
 * The headers of a local reply to a gRPC request, as Envoy's `Utility::prepareLocalReply` turns
 * any local reply into one: a trailers-only response (status 200, sent as one header block that
 * ends the stream) with `content-type: application/grpc`, the `grpc-status` given (else the one
 * the HTTP status maps to), unless the route's header operations set one, and the body text as
 * `grpc-message`. The body itself is dropped. `headers` are the reply's after header operations;
 * `http1` keeps `content-length: 0`, which Envoy's HTTP/1.1 codec writes on a header-only answer.
 */
export function grpcLocalReplyHeaders(
  headers: HeaderMap,
  status: number,
  body: string | Buffer,
  grpcStatus: number | undefined,
  http1: boolean,
): HeaderMap {
  const out = headers;
  out["content-type"] = "application/grpc";
  if (out["grpc-status"] === undefined) out["grpc-status"] = String(grpcStatus ?? httpToGrpcStatus(status));
  if (body.length > 0) out["grpc-message"] = percentEncodeGrpcMessage(body);
  if (http1) out["content-length"] = "0";
  else delete out["content-length"];
  return out;
}
