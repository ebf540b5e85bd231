/**
 * How a value a finding complains about is shown: `(got <value>)`, JSON-quoted as the house style
 * asks, short enough for one line, and safe on any input (cycles, huge nesting, bigints).
 */

/** Longest rendering of a value before it is summarised by its type. */
const MAX_SHOWN = 60;

/** Renders `value` for a `(got ...)` suffix: `"FOO"`, `-1`, `null`, `[1,2]`, `an object`. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // A cycle or nesting too deep to serialise: fall back to naming the type.
    text = undefined;
  }
  if (text !== undefined && text.length <= MAX_SHOWN) return text;
  if (typeof value === "string") return `${JSON.stringify(value.slice(0, MAX_SHOWN - 5))}...`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === "object" && value !== null) return "an object";
  return typeof value;
}
