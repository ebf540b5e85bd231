/**
 * An HTTP/1.1 response head as raw bytes, read and written by the proxy itself where no HTTP
 * library stands between the sockets: the answer to an upgrade request (WebSocket), whose head
 * gets the route's response header operations before the connection becomes a tunnel.
 */
import type { HeaderMap } from "../router/header-operations";
import { httpDate } from "./http-date";

/** The `server` header of every response, as Istio's gateways send it. */
export const SERVER_NAME = "istio-envoy";

/** The most bytes a response head may take (Envoy's default `max_request_headers_kb` is 60). */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

/** A parsed response head. */
export interface ResponseHead {
  /** The status code. */
  readonly status: number;
  /** The reason phrase (may be empty). */
  readonly reason: string;
  /** Headers by lower-case name; repeated headers as arrays, in order. */
  readonly headers: HeaderMap;
  /** Bytes the head took, up to and including the empty line. */
  readonly length: number;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The response head at the start of `bytes`: `"incomplete"` while its empty line has not
 * arrived, `"invalid"` when it is not a valid HTTP/1.x head (or exceeds
 * {@link MAX_RESPONSE_HEAD_BYTES}).
 */
export function parseResponseHead(bytes: Buffer): ResponseHead | "incomplete" | "invalid" {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return bytes.length > MAX_RESPONSE_HEAD_BYTES ? "invalid" : "incomplete";
  if (end + 4 > MAX_RESPONSE_HEAD_BYTES) return "invalid";
  const lines = bytes.toString("latin1", 0, end).split("\r\n");
  const statusLine = STATUS_LINE.exec(lines[0]!);
  if (statusLine === null) return "invalid";
  const headers: HeaderMap = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return "invalid";
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return "invalid";
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers[key];
    headers[key] = had === undefined ? value : typeof had === "string" ? [had, value] : [...had, value];
  }
  return { status: Number(statusLine[1]), reason: statusLine[2] ?? "", headers, length: end + 4 };
}

/** The bytes of a response head; header values with CR or LF are dropped (they would split the head). */
export function serializeResponseHead(status: number, reason: string, headers: HeaderMap): Buffer {
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const name in headers) {
    const value = headers[name]!;
    for (const v of typeof value === "string" ? [value] : value) {
      if (/[\r\n]/.test(v)) continue;
      text += `${name}: ${v}\r\n`;
    }
  }
  // Dated like every response, a tunnel's 101 among them, unless the upstream dated it.
  if (headers["date"] === undefined) text += `date: ${httpDate()}\r\n`;
  return Buffer.from(text + "\r\n", "latin1");
}
