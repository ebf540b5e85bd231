/**
 * Header fields as HTTP/1.1 writes them, one `name: value` line per value, for the request heads
 * the upstream pool writes and the response heads the client codec writes. What would break the
 * message (a name that is not a token, a value with a line break or another control) is refused
 * with an error naming the header, never written.
 */
import { isHeaderValueText } from "../../istio/translate/wire-text";

/** An RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Names found valid, so that the few a proxy sees on every request are looked up rather than
 * matched again (a set lookup takes less than half the expression's time, measured on header names).
 * Peers choose names: once full, the set takes no more, and other names are matched each time.
 */
const validNames = new Set<string>();
const MAX_VALID_NAMES = 1024;

/** Whether `name` can be a header field name. */
export function isHeaderName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!TOKEN.test(name)) return false;
  if (validNames.size < MAX_VALID_NAMES) validNames.add(name);
  return true;
}

/** The lines of header `name` with `value` (one per value of a list); throws on what HTTP/1.1 cannot carry. */
export function headerLines(name: string, value: string | readonly string[]): string {
  if (!isHeaderName(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  if (typeof value === "string") return `${name}: ${checkedValue(name, value)}\r\n`;
  let text = "";
  for (const v of value) text += `${name}: ${checkedValue(name, v)}\r\n`;
  return text;
}

function checkedValue(name: string, value: string): string {
  if (!isHeaderValueText(value)) throw new Error(`invalid value of header ${JSON.stringify(name)}`);
  return value;
}
