/** TLS versions and cipher suites (GW-TLS-6..8). */
import { TLSProtocol } from "../../model";
import { childPath } from "../path";
import type { ServerContext } from "./context";
import { asRecord, hasItems, show } from "./context";

/** The cipher suite names Istio accepts for Envoy (`pkg/config/security`), in Istio's order. */
export const VALID_CIPHER_SUITES: ReadonlySet<string> = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-SHA",
  "AES256-SHA",
  "DES-CBC3-SHA",
]);

const letterOrNumber = /^[\p{L}\p{N}]$/u;
const utf8 = new TextEncoder();

/**
 * Whether Istio keeps a cipher suite entry: empty, `ALL`, a known name, or anything starting with
 * an operator (`-`, `+`, `!`, `[`...) that Istio passes through unparsed. Istio looks at the first
 * byte as a Latin-1 character, so a name starting with a non-ASCII letter is judged by the list.
 */
export function isValidCipherSuite(cs: string): boolean {
  if (cs === "" || cs === "ALL") return true;
  const first = String.fromCharCode(utf8.encode(cs)[0] as number);
  if (!letterOrNumber.test(first)) return true;
  return VALID_CIPHER_SUITES.has(cs);
}

/** Checks `tls.minProtocolVersion` against `cipherSuites`, and each cipher suite. */
export function validateTLSOptions(ctx: ServerContext): void {
  const tls = ctx.server.tls;
  if (tls === undefined || tls === null) return;
  const t = asRecord(tls);
  const tlsPath = childPath(ctx.path, "tls");

  const min = t.minProtocolVersion;
  if ((min === TLSProtocol.TLSV1_0 || min === TLSProtocol.TLSV1_1) && !hasItems(t.cipherSuites)) {
    ctx.report(
      "IGW2501",
      childPath(tlsPath, "minProtocolVersion"),
      `needs tls.cipherSuites: below "TLSV1_2" the default cipher suites no longer include compatible ones (got ${show(min)})`,
    );
  }

  if (!Array.isArray(t.cipherSuites)) return;
  const seen = new Set<string>();
  t.cipherSuites.forEach((cs: unknown, i) => {
    const path = childPath(childPath(tlsPath, "cipherSuites"), i);
    if (typeof cs !== "string" || !isValidCipherSuite(cs)) {
      ctx.report("IGW2502", path, `is not a cipher suite Istio knows and is ignored (got ${show(cs)})`);
    } else if (seen.has(cs)) {
      ctx.report("IGW2503", path, `repeats an earlier entry and is ignored (got ${show(cs)})`);
    } else seen.add(cs);
  });
}
