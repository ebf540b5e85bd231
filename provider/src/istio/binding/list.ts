/**
 * Defensive reads of list fields. The analysis is meant for shape-valid resources, but it must
 * never throw on what it is given: a list field that is not an array reads as empty.
 */

/** `value` when it is an array, else an empty list. */
export function listOf<T>(value: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(value) ? value : EMPTY;
}

/** The entries of a list field that are strings. */
export function stringsOf(value: readonly unknown[] | null | undefined): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) for (const v of value) if (typeof v === "string") out.push(v);
  return out;
}

const EMPTY: readonly never[] = Object.freeze([]);
