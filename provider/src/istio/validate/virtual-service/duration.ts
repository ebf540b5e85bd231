/**
 * Durations as Istio reads them from YAML and JSON: Go's `time.ParseDuration` syntax (`"10s"`,
 * `"1.5s"`, `"250ms"`, `"1h30m"`), validated by `ValidateDuration`: at least 1ms, in whole ms.
 */

const NANOS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NANOS = (1n << 63n) - 1n;

/** One millisecond, in nanoseconds. */
export const MILLISECOND = 1_000_000n;
/** One second, in nanoseconds. */
export const SECOND = 1_000_000_000n;

/**
 * Parses a Go duration string into nanoseconds, or undefined when Go would reject it
 * (syntax, unknown unit, or beyond Go's int64 range).
 */
export function parseDuration(text: string): bigint | undefined {
  if (typeof text !== "string") return undefined;
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  while (s !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const whole = m?.[1] ?? "";
    const fraction = m?.[2];
    if (whole === "" && (fraction === undefined || fraction === "")) return undefined;
    s = s.slice(m?.[0].length ?? 0);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (unitMatch === null) return undefined;
    const unit = NANOS_PER_UNIT[unitMatch[0]];
    if (unit === undefined) return undefined;
    s = s.slice(unitMatch[0].length);
    let value = BigInt(whole === "" ? "0" : whole) * unit;
    if (fraction !== undefined && fraction !== "") {
      // Go truncates fractional digits beyond nanosecond precision.
      value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    }
    total += value;
    if (total > MAX_NANOS) return undefined;
  }
  return negative ? -total : total;
}

/**
 * Istio's rule for every VirtualService duration: parsable, at least 1ms, whole milliseconds.
 * Returns the message for a violation, or undefined.
 */
export function validateDuration(text: unknown): string | undefined {
  const nanos = typeof text === "string" ? parseDuration(text) : undefined;
  if (nanos === undefined) {
    return `must be a duration such as "10s", "1.5s" or "250ms" (got ${JSON.stringify(text) ?? String(text)})`;
  }
  if (nanos < MILLISECOND) return `must be at least 1ms (got ${JSON.stringify(text)})`;
  if (nanos % MILLISECOND !== 0n)
    return `must be a whole number of milliseconds (got ${JSON.stringify(text)})`;
  return undefined;
}
