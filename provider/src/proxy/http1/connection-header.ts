/**
 * The `Connection` headers Envoy's HTTP/1.1 codec refuses (its `sanitizeConnectionHeader`), with
 * 400: one that nominates ten headers or more, one that nominates `x-forwarded-for`,
 * `x-forwarded-host` or `x-forwarded-proto` (removing them as hop-by-hop would hide where the
 * request came from), a pseudo-header, or a `te` of 256 bytes or more. The headers it nominates
 * otherwise are removed before the request goes upstream (headers.ts).
 */
import type { IncomingHttpHeaders } from "node:http";

/** Envoy's limits. */
const MAX_NOMINATED = 10;
const MAX_TE_BYTES = 256;

/** Whether a request with `headers` may go on: its `Connection` header, if any, is one Envoy takes. */
export function acceptableConnectionHeader(headers: IncomingHttpHeaders): boolean {
  const connection = headers.connection;
  // Nearly every request says one of these, or nothing.
  if (connection === undefined || connection === "keep-alive" || connection === "close") return true;
  const tokens = connection.split(",");
  if (tokens.length >= MAX_NOMINATED) return false;
  for (const token of tokens) {
    const name = token.trim().toLowerCase();
    if (name.startsWith(":")) return false;
    switch (name) {
      case "x-forwarded-for":
      case "x-forwarded-host":
      case "x-forwarded-proto":
        return false;
      case "te":
        if ((headers.te ?? "").length >= MAX_TE_BYTES) return false;
    }
  }
  return true;
}
