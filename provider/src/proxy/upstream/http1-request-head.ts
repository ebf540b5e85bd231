/**
 * The head of an HTTP/1.1 request as it goes on the wire: request line, headers, blank line. It is
 * written in one piece, as Latin-1, which gives every header byte back exactly as node:http read it.
 */
import { isRequestTargetText } from "../../istio/translate/wire-text";
import { headerLines } from "../http1/header-lines";
import type { HeaderMap } from "../router/header-operations";

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
  if (typeof host === "string") text += headerLines("host", host);
  let hasLength = false;
  for (const name in headers) {
    if (name === "host") continue;
    if (name === "content-length") hasLength = true;
    text += headerLines(name, headers[name]!);
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
