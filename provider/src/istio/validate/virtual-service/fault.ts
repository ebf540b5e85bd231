/** `http[].fault`: a delay and/or an abort, with percentages, statuses and durations Envoy accepts. */
import type { Abort, Delay, HTTPFaultInjection, Percent } from "../../model";
import type { Report } from "./context";
import { childPath } from "../path";
import { isHTTPStatus } from "./direct-response";
import { validateDuration } from "./duration";
import { isRecord, isSet, numberOr0, quote } from "./values";

/** The gRPC status names an abort may use. */
export const GRPC_STATUSES: ReadonlySet<string> = new Set([
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
]);

function checkPercentage(report: Report, percentage: Percent | null | undefined, path: string): void {
  if (!isRecord(percentage)) return;
  const value = numberOr0(percentage.value);
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    report("IGW3141", childPath(path, "value"), `must be 0 or from 0.0001 to 100 (got ${value})`);
  }
}

function checkAbort(report: Report, abort: Abort, path: string): void {
  checkPercentage(report, abort.percentage, childPath(path, "percentage"));
  if (isSet(abort.grpcStatus)) {
    if (!GRPC_STATUSES.has(abort.grpcStatus)) {
      report(
        "IGW3143",
        childPath(path, "grpcStatus"),
        `must be a gRPC status name such as "UNAVAILABLE" or "NOT_FOUND" (got ${quote(abort.grpcStatus)})`,
      );
    }
  } else if (isSet(abort.http2Error)) {
    report(
      "IGW3144",
      childPath(path, "http2Error"),
      `is not supported; use httpStatus or grpcStatus (got ${quote(abort.http2Error)})`,
    );
  } else if (isSet(abort.httpStatus)) {
    const status = numberOr0(abort.httpStatus);
    if (!isHTTPStatus(status)) {
      report(
        "IGW3142",
        childPath(path, "httpStatus"),
        `must be an HTTP status from 200 to 599 (got ${status})`,
      );
    }
  } else {
    report("IGW3145", path, "should set httpStatus or grpcStatus, or nothing is aborted (got neither)");
  }
}

function checkDelay(report: Report, delay: Delay, path: string): void {
  checkPercentage(report, delay.percentage, childPath(path, "percentage"));
  if (isSet(delay.fixedDelay)) {
    const problem = validateDuration(delay.fixedDelay);
    if (problem !== undefined) report("IGW3120", childPath(path, "fixedDelay"), problem);
  } else if (isSet(delay.exponentialDelay)) {
    const where = childPath(path, "exponentialDelay");
    const problem = validateDuration(delay.exponentialDelay);
    if (problem !== undefined) report("IGW3120", where, problem);
    report("IGW3146", where, `is not supported; use fixedDelay (got ${quote(delay.exponentialDelay)})`);
  }
}

/** Reports problems of `fault` at `path`. */
export function checkFault(report: Report, fault: HTTPFaultInjection | null | undefined, path: string): void {
  if (!isRecord(fault)) return;
  if (!isRecord(fault.abort) && !isRecord(fault.delay)) {
    report("IGW3140", path, "must set abort, delay or both (got neither)");
  }
  if (isRecord(fault.abort)) checkAbort(report, fault.abort, childPath(path, "abort"));
  if (isRecord(fault.delay)) checkDelay(report, fault.delay, childPath(path, "delay"));
}
