/**
 * Host name syntax as Istio's webhook checks it (`pkg/config/labels`, `pkg/config/validation/agent`).
 * Validators return `undefined` for a valid name, else a message in the house style
 * (`<rule> (got <value>)`); the caller adds the path.
 */
import { utf8Length } from "./bytes";
import { isIPAddress } from "./ip-address";

export { isIPAddress, isIPv4, isIPv6 } from "./ip-address";

/** The longest DNS-1123 label, in bytes. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** The longest domain name Istio accepts, in bytes. */
export const DOMAIN_MAX_LENGTH = 255;

const dns1123Label = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const wildcardLabel = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** True for a DNS-1123 label: 1..63 letters (either case), digits or `-`, not starting or ending with `-`. */
export function isDNS1123Label(s: string): boolean {
  return utf8Length(s) <= DNS1123_LABEL_MAX_LENGTH && dns1123Label.test(s);
}

/** True for a DNS-1123 label, `*`, or a DNS-1123 label prefixed with `*` or `*-` (`*foo`, `*-foo`). */
export function isWildcardDNS1123Label(s: string): boolean {
  return utf8Length(s) <= DNS1123_LABEL_MAX_LENGTH && wildcardLabel.test(s);
}

/**
 * True when Go's `strconv.Atoi` parses `s`: an optional sign and decimal digits that fit in 64 bits.
 * Istio uses it to find an all-numeric top-level domain, so `99999999999999999999` is not "numeric".
 */
function isGoInteger(s: string): boolean {
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return false;
  const value = BigInt(m[2] as string);
  return m[1] === "-" ? value <= 9223372036854775808n : value <= 9223372036854775807n;
}

function checkLength(domain: string): string | undefined {
  const n = utf8Length(domain);
  if (n > DOMAIN_MAX_LENGTH) return `must be at most ${DOMAIN_MAX_LENGTH} bytes long (got ${n} bytes)`;
  if (n === 0) return `must not be empty (got "")`;
  return undefined;
}

/**
 * Checks the labels of `domain` (Istio's `ValidateDNS1123Labels`): the last label is not all-numeric,
 * every label is a DNS-1123 label, and a trailing `.` is allowed. `whole` names the full host in the
 * message when `domain` is the part after a wildcard label.
 */
function checkLabels(domain: string, whole: string): string | undefined {
  const parts = domain.split(".");
  const tld = parts[parts.length - 1] as string;
  if (isGoInteger(tld)) {
    return `top-level domain must not be all-numeric (got ${JSON.stringify(tld)} in ${JSON.stringify(whole)})`;
  }
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] as string;
    if (i === parts.length - 1 && label === "") return undefined;
    if (!isDNS1123Label(label)) {
      return (
        `each label must be 1 to 63 letters, digits or "-", not starting or ending with "-" ` +
        `(got ${JSON.stringify(label)} in ${JSON.stringify(whole)})`
      );
    }
  }
  return undefined;
}

/**
 * A fully qualified domain name without wildcards (Istio's `ValidateFQDN`); a single label such as
 * `reviews` passes, as in Istio (only the top-level domain must not be all-numeric).
 */
export function validateFQDN(host: string): string | undefined {
  return checkLength(host) ?? checkLabels(host, host);
}

/**
 * A domain name whose first label may be a wildcard (Istio's `ValidateWildcardDomain`): `*`,
 * `*.foo.com`, the partial `*foo.com` and `*-foo.com`, short names like `reviews`, and a trailing `.`.
 * Not IP addresses: callers that accept them check {@link isIPAddress} first.
 */
export function validateWildcardDomain(host: string): string | undefined {
  const length = checkLength(host);
  if (length !== undefined) return length;
  const dot = host.indexOf(".");
  const first = dot < 0 ? host : host.slice(0, dot);
  if (!isWildcardDNS1123Label(first)) {
    return (
      `first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-" ` +
      `(got ${JSON.stringify(first)} in ${JSON.stringify(host)})`
    );
  }
  return dot < 0 ? undefined : checkLabels(host.slice(dot + 1), host);
}

/**
 * Rejects partial wildcards (Istio's `ValidatePartialWildCard`, for Gateway hosts): a `*` is allowed
 * only as the whole host or as the first label (`*.foo.com`).
 */
export function validatePartialWildcard(host: string): string | undefined {
  if (host.includes("*") && host.length !== 1 && !host.startsWith("*.")) {
    return `a wildcard must be the whole host or its whole first label, as in "*.example.com" (got ${JSON.stringify(host)})`;
  }
  return undefined;
}

const outboundFormat = "outbound_.<PORT>_._.<HOSTNAME>";

/**
 * A host of a VirtualService bound only to gateways (Istio's
 * `ValidateWildcardDomainForVirtualServiceBoundToGateway`). With `sni` (the VirtualService has
 * `tls` routes with `sniHosts`), a host starting `outbound_` must have the auto-passthrough form
 * `outbound_.<PORT>_._.<HOSTNAME>`; every other host is checked by {@link validateWildcardDomain}.
 */
export function validateGatewayBoundVirtualServiceHost(sni: boolean, host: string): string | undefined {
  const length = checkLength(host);
  if (length !== undefined) return length;
  if (!sni || !host.startsWith("outbound_")) return validateWildcardDomain(host);
  const parts = host.split("_");
  if (parts.length < 4)
    return `must have the form ${JSON.stringify(outboundFormat)} (got ${JSON.stringify(host)})`;
  const port = trimDots(parts[1] as string);
  const hostname = trimDots(parts[3] as string);
  // The first part is always "outbound" here, by the prefix test above. Istio's checks are unanchored: a port with any digit and a host name with any letter pass.
  if (!/[0-9]/.test(port)) {
    return `port part must contain a digit in the form ${JSON.stringify(outboundFormat)} (got ${JSON.stringify(port)} in ${JSON.stringify(host)})`;
  }
  if (!/[a-zA-Z]/.test(hostname)) {
    return `host name part must contain a letter in the form ${JSON.stringify(outboundFormat)} (got ${JSON.stringify(hostname)} in ${JSON.stringify(host)})`;
  }
  return undefined;
}

function trimDots(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === ".") start++;
  while (end > start && s[end - 1] === ".") end--;
  return s.slice(start, end);
}

/**
 * A host of a VirtualService (Istio's checks for `spec.hosts[]`): an IP address, or a name per
 * {@link validateWildcardDomain} — or, when the VirtualService is bound only to gateways, per
 * {@link validateGatewayBoundVirtualServiceHost}. Short names and partial wildcards pass.
 */
export function validateVirtualServiceHost(
  host: string,
  gatewayOnly: boolean,
  sni: boolean,
): string | undefined {
  if (isIPAddress(host)) return undefined;
  return gatewayOnly ? validateGatewayBoundVirtualServiceHost(sni, host) : validateWildcardDomain(host);
}
