/**
 * Every failure the data plane answers for is a {@link ProxyError} with a stable code, in the
 * manner of undici's `UND_ERR_*`. The code decides the HTTP status in exactly one place
 * ({@link ERROR_STATUS}) and the Envoy response flag the access log and metrics report.
 */
import type { AttemptOutcome } from "./router/retry-policy";

/** The stable error codes of the proxy, with the HTTP status and Envoy response flag of each. */
export const ERROR_STATUS = {
  /** No virtual host or route matched the request (Envoy `NR`). */
  IGW_ERR_NO_ROUTE: { status: 404, flag: "NR", summary: "no virtual host or route matched the request" },
  /**
   * The route names a cluster the proxy does not have: a destination subset no DestinationRule
   * defines (Envoy `NC`, "cluster not found", answered with an empty body).
   */
  IGW_ERR_NO_CLUSTER: {
    status: 503,
    flag: "NC",
    summary: "the route's cluster does not exist (undefined subset)",
  },
  /** The route's cluster has no endpoint (unresolved host, empty subset) (Envoy `UH`). */
  IGW_ERR_NO_HEALTHY_UPSTREAM: { status: 503, flag: "UH", summary: "the cluster has no endpoint to send to" },
  /** A circuit breaker of the cluster (DestinationRule `connectionPool`) refused the request (Envoy `UO`). */
  IGW_ERR_UPSTREAM_OVERFLOW: {
    status: 503,
    flag: "UO",
    summary: "the cluster's connection pool limits are reached (circuit breaking)",
  },
  /** The upstream refused or reset the connection before answering (Envoy `UF`). */
  IGW_ERR_UPSTREAM_CONNECT: { status: 503, flag: "UF", summary: "connecting to the upstream failed" },
  /**
   * The upstream closed or reset the connection after the request was sent (Envoy `UC`): 503, as
   * Envoy's router answers every reset but a protocol error.
   */
  IGW_ERR_UPSTREAM_RESET: {
    status: 503,
    flag: "UC",
    summary: "the upstream closed the connection before answering",
  },
  /** The upstream reset the request's HTTP/2 stream (`RST_STREAM`), refusing it or not (Envoy `UR`). */
  IGW_ERR_UPSTREAM_REMOTE_RESET: {
    status: 503,
    flag: "UR",
    summary: "the upstream reset the request's HTTP/2 stream",
  },
  /** The upstream answered something that is not valid HTTP (Envoy `UPE`). */
  IGW_ERR_UPSTREAM_PROTOCOL: { status: 502, flag: "UPE", summary: "the upstream answered invalid HTTP" },
  /** The route's timeout or per-try timeout elapsed (Envoy `UT`). */
  IGW_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    flag: "UT",
    summary: "the upstream did not answer within the route timeout",
  },
  /** A fault abort was injected by the route (Envoy `FI`). */
  IGW_ERR_FAULT_ABORT: {
    status: 503,
    flag: "FI",
    summary: "the route's fault injection aborted the request",
  },
  /** The downstream request could not be parsed or broke a limit (Envoy `DPE`). */
  IGW_ERR_BAD_REQUEST: { status: 400, flag: "DPE", summary: "the request is malformed or breaks a limit" },
  /** The request headers are larger than the limit (Envoy `DPE`). */
  IGW_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    flag: "DPE",
    summary: "request headers exceed the size or count limit",
  },
  /**
   * An HTTP/1.0 (or older) request: Istio's gateways leave Envoy's `accept_http_10` off and answer
   * 426 (Envoy `DPE`).
   */
  IGW_ERR_HTTP_VERSION: {
    status: 426,
    flag: "DPE",
    summary: "HTTP/1.0 requests are refused, as Istio's gateways refuse them",
  },
  /**
   * The request asks to upgrade to a protocol other than WebSocket: Istio configures its gateways'
   * HTTP connection manager to upgrade to `websocket` only, and Envoy refuses the others.
   */
  IGW_ERR_UPGRADE_FAILED: {
    status: 403,
    flag: "-",
    summary: "the request asks for an upgrade other than WebSocket, which Istio's gateways refuse",
  },
  /**
   * An `https://` request target on a plain-text connection. Envoy's HTTP/1.1 codec refuses it, so
   * that no plain-text request passes for a secure one (Envoy's `https_url_on_plaintext_connection`).
   */
  IGW_ERR_HTTPS_IN_PLAINTEXT: {
    status: 403,
    flag: "DPE",
    summary: "an https:// request target came on a plain-text connection",
  },
  /**
   * The request's path is not one (the `*` of `OPTIONS *`): Envoy routes paths only, and answers
   * 404 without a flag (its `absolute_path` details).
   */
  IGW_ERR_NOT_A_PATH: {
    status: 404,
    flag: "-",
    summary: "the request's target is not a path (OPTIONS *), which Envoy does not route",
  },
  /**
   * RequestAuthentication refused the request's token (Envoy's `jwt_authn` filter): 401 with the
   * verification status as body and a `www-authenticate` challenge, or 403 when only the token's
   * audience is wrong. Logged only: the client gets Envoy's reply, without `x-igw-error-code`.
   */
  IGW_ERR_JWT_AUTHN: {
    status: 401,
    flag: "-",
    summary: "RequestAuthentication refused the request's token",
  },
  /** The client took too long to send the request headers or body. */
  IGW_ERR_REQUEST_TIMEOUT: {
    status: 408,
    flag: "DT",
    summary: "the client did not send the request in time",
  },
  /**
   * An HTTP/2 stream carried no bytes either way for the stream idle timeout, before its response
   * began (Envoy's `stream_idle_timeout`: 408 `stream timeout`, `SI`). Once the response has begun,
   * the stream is reset instead.
   */
  IGW_ERR_STREAM_IDLE_TIMEOUT: {
    status: 408,
    flag: "SI",
    summary: "an HTTP/2 stream was silent both ways for the stream idle timeout",
  },
  /** The client closed the connection before the response was complete (Envoy `DC`). */
  IGW_ERR_DOWNSTREAM_RESET: {
    status: 499,
    flag: "DC",
    summary: "the client went away before the response ended",
  },
  /**
   * An AuthorizationPolicy denied the request (Envoy's RBAC filter: 403 `RBAC: access denied`,
   * flag `RBAC`; details name the DENY rule that matched, or `[none]` when no ALLOW rule did).
   */
  IGW_ERR_RBAC_ACCESS_DENIED: {
    status: 403,
    flag: "RBAC",
    summary: "an AuthorizationPolicy denied the request",
  },
  /** The proxy is draining and accepts no new requests. */
  IGW_ERR_DRAINING: { status: 503, flag: "SI", summary: "the proxy is shutting down" },
  /** A bug, anything not foreseen (logged with its stack); or a request HTTP/1.1 cannot carry. */
  IGW_ERR_INTERNAL: {
    status: 500,
    flag: "-",
    summary: "an unexpected error in the proxy, or a request a rewrite left unsendable",
  },
} as const;

