/**
 * The single-resource rules of a ServiceEntry, as Istio's validating webhook applies them
 * (`ValidateServiceEntry`): hosts, addresses, ports, and how resolution, endpoints and
 * workloadSelector fit together. Codes IGW5100-5199.
 */
import {
  isDNS1123Label,
  isIPAddress,
  validateFQDN,
  validatePartialWildcard,
  validateWildcardDomain,
} from "../host/dns";
import { isWildcard } from "../host/name";
import { isHTTPProtocol, isTLSProtocol, parseProtocol, PortProtocol } from "../model";
import type { ServiceEntry, ServicePort, WorkloadEntry } from "../model";
import type { Issue, ValidationOptions } from "./issue";
import { defineWebhookCodes, Reporter, Severity } from "./issue";
import { childPath } from "./path";
import { validateExportTo } from "./virtual-service/export-to";
import type { ExportToProblemKind } from "./virtual-service/export-to";
import { isLabelValue, labelKeyProblem } from "./virtual-service/l4-match";

/** The ServiceEntry code table, joined into the catalogue by `validate/codes.ts`. */
export const serviceEntryCodes = defineWebhookCodes({
  IGW5101: { severity: Severity.Error, summary: "no hosts" },
  IGW5102: { severity: Severity.Error, summary: 'host is "*" or not a valid DNS name or wildcard name' },
  IGW5103: {
    severity: Severity.Warning,
    summary: "host has a partial wildcard (only DYNAMIC_DNS matches it)",
  },
  IGW5104: { severity: Severity.Error, summary: "address is not an IP address or CIDR block" },
  IGW5105: { severity: Severity.Error, summary: "CIDR address with a resolution other than NONE or STATIC" },
  IGW5106: { severity: Severity.Error, summary: "port name or number defined twice" },
  IGW5107: { severity: Severity.Error, summary: "port name is not a DNS-1123 label" },
  IGW5108: { severity: Severity.Error, summary: "port number or targetPort outside 1-65535" },
  IGW5109: { severity: Severity.Error, summary: "port protocol is not one Istio knows" },
  IGW5110: {
    severity: Severity.Warning,
    summary: "TCP (or unset) port without addresses while IP auto-allocation does not apply",
  },
  IGW5111: { severity: Severity.Error, summary: "both workloadSelector and endpoints are set" },
  IGW5112: { severity: Severity.Error, summary: "endpoints with resolution NONE" },
  IGW5113: { severity: Severity.Warning, summary: "workloadSelector with resolution NONE" },
  IGW5114: {
    severity: Severity.Error,
    summary: "endpoint address missing, or not an IP (STATIC), IP or FQDN (DNS), or a valid unix:// path",
  },
  IGW5115: {
    severity: Severity.Warning,
    summary: "endpoint without address, reached through its network gateway",
  },
  IGW5116: { severity: Severity.Error, summary: "endpoint port name is not one of the ServiceEntry's ports" },
  IGW5117: { severity: Severity.Error, summary: "endpoint port name invalid or number outside 1-65535" },
  IGW5118: {
    severity: Severity.Error,
    summary: "endpoint label key or value is not a valid Kubernetes label",
  },
  IGW5119: {
    severity: Severity.Error,
    summary: "unix:// endpoint with ports, or without exactly one ServiceEntry port",
  },
  IGW5120: {
    severity: Severity.Error,
    summary: "DNS resolution without endpoints needs FQDN hosts (no wildcards)",
  },
  IGW5121: { severity: Severity.Error, summary: "DNS_ROUND_ROBIN with more than one endpoint" },
  IGW5122: {
    severity: Severity.Warning,
    summary: "DNS resolution with addresses, a TCP port and several hosts",
  },
  IGW5123: {
    severity: Severity.Error,
    summary:
      "DYNAMIC_DNS with a non-wildcard host, addresses, endpoints, a port not HTTP, TLS, GRPC or HTTP2, or MESH_INTERNAL behind a waypoint",
  },
  IGW5124: {
    severity: Severity.Error,
    summary: "several hosts with a port that is neither HTTP nor TLS (resolution other than NONE)",
  },
  IGW5125: { severity: Severity.Error, summary: 'exportTo entry is not ".", "*", "~" or a namespace name' },
  IGW5126: { severity: Severity.Error, summary: "exportTo entry repeated" },
  IGW5127: { severity: Severity.Error, summary: 'exportTo mixes "*" or "~" with other entries' },
  IGW5128: {
    severity: Severity.Warning,
    strict: true,
    summary:
      "STATIC resolution with neither endpoints nor workloadSelector: nothing to send to (not an Istio check; traffic fails)",
  },
  IGW5129: { severity: Severity.Error, summary: "workloadSelector label key empty or with a wildcard" },
  IGW5130: { severity: Severity.Warning, summary: "workloadSelector without labels selects every workload" },
});

