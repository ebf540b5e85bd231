/**
 * The head of an HTTP/1.1 request as it goes on the wire: request line, headers, blank line. It is
 * written in one piece, as Latin-1, which gives every header byte back exactly as node:http read it.
 */
import { isHeaderValueText, isRequestTargetText } from "../../istio/translate/wire-text";
import type { HeaderMap } from "../router/header-operations";

/** Bytes a header name may not hold: anything outside RFC 9110's token characters. */
const INVALID_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Methods whose requests carry a body by their meaning: without one they say `content-length: 0`. */
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "QUERY"]);

/** How the request body is framed on the wire. */
export type BodyFraming = "none" | "length" | "chunked";

/** A serialized head and the framing its body must follow. */
export interface RequestHead {
  /** The head, to be written as Latin-1. */
  readonly text: string;
  /** How the body goes: by the given `content-length`, chunked, or not at all. */
  readonly framing: BodyFraming;
}

/**
 * Serializes a request head. `headers` holds lower-case names without hop-by-hop headers; `host`
 * goes first. A body without `content-length` is sent chunked. Throws on a name, value or target
 * that would break the message's framing (a header operation's value with a line break, say): such
 * a request is refused, never sent.
 */
export function serializeRequestHead(
  method: string,
  path: string,
  headers: HeaderMap,
  hasBody: boolean,
): RequestHead {
  if (!isRequestTargetText(path) || path === "")
    throw new Error(`invalid request target ${JSON.stringify(path)}`);
  let text = `${method} ${path} HTTP/1.1\r\n`;
  const host = headers["host"];
  if (typeof host === "string") text += `host: ${checked("host", host)}\r\n`;
  let hasLength = false;
  for (const name in headers) {
    if (name === "host") continue;
    if (INVALID_NAME.test(name) || name === "")
      throw new Error(`invalid header name ${JSON.stringify(name)}`);
    const value = headers[name]!;
    if (name === "content-length") hasLength = true;
    if (typeof value === "string") {
      text += `${name}: ${checked(name, value)}\r\n`;
    } else {
      for (const v of value) text += `${name}: ${checked(name, v)}\r\n`;
    }
  }
  let framing: BodyFraming = "none";
  if (hasBody) {
    framing = hasLength ? "length" : "chunked";
    if (!hasLength) text += "transfer-encoding: chunked\r\n";
  } else if (!hasLength && BODY_METHODS.has(method)) {
    text += "content-length: 0\r\n";
  }
  return { text: `${text}\r\n`, framing };
}

function checked(name: string, value: string): string {
  if (!isHeaderValueText(value)) throw new Error(`invalid value for header ${JSON.stringify(name)}`);
  return value;
}
