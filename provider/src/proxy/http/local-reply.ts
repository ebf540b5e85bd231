/**
 * Responses the proxy makes itself: errors (from a {@link ProxyError}: status by code, the code in
 * `x-igw-error-code`, Envoy's body text), redirects and direct responses.
 */
import type { ProxyError } from "../errors";
import { TLS_VERIFY_CODES, UpstreamConnectTimeoutError, UpstreamRemoteResetError } from "../errors";
import type { HeaderMap } from "../router/header-operations";
import { httpToGrpcStatus } from "./grpc-status";

/** Envoy's body texts for the failures it answers, so clients and scripts see familiar words. */
const BODY: Partial<Record<ProxyError["code"], string>> = {
  IGW_ERR_NO_ROUTE: "",
  IGW_ERR_NO_CLUSTER: "",
  IGW_ERR_UPGRADE_FAILED: "",
  IGW_ERR_NO_HEALTHY_UPSTREAM: "no healthy upstream",
  IGW_ERR_UPSTREAM_TIMEOUT: "upstream request timeout",
  IGW_ERR_FAULT_ABORT: "fault filter abort",
  IGW_ERR_DRAINING: "the proxy is shutting down",
};

/** The reset reasons of Envoy's router (`resetReasonToString`) for the upstream failures. */
const RESET_REASON: Partial<Record<ProxyError["code"], string>> = {
  IGW_ERR_UPSTREAM_OVERFLOW: "overflow",
  IGW_ERR_UPSTREAM_CONNECT: "remote connection failure",
  IGW_ERR_UPSTREAM_RESET: "connection termination",
  IGW_ERR_UPSTREAM_REMOTE_RESET: "remote reset",
  IGW_ERR_UPSTREAM_PROTOCOL: "protocol error",
};

/**
 * Why a connection failed, as Envoy's connection reports it after the reset reason ("transport
 * failure reason"): the system's words for a refused or unreachable connect, BoringSSL's error for
 * a certificate that failed verification.
 */
const TRANSPORT_FAILURE: Readonly<Record<string, string>> = {
  ECONNREFUSED: "delayed connect error: Connection refused",
  EHOSTUNREACH: "delayed connect error: No route to host",
  ENETUNREACH: "delayed connect error: Network is unreachable",
};
/** BoringSSL's error for a certificate that failed verification, as Envoy's TLS socket reports it. */
const CERTIFICATE_VERIFY_FAILED =
  "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end";

/**
 * The body of Envoy's router for an attempt that failed before the upstream answered: the reset
 * reason, with the transport's when it has one, after "retried and the latest" when the request
 * was retried. A connect that timed out is Envoy's `connection timeout`, with no transport reason.
 */
function upstreamFailureBody(err: ProxyError, reason: string, retried: boolean): string {
  let why = reason;
  if (err instanceof UpstreamRemoteResetError && err.refused) why = "remote refused stream reset";
  else if (err.code === "IGW_ERR_UPSTREAM_CONNECT") {
    const code = causeCode(err);
    if (code === "ETIMEDOUT" || err instanceof UpstreamConnectTimeoutError) why = "connection timeout";
    else if (code !== undefined && TRANSPORT_FAILURE[code] !== undefined)
      why = `${reason}, transport failure reason: ${TRANSPORT_FAILURE[code]}`;
    else if (code !== undefined && TLS_VERIFY_CODES.has(code))
      why = `${reason}, transport failure reason: ${CERTIFICATE_VERIFY_FAILED}`;
  }
  const latest = retried ? "retried and the latest " : "";
  return `upstream connect error or disconnect/reset before headers. ${latest}reset reason: ${why}`;
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

/**
 * Status, headers and body of the local reply for `err`; `retried` when the request was retried
 * before it (Envoy's body says so).
 */
export function errorReply(
  err: ProxyError,
  retried = false,
): { status: number; headers: HeaderMap; body: string } {
  const reason = RESET_REASON[err.code];
  const body =
    reason !== undefined ? upstreamFailureBody(err, reason, retried) : (BODY[err.code] ?? err.message);
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
