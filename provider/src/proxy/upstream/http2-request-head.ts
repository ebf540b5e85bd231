/**
 * The head of a request as it goes to an HTTP/2 upstream: the pseudo-headers, then the headers
 * forwarded, with `host` carried as `:authority` (RFC 9113 §8.3.1: a request should not carry
 * both).
 */
import type { OutgoingHttpHeaders } from "node:http2";
import type { HeaderMap } from "../router/header-operations";

/**
 * The HTTP/2 head of a request with `headers` (lower-case names, hop-by-hop headers removed, `host`
 * the authority). `scheme` is the upstream connection's: `https` over TLS, else `http`.
 *
 * The pseudo-headers open the literal and the rest is copied in: an object made by spread syntax
 * and then given new properties costs V8 a new map each time (see `forwardedRequestOf` in
 * http/forwarded-request.ts), about four times this copy for a usual request's headers.
 */
export function http2RequestHead(
  method: string,
  path: string,
  headers: HeaderMap,
  scheme: "http" | "https",
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    ":method": method,
    ":path": path,
    ":authority": headers["host"],
    ":scheme": scheme,
  };
  for (const name in headers) {
    if (name !== "host") out[name] = headers[name];
  }
  return out;
}
