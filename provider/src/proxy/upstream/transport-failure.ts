/**
 * Why a connection to an upstream failed, as Envoy's connection reports it after the reset reason
 * (its `%UPSTREAM_TRANSPORT_FAILURE_REASON%`), for HTTP attempts and TCP proxies alike: the
 * system's words for a refused or unreachable connect, BoringSSL's error for a certificate that
 * failed verification.
 */
import { TLS_VERIFY_CODES } from "../errors";

/** The system's errors, as Envoy words a connect that failed with them. */
const CONNECT_FAILURE: Readonly<Record<string, string>> = {
  ECONNREFUSED: "delayed connect error: Connection refused",
  EHOSTUNREACH: "delayed connect error: No route to host",
  ENETUNREACH: "delayed connect error: Network is unreachable",
};

/** BoringSSL's error for a certificate that failed verification, as Envoy's TLS socket reports it. */
const CERTIFICATE_VERIFY_FAILED =
  "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end";

/** The transport failure reason for a connect that failed with error `code`; undefined when Envoy gives none. */
export function transportFailureReason(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return CONNECT_FAILURE[code] ?? (TLS_VERIFY_CODES.has(code) ? CERTIFICATE_VERIFY_FAILED : undefined);
}