/** A code of the ServiceEntry table. */
export type ServiceEntryCode = keyof typeof serviceEntryCodes;

type Report = (code: ServiceEntryCode, path: string, message: string) => void;

const exportToCodes: Record<ExportToProblemKind, ServiceEntryCode> = {
  invalid: "IGW5125",
  none: "IGW5125",
  duplicate: "IGW5126",
  "public-and-other": "IGW5127",
  "none-and-other": "IGW5127",
  "selector-scope": "IGW5125",
};

/** Label that opts a ServiceEntry out of Istio's automatic address allocation. */
const AUTOALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";
const UNIX_PREFIX = "unix://";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isPort(n: unknown): boolean {
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535;
}

function portMessage(n: unknown): string {
  return `must be an integer from 1 to 65535 (got ${JSON.stringify(n) ?? String(n)})`;
}

/** True for `a.b.c.d/n` or `x::/n` as Go's `netip.ParsePrefix` reads it (no zone, no leading zeros in n). */
export function isCIDR(s: string): boolean {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return false;
  const address = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (address.includes("%") || !isIPAddress(address)) return false;
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(bits)) return false;
  return Number(bits) <= (address.includes(":") ? 128 : 32);
}

/** Why `addr` (after `unix://`) is not a socket path (Istio's `ValidateUnixAddress`), or undefined. */
function unixAddressProblem(address: string): string | undefined {
  const path = address.slice(UNIX_PREFIX.length);
  if (path === "") return `must name a socket after "unix://" (got ${JSON.stringify(address)})`;
  if (path.startsWith("@")) return undefined;
  if (!path.startsWith("/") || path.endsWith("/")) {
    return `must be an absolute path to a file or an @abstract socket after "unix://" (got ${JSON.stringify(address)})`;
  }
  return undefined;
}

function protocolOf(port: ServicePort): PortProtocol | undefined {
  return typeof port.protocol === "string" ? parseProtocol(port.protocol) : undefined;
}

/**
 * Checks one ServiceEntry as Istio's webhook does and returns every finding (errors reject the
 * resource; warnings do not, unless `options.strict` turns the strict ones into errors).
 */
