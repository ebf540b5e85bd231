/**
 * What every Gateway server rule needs: where to report, the server (as written: the values may be
 * of any type, rules never throw), its path, and facts about the whole Gateway.
 */
import type { Reporter } from "../issue";
import type { GatewayCode } from "./codes";

/** Records one finding; the code must be one of the Gateway table. */
export type Report = (code: GatewayCode, path: string, message: string) => void;

/** One server under validation. */
export interface ServerContext {
  /** Records a finding. */
  report: Report;
  /** The server, as a record (an empty one when it is not an object). */
  server: Record<string, unknown>;
  /** Its path, `spec.servers[1]`. */
  path: string;
  /** The Gateway was generated from the Kubernetes Gateway API: Istio accepts the `~` host namespace. */
  gatewaySemantics: boolean;
}

/** Adapts a {@link Reporter} to the typed {@link Report}. */
export function reportTo(reporter: Reporter): Report {
  return (code, path, message) => reporter.report(code, path, message);
}

/** `value` as a record, or an empty record when it is not a plain object. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** True for a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A protobuf string field is set when it is not empty; an odd non-string value counts as set. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** A protobuf repeated field is set when it has an element; an odd non-array value counts as set. */
export function hasItems(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
}

/** A value for a message: JSON, or a readable fallback for what JSON cannot show. */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
