/**
 * gRPC deadlines at the gateway, as Envoy's router handles them for the routes Istio writes.
 * Istio sets every route's `max_grpc_timeout` to the VirtualService `timeout` (0, no limit, when
 * it has none), so a gRPC request's timeout is its `grpc-timeout` header, capped by the route's;
 * without the header it is the route's (`FilterUtility::finalTimeout`). Each attempt then tells
 * the upstream what is left of it in `grpc-timeout` (`setTimeoutHeaders`).
 */

/** TimeoutValue is at most 8 digits (gRPC's PROTOCOL-HTTP2.md; Envoy's `MAX_GRPC_TIMEOUT_VALUE`). */
const MAX_GRPC_TIMEOUT_VALUE = 99_999_999;

const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * A `grpc-timeout` header in milliseconds (micro- and nanoseconds rounded up, as Envoy's
 * `Grpc::Common::getGrpcTimeout`), or undefined when it is absent or malformed.
 */
export function parseGrpcTimeout(value: string | readonly string[] | undefined): number | undefined {
  if (typeof value !== "string" || value.length < 2) return undefined;
  const digits = value.slice(0, -1);
  const unit = UNIT_MS[value[value.length - 1]!];
  if (unit === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  const n = Number(digits);
  if (n > MAX_GRPC_TIMEOUT_VALUE) return undefined;
  return unit >= 1 ? n * unit : Math.ceil(n * unit);
}

/**
 * The timeout of a gRPC request in milliseconds (0: none): its `grpc-timeout`, no longer than the
 * route's timeout when the route has one, else the route's.
 */
export function grpcRequestTimeoutMs(
  routeTimeoutMs: number | undefined,
  grpcTimeout: string | readonly string[] | undefined,
): number {
  const max = routeTimeoutMs ?? 0;
  const header = parseGrpcTimeout(grpcTimeout) ?? 0;
  return max !== 0 && (header === 0 || header > max) ? max : header;
}

/**
 * Milliseconds as a `grpc-timeout` value, as Envoy's `Grpc::Common::toGrpcTimeout` writes it: in
 * milliseconds while they fit in 8 digits, else seconds, minutes or hours (rounded down; at most
 * 99999999H).
 */
export function toGrpcTimeout(ms: number): string {
  let time = Math.floor(ms);
  const units = "mSMH";
  let unit = 0;
  if (time > MAX_GRPC_TIMEOUT_VALUE) {
    time = Math.floor(time / 1000);
    unit++;
  }
  while (time > MAX_GRPC_TIMEOUT_VALUE) {
    if (unit === 3) {
      time = MAX_GRPC_TIMEOUT_VALUE;
    } else {
      time = Math.floor(time / 60);
      unit++;
    }
  }
  return `${time}${units[unit]!}`;
}