export function validateServiceEntry(se: ServiceEntry, options: ValidationOptions = {}): Issue[] {
  const metadata = isRecord(se) && isRecord(se.metadata) ? se.metadata : {};
  const namespace =
    typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const reporter = new Reporter({ kind: "ServiceEntry", namespace, name }, serviceEntryCodes, options);
  const report: Report = (code, path, message) => reporter.report(code, path, message);
  const spec = isRecord(se) && isRecord(se.spec) ? se.spec : undefined;
  if (spec === undefined) return reporter.issues;

  const resolution = spec.resolution ?? "NONE";
  const hosts = listOf(spec.hosts).filter((h): h is string => typeof h === "string");
  const addresses = listOf(spec.addresses).filter((a): a is string => typeof a === "string");
  const ports = listOf(spec.ports).filter(isRecord) as unknown as ServicePort[];
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints : undefined;
  const hasSelector = isRecord(spec.workloadSelector);

  checkWorkloadSelector(report, spec.workloadSelector);
  if (hasSelector && endpoints !== undefined) {
    report("IGW5111", "spec", "only one of workloadSelector or endpoints may be set");
  }

  checkHosts(report, hosts, resolution);

  let cidr = false;
  addresses.forEach((address, i) => {
    const isBlock = address.includes("/");
    cidr ||= isBlock;
    const ok = address.split("/").length === 2 ? isCIDR(address) : isIPAddress(address);
    if (!ok)
      report(
        "IGW5104",
        `spec.addresses[${i}]`,
        `must be an IP address or a CIDR block (got ${JSON.stringify(address)})`,
      );
  });
  if (cidr && resolution !== "NONE" && resolution !== "STATIC") {
    report(
      "IGW5105",
      "spec.resolution",
      `must be "NONE" or "STATIC" when addresses has a CIDR block (got ${JSON.stringify(resolution)})`,
    );
  }

  const portNames = checkPorts(
    report,
    spec.ports,
    addresses.length > 0,
    autoAllocates(metadata.labels, resolution, addresses),
  );

  switch (resolution) {
    case "NONE":
      if (endpoints !== undefined && endpoints.length > 0) {
        report(
          "IGW5112",
          "spec.endpoints",
          'must be empty when resolution is "NONE": the address the client asked for is used',
        );
      }
      if (hasSelector) {
        report("IGW5113", "spec.workloadSelector", 'has no effect when resolution is "NONE"');
      }
      break;
    case "STATIC":
      if ((endpoints === undefined || endpoints.length === 0) && !hasSelector) {
        report(
          "IGW5128",
          "spec.endpoints",
          'required when resolution is "STATIC" and workloadSelector is not set: there is nothing to send to',
        );
      }
      listOf(endpoints).forEach((endpoint, i) => {
        if (isRecord(endpoint))
          checkEndpoint(report, endpoint as WorkloadEntry, `spec.endpoints[${i}]`, portNames, "STATIC");
      });
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
      checkDNS(report, resolution, hosts, endpoints ?? [], portNames, addresses, ports);
      break;
    case "DYNAMIC_DNS":
      checkDynamicDNS(report, spec.location, metadata.labels, hosts, addresses, endpoints, ports);
      break;
  }

  if (resolution !== "NONE" && hosts.length > 1) {
    const i = ports.findIndex((p) => {
      const protocol = protocolOf(p);
      return !isHTTPProtocol(protocol) && !isTLSProtocol(protocol);
    });
    if (i >= 0) {
      report(
        "IGW5124",
        `spec.ports[${i}].protocol`,
        `must be an HTTP or TLS protocol when there are several hosts and resolution is ${JSON.stringify(resolution)}: nothing else tells the hosts apart (got ${JSON.stringify(ports[i].protocol ?? "")})`,
      );
    }
  }

  const exportTo = Array.isArray(spec.exportTo) ? spec.exportTo : undefined;
  for (const problem of validateExportTo(namespace, exportTo, { serviceEntry: true })) {
    const path = problem.index === undefined ? "spec.exportTo" : `spec.exportTo[${problem.index}]`;
    report(exportToCodes[problem.kind], path, problem.message);
  }
  return reporter.issues;
}

function checkWorkloadSelector(report: Report, selector: unknown): void {
  if (!isRecord(selector)) return;
  const labels = isRecord(selector.labels) ? selector.labels : {};
  for (const [key, value] of Object.entries(labels)) {
    const path = childPath("spec.workloadSelector.labels", key);
    if (key === "") report("IGW5129", path, 'must not be empty (got "")');
    if (key.includes("*") || (typeof value === "string" && value.includes("*"))) {
      report(
        "IGW5129",
        path,
        `must not contain a wildcard (got ${JSON.stringify(`${key}=${String(value)}`)})`,
      );
    }
  }
  if (Object.keys(labels).length === 0) {
    report(
      "IGW5130",
      "spec.workloadSelector.labels",
      "selects every workload in the namespace when empty (got {})",
    );
  }
}

function checkHosts(report: Report, hosts: string[], resolution: string): void {
  if (hosts.length === 0) {
    report("IGW5101", "spec.hosts", "must list at least one host (got [])");
    return;
  }
  hosts.forEach((host, i) => {
    const path = `spec.hosts[${i}]`;
    if (host === "*") {
      report("IGW5102", path, 'must not be "*": a ServiceEntry names the hosts it adds (got "*")');
      return;
    }
    const problem = validateWildcardDomain(host);
    if (problem !== undefined) report("IGW5102", path, problem);
    if (resolution !== "DYNAMIC_DNS") {
      const partial = validatePartialWildcard(host);
      if (partial !== undefined) report("IGW5103", path, partial);
    }
  });
}

/** Whether Istio assigns addresses itself (its IP auto-allocation, on by default). */
function autoAllocates(labels: unknown, resolution: string, addresses: string[]): boolean {
  if (resolution === "NONE" || addresses.length > 0) return false;
  const value = isRecord(labels) ? labels[AUTOALLOCATE_LABEL] : undefined;
  return !(typeof value === "string" && value.toLowerCase() === "false");
}

