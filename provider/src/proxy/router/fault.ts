/**
 * Fault injection (Envoy's fault filter) for a route: a delay and an abort, each drawn
 * independently with its own percentage. The runtime waits `delayMs`, then answers the abort
 * instead of forwarding. A gRPC abort is answered as HTTP 200 with `grpc-status` (trailers-only).
 */
import type { CompiledRoute } from "./route-config";
import { drawPercentage } from "./percent";
import type { RandomSource } from "./weighted-cluster";

/** gRPC status codes by name. */
export const GRPC_STATUS: Readonly<Record<string, number>> = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
});

/** The faults to inject into one request. */
export interface FaultDecision {
  /** Wait this long before going on; absent = no delay. */
  readonly delayMs?: number;
  /** Answer with this instead of forwarding; absent = forward. */
  readonly abort?:
    | { readonly kind: "http"; readonly status: number }
    | { readonly kind: "grpc"; readonly grpcStatus: number };
}

/** Draws the route's faults: the delay first, then the abort (two numbers from `random`). */
export function decideFault(route: CompiledRoute, random: RandomSource = Math.random): FaultDecision {
  const fault = route.route.fault;
  if (fault === undefined) return {};
  const out: { delayMs?: number; abort?: FaultDecision["abort"] } = {};
  if (fault.delay !== undefined && drawPercentage(fault.delay.percentage, random)) {
    out.delayMs = fault.delay.fixedDelayMs;
  }
  const abort = fault.abort;
  if (abort !== undefined && drawPercentage(abort.percentage, random)) {
    if (abort.httpStatus !== undefined) out.abort = { kind: "http", status: abort.httpStatus };
    else if (abort.grpcStatus !== undefined && GRPC_STATUS[abort.grpcStatus] !== undefined) {
      out.abort = { kind: "grpc", grpcStatus: GRPC_STATUS[abort.grpcStatus] };
    }
  }
  return out;
}
