/**
 * The scalar shapes Istio's CRD schema gives protobuf fields: uint32 and int32 integers with their
 * ranges, doubles, string maps. Integer findings read the same whatever is wrong with the value:
 * `must be an integer from 0 to 4294967295 (got -1)`.
 */
import { z } from "zod";
import { formatValue } from "./value";

/** The message of a failed integer field. */
function integerMessage(min: number, max: number) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined
      ? "required"
      : `must be an integer from ${min} to ${max} (got ${formatValue(issue.input)})`;
}

/** An integer within `[min, max]`, shown in JSON Schema with `format` (Kubernetes' int32/int64). */
export function integer(min: number, max: number, format: "int32" | "int64") {
  const error = integerMessage(min, max);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).meta({ format });
}

/** A protobuf `uint32`: 0 to 4294967295 (Istio's ports, status codes, percentages). */
export function uint32() {
  return integer(0, 4294967295, "int64");
}

/** A protobuf `int32`: -2147483648 to 2147483647 (Istio's weights, attempts, abort status). */
export function int32() {
  return integer(-2147483648, 2147483647, "int32");
}

/** A protobuf `double` (Istio's `Percent.value`). */
export function double() {
  return z.number().meta({ format: "double" });
}

/** A map of strings to strings: labels, annotations, selectors, header values. */
export function stringMap() {
  return z.record(z.string(), z.string());
}

/** Kubernetes' key for CEL rules; the zod schemas carry a few for the CRD only (see {@link duration}). */
export const KUBERNETES_VALIDATIONS = "x-kubernetes-validations";

/**
 * A protobuf `Duration` written as a string (`"5s"`, `"250ms"`). Its rule (at least 1ms, whole
 * milliseconds) belongs to the kind's rules, which report it once with a precise message; the CRD
 * still carries Istio's CEL rule so the API server refuses what Istio's refuses.
 */
export function duration() {
  return z.string().meta({
    [KUBERNETES_VALIDATIONS]: [
      { rule: "duration(self) >= duration('1ms')", message: "must be a valid duration greater than 1ms" },
    ],
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A protobuf `bytes` field: standard base64 with padding, as the API server's `format: byte` checks. */
export function base64Bytes() {
  return z
    .string()
    .regex(BASE64, { error: (issue) => `must be base64-encoded (got ${formatValue(issue.input)})` })
    .meta({ format: "byte" });
}