/** Checks `spec.ports` and returns the declared port names. */
function checkPorts(
  report: Report,
  value: unknown,
  hasAddresses: boolean,
  autoAllocation: boolean,
): Set<string> {
  const names = new Set<string>();
  const numbers = new Set<unknown>();
  listOf(value).forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const port = entry as unknown as ServicePort;
    const at = `spec.ports[${i}]`;
    if (names.has(port.name))
      report("IGW5106", `${at}.name`, `must be unique among the ports (got ${JSON.stringify(port.name)})`);
    if (numbers.has(port.number)) {
      report(
        "IGW5106",
        `${at}.number`,
        `must be unique among the ports (got ${JSON.stringify(port.number)})`,
      );
    }
    names.add(port.name);
    numbers.add(port.number);
    if (port.targetPort !== undefined && port.targetPort !== 0 && !isPort(port.targetPort)) {
      report("IGW5108", `${at}.targetPort`, portMessage(port.targetPort));
    }
    if (
      !hasAddresses &&
      !autoAllocation &&
      (port.protocol === undefined || port.protocol === "" || port.protocol === "TCP")
    ) {
      report(
        "IGW5110",
        at,
        "needs spec.addresses when its protocol is TCP or unset and IP auto-allocation does not apply: TCP traffic cannot be told apart by host",
      );
    }
    if (!isDNS1123Label(port.name)) {
      report(
        "IGW5107",
        `${at}.name`,
        `must be a DNS-1123 label: letters, digits and "-", at most 63 characters (got ${JSON.stringify(port.name)})`,
      );
    }
    if (
      typeof port.protocol === "string" &&
      port.protocol !== "" &&
      parseProtocol(port.protocol) === undefined
    ) {
      report(
        "IGW5109",
        `${at}.protocol`,
        `must be one of ${Object.values(PortProtocol)
          .map((p) => JSON.stringify(p))
          .join(", ")} (got ${JSON.stringify(port.protocol)})`,
      );
    }
    if (!isPort(port.number)) report("IGW5108", `${at}.number`, portMessage(port.number));
  });
  return names;
}

function checkEndpointPortsAndLabels(
  report: Report,
  endpoint: WorkloadEntry,
  path: string,
  portNames: Set<string>,
): void {
  for (const [name, number] of Object.entries(isRecord(endpoint.ports) ? endpoint.ports : {})) {
    const where = childPath(`${path}.ports`, name);
    if (!portNames.has(name)) {
      report("IGW5116", where, `must name one of the ports of spec.ports (got ${JSON.stringify(name)})`);
    }
    if (!isDNS1123Label(name)) {
      report("IGW5117", where, `must be keyed by a DNS-1123 label (got ${JSON.stringify(name)})`);
    }
    if (!isPort(number)) report("IGW5117", where, portMessage(number));
  }
  for (const [key, value] of Object.entries(isRecord(endpoint.labels) ? endpoint.labels : {})) {
    const where = childPath(`${path}.labels`, key);
    const problem = labelKeyProblem(key);
    if (problem !== undefined) report("IGW5118", where, problem);
    if (typeof value === "string" && !isLabelValue(value)) {
      report(
        "IGW5118",
        where,
        `must be a label value: empty, or letters and digits with "-", "_" or "." inside, at most 63 characters (got ${JSON.stringify(value)})`,
      );
    }
  }
}

/** An endpoint of a STATIC ServiceEntry (Istio's `validateWorkloadEntry` without FQDN addresses). */
function checkEndpoint(
  report: Report,
  endpoint: WorkloadEntry,
  path: string,
  portNames: Set<string>,
  resolution: string,
): void {
  const address = typeof endpoint.address === "string" ? endpoint.address : "";
  if (address === "") {
    if (typeof endpoint.network !== "string" || endpoint.network === "") {
      report("IGW5114", `${path}.address`, "required when network is not set");
      return;
    }
    report(
      "IGW5115",
      `${path}.address`,
      `is not set: the endpoint is reached through the gateway of network ${JSON.stringify(endpoint.network)}`,
    );
  }
  if (address.startsWith(UNIX_PREFIX)) {
    const problem = unixAddressProblem(address);
    if (problem !== undefined) report("IGW5114", `${path}.address`, problem);
    if (isRecord(endpoint.ports) && Object.keys(endpoint.ports).length > 0) {
      report(
        "IGW5119",
        `${path}.ports`,
        `must not be set for a unix:// endpoint (got ${JSON.stringify(endpoint.ports)})`,
      );
    }
    if (portNames.size !== 1) {
      report(
        "IGW5119",
        `${path}.address`,
        `needs exactly one port in spec.ports for a unix:// endpoint (got ${portNames.size})`,
      );
    }
  } else if (address !== "" && !isIPAddress(address)) {
    report(
      "IGW5114",
      `${path}.address`,
      `must be an IP address or a unix:// path when resolution is ${JSON.stringify(resolution)} (got ${JSON.stringify(address)})`,
    );
  }
  checkEndpointPortsAndLabels(report, endpoint, path, portNames);
}

