/**
 * Header fields as HTTP/1.1 writes them, one `name: value` line per value, for the request heads
 * the upstream pool writes and the response heads the client codec writes. What would break the
 * message (a name that is not a token, a value with a line break or another control) is refused
 * with an error naming the header, never written.
 */
import { isHeaderValueText } from "../../istio/translate/wire-text";

/** An RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `name` can be a header field name. */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** The lines of header `name` with `value` (one per value of a list); throws on what HTTP/1.1 cannot carry. */
export function headerLines(name: string, value: string | readonly string[]): string {
  if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  if (typeof value === "string") return `${name}: ${checkedValue(name, value)}\r\n`;
  let text = "";
  for (const v of value) text += `${name}: ${checkedValue(name, v)}\r\n`;
  return text;
}

function checkedValue(name: string, value: string): string {
  if (!isHeaderValueText(value)) throw new Error(`invalid value of header ${JSON.stringify(name)}`);
  return value;
}