/** A stable error code. */
export type ProxyErrorCode = keyof typeof ERROR_STATUS;

/** A failure with a stable code; the HTTP status and response flag come from {@link ERROR_STATUS}. */
export class ProxyError extends Error {
  /** The stable code. */
  readonly code: ProxyErrorCode;

  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "ProxyError";
  }

  /** The HTTP status answered for this failure. */
  get status(): number {
    return ERROR_STATUS[this.code].status;
  }

  /** The Envoy response flag reported for this failure. */
  get responseFlag(): string {
    return ERROR_STATUS[this.code].flag;
  }
}

/** No authority, or a path that is not absolute or holds a NUL (which Envoy's path normalization refuses). */
export class BadTargetError extends ProxyError {
  constructor(message = "request has no authority or an invalid path") {
    super("IGW_ERR_BAD_REQUEST", message);
  }
}

/** No route matched. */
export class NoRouteError extends ProxyError {
  constructor(message = "no route matched") {
    super("IGW_ERR_NO_ROUTE", message);
  }
}

/** The route's cluster does not exist. */
export class NoClusterError extends ProxyError {
  constructor(message = "cluster not found") {
    super("IGW_ERR_NO_CLUSTER", message);
  }
}

/** The cluster has no endpoint. */
export class NoHealthyUpstreamError extends ProxyError {
  constructor(message = "no healthy upstream") {
    super("IGW_ERR_NO_HEALTHY_UPSTREAM", message);
  }
}

/** A circuit breaker refused the request: too many requests in flight or waiting. */
export class UpstreamOverflowError extends ProxyError {
  constructor(message = "upstream overflow") {
    super("IGW_ERR_UPSTREAM_OVERFLOW", message);
  }
}

/** Connecting to the upstream failed. */
export class UpstreamConnectError extends ProxyError {
  constructor(message = "upstream connect error", cause?: unknown) {
    super("IGW_ERR_UPSTREAM_CONNECT", message, { cause });
  }
}

/** The connect to the upstream did not finish within the cluster's `connectTimeout`. */
export class UpstreamConnectTimeoutError extends UpstreamConnectError {
  constructor(message = "upstream connect error: connect timeout") {
    super(message);
  }
}

/** The upstream reset the connection after the request was sent. */
export class UpstreamResetError extends ProxyError {
  constructor(message = "upstream reset", cause?: unknown) {
    super("IGW_ERR_UPSTREAM_RESET", message, { cause });
  }
}

/** The upstream reset the request's HTTP/2 stream; `refused` when with `REFUSED_STREAM`. */
export class UpstreamRemoteResetError extends ProxyError {
  constructor(
    /** The stream was refused: the upstream did not start on the request, so any retry is safe. */
    readonly refused: boolean,
    message = refused ? "upstream refused the stream" : "upstream reset the stream",
  ) {
    super("IGW_ERR_UPSTREAM_REMOTE_RESET", message);
  }
}