function checkDNS(
  report: Report,
  resolution: "DNS" | "DNS_ROUND_ROBIN",
  hosts: string[],
  endpoints: unknown[],
  portNames: Set<string>,
  addresses: string[],
  ports: ServicePort[],
): void {
  const res = JSON.stringify(resolution);
  if (endpoints.length === 0) {
    // Without endpoints the hosts themselves are resolved, so they must be resolvable names.
    const i = hosts.findIndex((h) => validateFQDN(h) !== undefined);
    if (i >= 0) {
      report(
        "IGW5120",
        `spec.hosts[${i}]`,
        `must be a DNS name without wildcards when resolution is ${res} and there are no endpoints: it is resolved as written (got ${JSON.stringify(hosts[i])})`,
      );
    }
  }
  if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) {
    report(
      "IGW5121",
      "spec.endpoints",
      `must have at most 1 endpoint when resolution is ${res} (got ${endpoints.length})`,
    );
  }
  endpoints.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const endpoint = entry as WorkloadEntry;
    const path = `spec.endpoints[${i}]`;
    const address = typeof endpoint.address === "string" ? endpoint.address : "";
    if (!isIPAddress(address) && validateFQDN(address) !== undefined) {
      report(
        "IGW5114",
        `${path}.address`,
        `must be an IP address or a DNS name when resolution is ${res} (got ${JSON.stringify(address)})`,
      );
    }
    checkEndpointPortsAndLabels(report, endpoint, path, portNames);
  });
  if (addresses.length > 0 && hosts.length > 1) {
    const i = ports.findIndex((p) => {
      const protocol = protocolOf(p);
      return (
        protocol === PortProtocol.TCP ||
        protocol === PortProtocol.HTTPS ||
        protocol === PortProtocol.TLS ||
        protocol === PortProtocol.MONGO ||
        protocol === PortProtocol.REDIS ||
        protocol === PortProtocol.MYSQL
      );
    });
    if (i >= 0) {
      report(
        "IGW5122",
        "spec.hosts",
        `should list one host when addresses and a TCP port (spec.ports[${i}]) are set: the address cannot tell the hosts apart (got ${hosts.length} hosts)`,
      );
    }
  }
}

/** Label that puts a ServiceEntry behind a waypoint proxy (ambient mode); `none` opts out. */
const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

function usesWaypoint(labels: unknown): boolean {
  const value = isRecord(labels) ? labels[USE_WAYPOINT_LABEL] : undefined;
  return typeof value === "string" && value !== "" && value.toLowerCase() !== "none";
}

function checkDynamicDNS(
  report: Report,
  location: unknown,
  labels: unknown,
  hosts: string[],
  addresses: string[],
  endpoints: unknown[] | undefined,
  ports: ServicePort[],
): void {
  hosts.forEach((host, i) => {
    if (!isWildcard(host)) {
      report(
        "IGW5123",
        `spec.hosts[${i}]`,
        `must be a wildcard host when resolution is "DYNAMIC_DNS" (got ${JSON.stringify(host)})`,
      );
    }
  });
  if (addresses.length > 0) {
    report(
      "IGW5123",
      "spec.addresses",
      'must be empty when resolution is "DYNAMIC_DNS": routes come from the hosts',
    );
  }
  if (endpoints !== undefined && endpoints.length > 0) {
    report(
      "IGW5123",
      "spec.endpoints",
      'must be empty when resolution is "DYNAMIC_DNS": the destination is resolved from the host',
    );
  }
  if (location === "MESH_INTERNAL" && usesWaypoint(labels)) {
    report(
      "IGW5123",
      "spec.location",
      'must be "MESH_EXTERNAL" when resolution is "DYNAMIC_DNS" and the entry uses a waypoint (got "MESH_INTERNAL")',
    );
  }
  ports.forEach((port, i) => {
    const protocol = protocolOf(port);
    const ok =
      protocol === PortProtocol.HTTP ||
      protocol === PortProtocol.TLS ||
      protocol === PortProtocol.GRPC ||
      protocol === PortProtocol.HTTP2;
    if (!ok) {
      report(
        "IGW5123",
        `spec.ports[${i}].protocol`,
        `must be "HTTP", "TLS", "GRPC" or "HTTP2" when resolution is "DYNAMIC_DNS" (got ${JSON.stringify(port.protocol ?? "")})`,
      );
    }
  });
}
