/**
 * Defensive readers for resource values. The zod layer checks shape first, but rules are also run
 * on objects built in code, so they read every field as possibly null, missing or mistyped.
 */

/** JSON-quotes a value for a message: strings in double quotes, numbers as they are. */
export function quote(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/** True for a plain object (not null, not an array), keeping the declared type of `value`. */
export function isRecord<T extends object>(value: T | null | undefined): value is T;
/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown>;
export function isRecord(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The elements of `value` when it is an array, else none. */
export function listOf<T>(value: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/** The entries of `value` when it is a plain object, else none. */
export function entriesOf<T>(value: { [key: string]: T } | null | undefined): Array<[string, T]> {
  return isRecord(value) ? (Object.entries(value) as Array<[string, T]>) : [];
}

/** True when `value` is set: neither undefined nor null. */
export function isSet<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

/** A non-empty string, else undefined: Istio treats "" as unset for its string fields. */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The number `value`, or 0 when it is not a finite number (proto scalars default to zero). */
export function numberOr0(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Length in bytes of `text` as UTF-8, as Go's `len(string)` counts it. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
