/**
 * The codes of the Gateway rules (IGW2000-2999), Istio's validating webhook for Gateways. Istio's
 * `istioctl analyze` reports the webhook's errors as IST0106 and its warnings as IST0133.
 */
import { defineCodes, Severity } from "../issue";

const error = { severity: Severity.Error, istioCode: "IST0106" } as const;
const warning = { severity: Severity.Warning, istioCode: "IST0133" } as const;

/** The Gateway code table. */
export const gatewayCodes = defineCodes({
  // Servers (IGW20xx)
  IGW2001: { ...error, summary: "a Gateway must have at least one server" },
  IGW2002: { ...error, summary: "a server must be an object, not null" },
  // Server hosts (IGW21xx)
  IGW2101: { ...error, summary: "a server must have at least one host" },
  IGW2102: { ...error, summary: 'a host with "/" needs a namespace before it and a host name after it' },
  IGW2103: { ...error, summary: 'the namespace of a host must be "*", "." or a DNS-1123 label' },
  IGW2104: { ...error, summary: 'a host must be a fully qualified domain name or "*", not a short name' },
  IGW2105: {
    ...error,
    summary: "a host must be a valid domain name (DNS-1123 labels, a wildcard first label) or an IP address",
  },
  IGW2106: {
    ...error,
    summary: 'a host may use "*" only as its whole first label ("*.example.com"), not a partial wildcard',
  },
  // Port (IGW22xx)
  IGW2201: { ...error, summary: "a server must have a port" },
  IGW2202: {
    ...error,
    summary:
      "the port protocol must be one Istio knows (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, REDIS, MYSQL)",
  },
  IGW2203: { ...error, summary: "the port number must be from 1 to 65535 (0 only with a unix:// bind)" },
  IGW2204: { ...error, summary: "port.targetPort has no effect on Gateways and must not be set" },
  IGW2205: { ...error, summary: "the port name must be set" },
  IGW2206: { ...error, summary: "port names must be unique across the servers of a Gateway" },
  // Bind (IGW23xx)
  IGW2301: { ...error, summary: 'a unix:// bind must name an absolute file path or an "@abstract" socket' },
  IGW2302: { ...error, summary: "the port number must be 0 when the server binds a unix:// socket" },
  IGW2303: { ...error, summary: "bind must be an IP address or a unix:// socket" },
  // TLS settings against the port protocol (IGW24xx)
  IGW2401: { ...error, summary: "an HTTPS or TLS server must have tls settings" },
  IGW2402: {
    ...error,
    summary: "an HTTP server may only use tls for httpsRedirect; terminating TLS needs protocol HTTPS",
  },
  IGW2403: { ...error, summary: "a TCP, UDP, MONGO, REDIS or MYSQL server must not have tls settings" },
  IGW2404: { ...warning, summary: "tls.httpsRedirect only takes effect on HTTP servers" },
  // TLS options and certificates (IGW25xx)
  IGW2501: {
    ...warning,
    summary: "minProtocolVersion below TLSV1_2 needs cipherSuites: the default ciphers no longer suit it",
  },
  IGW2502: { ...warning, summary: "a cipher suite Istio does not know is ignored" },
  IGW2503: { ...warning, summary: "a repeated cipher suite is ignored" },
  IGW2504: {
    ...error,
    summary: "ISTIO_MUTUAL uses Istio's own certificates: no certificate, key, CA or credential may be set",
  },
  IGW2505: {
    ...error,
    summary:
      "only one certificate source: credentialName, credentialNames, serverCertificate+privateKey or tlsCertificates",
  },
  IGW2506: { ...error, summary: "MUTUAL and OPTIONAL_MUTUAL without a credential need caCertificates" },
  IGW2507: {
    ...error,
    summary: "SIMPLE, MUTUAL and OPTIONAL_MUTUAL without a credential need a serverCertificate",
  },
  IGW2508: { ...error, summary: "SIMPLE, MUTUAL and OPTIONAL_MUTUAL without a credential need a privateKey" },
  IGW2509: { ...warning, summary: "at most 2 tlsCertificates are used" },
  IGW2510: {
    ...warning,
    summary: "PASSTHROUGH and AUTO_PASSTHROUGH do not terminate TLS: certificates set on them are ignored",
  },
  IGW2511: {
    ...warning,
    strict: true,
    summary:
      "tls.mode is not set on an HTTPS/TLS server with certificates: it defaults to PASSTHROUGH, so TLS is not " +
      "terminated, the certificates are ignored and http routes never match (strict: traffic silently breaks)",
  },
  IGW2512: {
    ...error,
    summary: "caCrl cannot be used with credentialName: the CRL belongs in the credential",
  },
  IGW2513: {
    ...error,
    summary: "caCrl cannot be used with SIMPLE TLS: a CRL only checks client certificates",
  },
});

/** A code of the Gateway table. */
export type GatewayCode = keyof typeof gatewayCodes;
