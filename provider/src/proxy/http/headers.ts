/**
 * Header hygiene between downstream and upstream: hop-by-hop headers (RFC 9110 §7.6.1) and HTTP/2
 * pseudo-headers never cross the proxy, and the forwarding headers Envoy adds at a gateway
 * (`x-forwarded-for`, `x-forwarded-proto`, `x-request-id`, `x-envoy-external-address`).
 */
import { randomUUID } from "node:crypto";
import type { HeaderMap } from "../router/header-operations";

/** Connection-specific headers, removed in both directions. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "expect",
  "http2-settings",
];

/** Removes hop-by-hop headers, the headers named in `Connection`, and pseudo-headers, in place. */
export function stripHopByHop(headers: HeaderMap, keepTeTrailers: boolean): void {
  const connection = headers["connection"];
  if (connection !== undefined) {
    for (const token of String(connection).split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "" && name !== "host") delete headers[name];
    }
  }
  const te = headers["te"];
  for (const name of HOP_BY_HOP) delete headers[name];
  if (keepTeTrailers && typeof te === "string" && te.toLowerCase().includes("trailers"))
    headers["te"] = "trailers";
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) delete headers[name];
  }
}

/** Adds Envoy's forwarding headers for a request from `clientIp` over `scheme`. */
export function addForwardingHeaders(headers: HeaderMap, clientIp: string, scheme: string): void {
  const xff = headers["x-forwarded-for"];
  headers["x-forwarded-for"] =
    xff === undefined ? clientIp : `${Array.isArray(xff) ? xff.join(",") : xff},${clientIp}`;
  headers["x-forwarded-proto"] = scheme;
  if (headers["x-request-id"] === undefined) headers["x-request-id"] = randomUUID();
  headers["x-envoy-external-address"] = clientIp;
}

/** Removes hop-by-hop headers from an upstream response before it is sent downstream, in place. */
export function stripResponseHeaders(headers: HeaderMap): void {
  stripHopByHop(headers, false);
}
