/**
 * TLS settings against the port protocol (GW-TLS-1..4): HTTPS and TLS servers need `tls`; HTTP
 * servers may carry it only to redirect to HTTPS; other protocols must not carry it.
 */
import type { PortProtocol } from "../../model";
import { isHTTPProtocol, isTLSProtocol, parseProtocol, TLSmode } from "../../model";
import { childPath } from "../path";
import type { ServerContext } from "./context";
import { asRecord, isRecord, isSet, show } from "./context";

/** True when `tls.mode` means TLS is not terminated: unset (PASSTHROUGH), PASSTHROUGH or AUTO_PASSTHROUGH. */
export function isPassthroughMode(mode: unknown): boolean {
  return (
    mode === undefined || mode === null || mode === TLSmode.PASSTHROUGH || mode === TLSmode.AUTO_PASSTHROUGH
  );
}

/**
 * Checks that `tls` is present exactly when the protocol needs it. `protocol` is the parsed port
 * protocol, `undefined` when the port is missing or its protocol unknown (then there is nothing to
 * compare against).
 */
export function validateTLSForProtocol(ctx: ServerContext, protocol: PortProtocol | undefined): void {
  if (protocol === undefined) return;
  const tlsPath = childPath(ctx.path, "tls");
  const tls = ctx.server.tls;
  const hasTLS = tls !== undefined && tls !== null;
  const written = show(asRecord(ctx.server.port).protocol);
  if (isTLSProtocol(protocol)) {
    if (!hasTLS) ctx.report("IGW2401", tlsPath, `required when port.protocol is ${written}`);
    return;
  }
  if (!hasTLS) return;
  if (!isHTTPProtocol(protocol)) {
    ctx.report(
      "IGW2403",
      tlsPath,
      `must not be set when port.protocol is ${written}: TLS needs protocol "HTTPS" or "TLS"`,
    );
    return;
  }
  const t = asRecord(tls);
  const terminating: string[] = [];
  if (!isPassthroughMode(t.mode)) terminating.push(`mode ${show(t.mode)}`);
  for (const field of ["serverCertificate", "privateKey", "caCertificates"] as const) {
    if (isSet(t[field])) terminating.push(field);
  }
  if (terminating.length > 0) {
    ctx.report(
      "IGW2402",
      tlsPath,
      `may only set httpsRedirect when port.protocol is ${written}: to terminate TLS use protocol "HTTPS" ` +
        `(got ${terminating.join(", ")})`,
    );
  }
}

/** Warns about `tls.httpsRedirect` on a server whose protocol is not HTTP (it only redirects plain HTTP). */
export function validateHTTPSRedirect(ctx: ServerContext): void {
  const port = ctx.server.port;
  if (!isRecord(port)) return;
  const tls = asRecord(ctx.server.tls);
  const protocol = typeof port.protocol === "string" ? parseProtocol(port.protocol) : undefined;
  if (tls.httpsRedirect === true && !isHTTPProtocol(protocol)) {
    ctx.report(
      "IGW2404",
      childPath(childPath(ctx.path, "tls"), "httpsRedirect"),
      `has no effect unless port.protocol is HTTP, HTTP2, GRPC, GRPC-WEB or HTTP_PROXY (got ${show(port.protocol ?? "")})`,
    );
  }
}