/** The upstream spoke invalid HTTP. */
export class UpstreamProtocolError extends ProxyError {
  constructor(message = "upstream protocol error", cause?: unknown) {
    super("IGW_ERR_UPSTREAM_PROTOCOL", message, { cause });
  }
}

/** The route timeout elapsed, or the try's own (`perTryTimeout`). */
export class UpstreamTimeoutError extends ProxyError {
  constructor(
    /** The try's own timeout fired (`retries.perTryTimeout`), not the route's. */
    readonly perTry = false,
    message = perTry ? "upstream per-try timeout" : "upstream request timeout",
  ) {
    super("IGW_ERR_UPSTREAM_TIMEOUT", message);
  }
}

/** An injected abort; its status comes from the fault, not from the table. */
export class FaultAbortError extends ProxyError {
  /** The status the fault names. */
  readonly faultStatus: number;

  constructor(faultStatus: number) {
    super("IGW_ERR_FAULT_ABORT", "fault filter abort");
    this.faultStatus = faultStatus;
  }

  override get status(): number {
    return this.faultStatus;
  }
}

/**
 * Node's codes for an upstream certificate that fails verification (OpenSSL's `X509_V_ERR_*`
 * names, and Node's own for a name mismatch): the TLS handshake failed, so the connection did,
 * as Envoy reports it (503 UF).
 */
export const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * The retry and outlier-detection outcome of an upstream failure: a connection that could not be
 * made, a per-try timeout, or a reset (anything else that ended the exchange before an answer).
 */
export function attemptOutcomeOf(err: ProxyError): AttemptOutcome {
  switch (err.code) {
    case "IGW_ERR_UPSTREAM_CONNECT":
      return { kind: "connect-failure" };
    case "IGW_ERR_UPSTREAM_TIMEOUT":
      return { kind: "per-try-timeout" };
    case "IGW_ERR_UPSTREAM_REMOTE_RESET":
      return (err as UpstreamRemoteResetError).refused
        ? { kind: "refused-stream" }
        : { kind: "reset", beforeRequest: false };
    default:
      return { kind: "reset", beforeRequest: false };
  }
}

/** An AuthorizationPolicy denied the request; `details` are Envoy's words for which rule did. */
export class RbacAccessDeniedError extends ProxyError {
  constructor(
    /** `rbac_access_denied_matched_policy[<rule>]`, or `[none]` when no ALLOW rule matched. */
    readonly details: string,
  ) {
    super("IGW_ERR_RBAC_ACCESS_DENIED", "RBAC: access denied");
  }
}

/**
 * Maps any thrown value to a {@link ProxyError}: Node's socket, TLS and HTTP/2 error codes become
 * upstream errors (the HTTP/1.1 pool makes its own {@link ProxyError}s for what it detects itself).
 */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return new UpstreamConnectError(`upstream connect error: ${String(code)}`, err);
    case "ERR_HTTP2_STREAM_CANCEL": {
      // node:http2 cancels the streams of a session that failed, with why as the cause: a refused
      // connect or a failed TLS handshake is Envoy's connection failure (503 UF), not a reset.
      const cause = (err as { cause?: unknown }).cause;
      const inner = cause === undefined || cause === null ? undefined : toProxyError(cause);
      // A session whose peer broke HTTP/2 resets every stream on it with Envoy's protocol error.
      if (inner instanceof UpstreamConnectError || inner instanceof UpstreamProtocolError) return inner;
      return new UpstreamResetError(`upstream reset: ${String(code)}`, err);
    }
    case "ERR_HTTP2_ERROR":
      // nghttp2 could not read what the upstream sent as HTTP/2 (an HTTP/1.1-only server answering
      // h2c, say): Envoy's codec error, which resets the connection's streams with a protocol
      // error (502 UPE), as its HTTP/1.1 codec's errors do.
      return new UpstreamProtocolError(`upstream protocol error: ${(err as Error).message}`, err);
    case "ERR_HTTP2_STREAM_ERROR":
      // node:http2's error for a stream closed with a RST_STREAM code other than CANCEL.
      return new UpstreamRemoteResetError(/REFUSED_STREAM/.test((err as Error).message));
    case "ECONNRESET":
    case "EPIPE":
    case "ERR_STREAM_PREMATURE_CLOSE":
    case "ERR_HTTP2_GOAWAY_SESSION":
    case "ERR_HTTP2_SESSION_ERROR":
      return new UpstreamResetError(`upstream reset: ${String(code)}`, err);
    default:
      if (typeof code === "string" && (TLS_VERIFY_CODES.has(code) || code.startsWith("ERR_SSL_"))) {
        return new UpstreamConnectError(`upstream connect error: ${code}`, err);
      }
      // llhttp's codes for a response that is not HTTP/1.1.
      if (typeof code === "string" && code.startsWith("HPE_")) {
        return new UpstreamProtocolError(`upstream protocol error: ${code}`, err);
      }
      return new ProxyError("IGW_ERR_INTERNAL", err instanceof Error ? err.message : String(err), {
        cause: err,
      });
  }
}
