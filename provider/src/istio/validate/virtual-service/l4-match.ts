/**
 * The match fields TLS, TCP and HTTP matches share: `port`, `sourceLabels`, `gateways`,
 * `sourceNamespace`, and (TLS/TCP) `destinationSubnets`.
 */
import type { Report } from "./context";
import { isDNS1123Label, isIPAddress } from "../../host/dns";
import { childPath } from "../path";
import { isPortNumber } from "./destination";
import { checkGatewayNames } from "./gateway-names";
import { entriesOf, isSet, listOf, numberOr0 } from "./values";

const DNS1123_LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
const QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY = new RegExp(`^(${DNS1123_LABEL}(?:\\.${DNS1123_LABEL})*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE = new RegExp(`^(?:${QUALIFIED_NAME})?$`);

/** Why `key` is not a Kubernetes label key (`[prefix/]name`), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const m = LABEL_KEY.exec(key);
  if (m === null) {
    return `must be a label key: [<DNS prefix>/]<name>, the name alphanumeric with "-", "_" or "." inside (got ${JSON.stringify(key)})`;
  }
  if (m[1] !== undefined && m[1].length - 1 > 253) {
    return `must have a DNS prefix of at most 253 characters (got ${JSON.stringify(key)})`;
  }
  if (m[2].length > 63) return `must have a name part of at most 63 characters (got ${JSON.stringify(key)})`;
  return undefined;
}

/** True for a Kubernetes label value (possibly empty). */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** Reports an invalid `port` (when set and not 0) at `path`. */
export function checkMatchPort(report: Report, port: unknown, path: string): void {
  if (!isSet(port)) return;
  const n = numberOr0(port);
  if (n !== 0 && !isPortNumber(n)) report("IGW3064", path, `must be an integer from 1 to 65535 (got ${n})`);
}

/** Reports invalid `sourceLabels` keys and values under `path`. */
export function checkSourceLabels(
  report: Report,
  labels: { [key: string]: string } | null | undefined,
  path: string,
): void {
  for (const [key, value] of entriesOf(labels)) {
    const where = childPath(path, key);
    const problem = labelKeyProblem(key);
    if (problem !== undefined) report("IGW3065", where, problem);
    if (typeof value === "string" && !isLabelValue(value)) {
      report(
        "IGW3065",
        where,
        `must be a label value: empty, or alphanumeric with "-", "_" or "." inside (got ${JSON.stringify(value)})`,
      );
    }
  }
}

/** Reports an invalid `sourceNamespace` at `path`. */
export function checkSourceNamespace(report: Report, ns: unknown, path: string): void {
  if (typeof ns !== "string" || ns === "") return;
  if (!isDNS1123Label(ns))
    report("IGW3066", path, `must be a namespace name (a DNS-1123 label) (got ${JSON.stringify(ns)})`);
}

/** Why `subnet` is neither an IP address nor a CIDR block, or undefined. */
export function subnetProblem(subnet: string): string | undefined {
  const slashes = subnet.split("/").length - 1;
  if (slashes === 1) {
    const [address, bits] = subnet.split("/");
    const max = address.includes(":") ? 128 : 32;
    const n = /^(0|[1-9][0-9]{0,2})$/.test(bits) ? Number(bits) : -1;
    if (!isIPAddress(address) || address.includes("%") || n < 0 || n > max) {
      return `must be a CIDR block such as "10.0.0.0/8" (got ${JSON.stringify(subnet)})`;
    }
    return undefined;
  }
  if (!isIPAddress(subnet)) return `must be an IP address or a CIDR block (got ${JSON.stringify(subnet)})`;
  return undefined;
}

/** Reports invalid `destinationSubnets` entries under `path`. */
export function checkDestinationSubnets(
  report: Report,
  subnets: readonly unknown[] | null | undefined,
  path: string,
): void {
  listOf(subnets).forEach((subnet, i) => {
    const problem = subnetProblem(typeof subnet === "string" ? subnet : String(subnet));
    if (problem !== undefined) report("IGW3067", childPath(path, i), problem);
  });
}

/** The fields of a TLS or TCP match that are checked alike. */
export interface L4MatchFields {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: { [key: string]: string };
  gateways?: string[];
}

/** Reports problems of the fields TLS and TCP matches share, for the match at `path`. */
export function checkL4MatchFields(report: Report, match: L4MatchFields, path: string): void {
  checkDestinationSubnets(report, match.destinationSubnets, childPath(path, "destinationSubnets"));
  checkMatchPort(report, match.port, childPath(path, "port"));
  checkSourceLabels(report, match.sourceLabels, childPath(path, "sourceLabels"));
  checkGatewayNames(report, match.gateways, childPath(path, "gateways"));
}
