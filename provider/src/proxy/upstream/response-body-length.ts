/**
 * The length of an upstream response's body when its head gives it by `content-length` alone, so
 * that the connection can count the body's bytes off its reads instead of having llhttp report
 * them. llhttp hands every body piece to JavaScript in a Buffer of its own, copied into memory of
 * its own (an ArrayBuffer per response), and young collections spend about as long sweeping those
 * as all their other work together (see http1-connection.ts).
 */

/**
 * The body's length in bytes when `rawHeaders` (names and values alternating, as llhttp reported
 * them) frame it by a `content-length` and nothing else; undefined when llhttp must find its end:
 * chunked (a `transfer-encoding`), delimited by the connection's end (no `content-length`), or a
 * value that is not plain digits. The caller has already ruled out the responses without a body
 * whatever their head says (to HEAD, 1xx, 204, 304).
 *
 * llhttp has checked the head by then: a `content-length` beside a `transfer-encoding`, or two
 * that differ, fail the response before its head is reported. The checks here hold regardless.
 */
export function contentLengthFraming(rawHeaders: readonly string[]): number | undefined {
  let length: number | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // The lengths first: most names are neither, and a length compare is cheaper than lowering.
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") return undefined;
    if (name.length !== 14 || name.toLowerCase() !== "content-length") continue;
    const value = digitsValue(rawHeaders[i + 1]!);
    if (value === undefined || (length !== undefined && value !== length)) return undefined;
    length = value;
  }
  return length;
}

/** `text` (spaces and tabs around it ignored) as a whole number, if it is only digits and safe. */
function digitsValue(text: string): number | undefined {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
