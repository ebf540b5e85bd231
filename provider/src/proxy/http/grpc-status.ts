/**
 * gRPC statuses as Envoy reads them off a response: the `grpc-status` header or trailer, and the
 * status an HTTP status stands for when a response has none.
 */

/** The highest status gRPC defines (UNAUTHENTICATED); Envoy reads anything above it as invalid. */
const MAXIMUM_KNOWN = 16;

/**
 * The status in a `grpc-status` value, as Envoy's `Grpc::Common::getGrpcStatus` reads one: the
 * number, -1 (Envoy's `InvalidCode`) when it is not a number or is above the statuses gRPC
 * defines, `undefined` when there is none (absent or empty). A repeated header counts by its first
 * value.
 */
export function grpcStatusOf(value: string | readonly string[] | undefined): number | undefined {
  const text = typeof value === "string" ? value : value?.[0];
  if (text === undefined || text === "") return undefined;
  if (!/^\+?[0-9]{1,9}$/.test(text)) return -1;
  const status = Number(text);
  return status > MAXIMUM_KNOWN ? -1 : status;
}

/**
 * The gRPC status of an HTTP status, as Envoy's `Grpc::Utility::httpToGrpcStatus` maps it (after
 * gRPC's http-grpc-status-mapping.md): 400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
 * 404 UNIMPLEMENTED, 429 and 502 to 504 UNAVAILABLE, anything else UNKNOWN (200 included).
 */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

/**
 * The `grpc_response_status` label of a gRPC request's metrics, as Istio's stats filter fills it
 * (Envoy's `getGrpcStatus` over trailers, head and stream info): the `grpc-status` the response
 * carried (`grpcStatus`: its trailers', else its head's), read by {@link grpcStatusOf}; without
 * one, the status `httpStatus` maps to (a gRPC server that failed before its trailers counts as
 * UNKNOWN); without a response at all (`httpStatus` 0), empty.
 */
export function grpcResponseStatus(
  grpcStatus: string | readonly string[] | undefined,
  httpStatus: number,
): string {
  const status = grpcStatusOf(grpcStatus);
  if (status !== undefined) return String(status);
  return httpStatus === 0 ? "" : String(httpToGrpcStatus(httpStatus));
}
