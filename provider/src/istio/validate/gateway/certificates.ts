/**
 * Where a server's certificates come from, per TLS mode (GW-TLS-9..16): Istio's own for
 * ISTIO_MUTUAL, none for passthrough, exactly one source otherwise, files needing both halves.
 */
import { isTLSProtocol, parseProtocol, TLSmode } from "../../model";
import { childPath } from "../path";
import type { ServerContext } from "./context";
import { asRecord, hasItems, isSet, show } from "./context";
import { isPassthroughMode } from "./tls-protocol";

/** The certificate fields of `tls`, in the order Istio checks them, with how each counts as set. */
const certificateFields = [
  ["caCrl", isSet],
  ["serverCertificate", isSet],
  ["privateKey", isSet],
  ["caCertificates", isSet],
  ["tlsCertificates", hasItems],
  ["credentialName", isSet],
  ["credentialNames", hasItems],
] as const;

/** The fields ISTIO_MUTUAL forbids: every certificate field but the CRL, which Istio does not look at there. */
const istioMutualForbidden = certificateFields.filter(([field]) => field !== "caCrl");

const terminatingModes: ReadonlySet<unknown> = new Set([
  TLSmode.SIMPLE,
  TLSmode.MUTUAL,
  TLSmode.OPTIONAL_MUTUAL,
]);

/** `credentialName "gw-cert"`, `tlsCertificates` (with its count): a set field for a message. */
function describe(field: string, value: unknown): string {
  if (Array.isArray(value)) return `${field} (${value.length} ${value.length === 1 ? "entry" : "entries"})`;
  return `${field} ${show(value)}`;
}

/** Checks the certificate sources of `tls` against its mode. */
export function validateCertificates(ctx: ServerContext): void {
  const tls = ctx.server.tls;
  if (tls === undefined || tls === null) return;
  const t = asRecord(tls);
  const tlsPath = childPath(ctx.path, "tls");
  const mode = t.mode;

  if (mode === TLSmode.ISTIO_MUTUAL) {
    for (const [field, isPresent] of istioMutualForbidden) {
      if (isPresent(t[field])) {
        ctx.report(
          "IGW2504",
          childPath(tlsPath, field),
          `must not be set when tls.mode is "ISTIO_MUTUAL": the gateway presents Istio's own certificate (got ${describe(field, t[field])})`,
        );
      }
    }
    return;
  }

  if (isPassthroughMode(mode)) {
    const present = certificateFields.filter(([field, isPresent]) => isPresent(t[field]));
    if (present.length > 0) {
      const got = present.map(([field]) => describe(field, t[field])).join(", ");
      const port = asRecord(ctx.server.port);
      const protocol = typeof port.protocol === "string" ? parseProtocol(port.protocol) : undefined;
      if ((mode === undefined || mode === null) && isTLSProtocol(protocol)) {
        // The proto default is PASSTHROUGH: certificates here almost always mean "terminate", and
        // the server silently forwards encrypted bytes instead (http routes never match).
        ctx.report(
          "IGW2511",
          childPath(tlsPath, "mode"),
          `must be set to terminate TLS with these certificates (usually to "SIMPLE"): unset, it means ` +
            `"PASSTHROUGH", which forwards TLS untouched, ignores the certificates and never applies http routes ` +
            `(got ${got} with port.protocol ${show(port.protocol)})`,
        );
      } else {
        ctx.report(
          "IGW2510",
          tlsPath,
          `certificates are ignored when tls.mode is ${show(mode ?? TLSmode.PASSTHROUGH)}: TLS is not terminated (got ${got})`,
        );
      }
    }
  }

  const sources: string[] = [];
  if (isSet(t.credentialName)) sources.push("credentialName");
  if (hasItems(t.credentialNames)) sources.push("credentialNames");
  if (isSet(t.serverCertificate) && isSet(t.privateKey)) sources.push("serverCertificate with privateKey");
  if (hasItems(t.tlsCertificates)) sources.push("tlsCertificates");
  if (sources.length > 1) {
    ctx.report(
      "IGW2505",
      tlsPath,
      `must use one certificate source: credentialName, credentialNames, serverCertificate with privateKey, ` +
        `or tlsCertificates (got ${sources.join(" and ")})`,
    );
  }

  const hasCredential = isSet(t.credentialName) || hasItems(t.credentialNames);
  // With a credential the certificates come from a Secret (SDS): nothing more to check here.
  if (terminatingModes.has(mode) && hasCredential) return;

  if (terminatingModes.has(mode)) {
    const modeText = show(mode);
    if (mode !== TLSmode.SIMPLE && !isSet(t.caCertificates)) {
      ctx.report(
        "IGW2506",
        childPath(tlsPath, "caCertificates"),
        `required when tls.mode is ${modeText} and credentialName is not set: client certificates are checked against it`,
      );
    }
    const list = t.tlsCertificates;
    if (Array.isArray(list) && list.length > 2) {
      ctx.report(
        "IGW2509",
        childPath(tlsPath, "tlsCertificates"),
        `must list at most 2 certificates (got ${list.length})`,
      );
    }
    const certificates: Array<[string, Record<string, unknown>]> =
      Array.isArray(list) && list.length > 0
        ? list.map((c: unknown, k) => [childPath(childPath(tlsPath, "tlsCertificates"), k), asRecord(c)])
        : [[tlsPath, t]];
    for (const [path, cert] of certificates) {
      if (!isSet(cert.serverCertificate)) {
        ctx.report(
          "IGW2507",
          childPath(path, "serverCertificate"),
          `required when tls.mode is ${modeText} and credentialName is not set`,
        );
      }
      if (!isSet(cert.privateKey)) {
        ctx.report(
          "IGW2508",
          childPath(path, "privateKey"),
          `required when tls.mode is ${modeText} and credentialName is not set`,
        );
      }
    }
  }

  if (isSet(t.caCrl)) {
    const crlPath = childPath(tlsPath, "caCrl");
    if (isSet(t.credentialName)) {
      ctx.report(
        "IGW2512",
        crlPath,
        `must not be set with tls.credentialName: put the CRL in the credential's Secret (got ${show(t.caCrl)})`,
      );
    }
    if (mode === TLSmode.SIMPLE) {
      ctx.report(
        "IGW2513",
        crlPath,
        `must not be set when tls.mode is "SIMPLE": a CRL only checks client certificates (got ${show(t.caCrl)})`,
      );
    }
  }
}
