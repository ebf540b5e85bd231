/**
 * The single-resource rules of a DestinationRule, as Istio's validating webhook applies them
 * (`ValidateDestinationRule`): the host, subsets (names and labels), exportTo, workloadSelector,
 * and traffic policies (connection pools, outlier detection, upstream TLS, port-level settings),
 * reading the fields the model leaves out where Istio checks them. Codes
 * IGW5000-5099.
 */
import { isDNS1123Label, validateWildcardDomain } from "../host/dns";
import type { ClientTLSSettings, ConnectionPoolSettings, DestinationRule, TrafficPolicy } from "../model";
import type { Issue, ValidationOptions } from "./issue";
import { defineWebhookCodes, Reporter, Severity } from "./issue";
import { childPath } from "./path";
import { MILLISECOND, parseDuration, validateDuration } from "./virtual-service/duration";
import { validateExportTo } from "./virtual-service/export-to";
import type { ExportToProblemKind } from "./virtual-service/export-to";
import { isLabelValue, labelKeyProblem } from "./virtual-service/l4-match";

/** The DestinationRule code table, joined into the catalogue by `validate/codes.ts`. */
export const destinationRuleCodes = defineWebhookCodes({
  IGW5001: { severity: Severity.Error, summary: "host is not a valid DNS name or wildcard name" },
  IGW5002: { severity: Severity.Error, summary: "subset name is empty or not a DNS-1123 label" },
  IGW5003: { severity: Severity.Error, summary: "two subsets have the same name" },
  IGW5004: { severity: Severity.Error, summary: "subset label key or value is not a valid Kubernetes label" },
  IGW5005: { severity: Severity.Error, summary: 'exportTo entry is not ".", "*" or a namespace name' },
  IGW5006: { severity: Severity.Error, summary: "exportTo entry repeated" },
  IGW5007: { severity: Severity.Error, summary: 'exportTo mixes "*" with other entries' },
  IGW5008: {
    severity: Severity.Error,
    summary: "exportTo of a DestinationRule with a workloadSelector lists other than its own namespace",
  },
  IGW5009: { severity: Severity.Error, summary: "traffic policy sets nothing" },
  IGW5010: { severity: Severity.Error, summary: "traffic policy sets both tunnel and proxyProtocol" },
  IGW5011: {
    severity: Severity.Error,
    summary: "port-level traffic policy without a port or without settings",
  },
  IGW5012: { severity: Severity.Error, summary: "connection pool sets neither tcp nor http" },
  IGW5013: { severity: Severity.Error, summary: "connection pool limit is negative" },
  IGW5014: {
    severity: Severity.Error,
    summary: "connection pool or outlier detection duration is below 1ms or not whole milliseconds",
  },
  IGW5015: { severity: Severity.Error, summary: "useClientProtocol is set with h2UpgradePolicy UPGRADE" },
  IGW5016: {
    severity: Severity.Error,
    summary: "upstream TLS with credentialName also sets certificate, key, CA or CRL files",
  },
  IGW5017: {
    severity: Severity.Error,
    summary: "upstream MUTUAL TLS without credentialName lacks clientCertificate or privateKey",
  },
  IGW5018: {
    severity: Severity.Error,
    summary: "upstream TLS with insecureSkipVerify also sets what verification would use",
  },
  IGW5019: { severity: Severity.Error, summary: "workloadSelector label key empty or with a wildcard" },
  IGW5020: {
    severity: Severity.Warning,
    summary: "workloadSelector without matchLabels selects every workload",
  },
  IGW5021: { severity: Severity.Error, summary: "http2KeepAlive without interval or timeout" },
  IGW5022: {
    severity: Severity.Error,
    summary: "outlier detection percentage outside 0-100, or local-origin failures without splitting them",
  },
  IGW5023: { severity: Severity.Warning, summary: "outlier detection uses the deprecated consecutiveErrors" },
  IGW5024: {
    severity: Severity.Error,
    summary:
      "load balancer sets more than one of a one-of group (simple/consistentHash, hash keys, ringHash/maglev)",
  },
  IGW5025: { severity: Severity.Error, summary: "consistent hash httpCookie without a name" },
  IGW5026: {
    severity: Severity.Error,
    summary: "maglev tableSize unset, not a prime, or not below 5000011",
  },
  IGW5027: {
    severity: Severity.Warning,
    summary: "consistent hash uses the deprecated minimumRingSize",
  },
  IGW5028: {
    severity: Severity.Error,
    summary: "consistent hash sets minimumRingSize together with ringHash or maglev",
  },
  IGW5029: {
    severity: Severity.Error,
    summary: "consistent hash httpCookie attribute without a name, or with a name used before",
  },
});

/** A code of the DestinationRule table. */
export type DestinationRuleCode = keyof typeof destinationRuleCodes;

type Report = (code: DestinationRuleCode, path: string, message: string) => void;

const exportToCodes: Record<ExportToProblemKind, DestinationRuleCode> = {
  invalid: "IGW5005",
  none: "IGW5005",
  duplicate: "IGW5006",
  "public-and-other": "IGW5007",
  "none-and-other": "IGW5007",
  "selector-scope": "IGW5008",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Present in the sense of a protobuf message or scalar field: neither absent nor null. */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Set and not the proto3 zero value (Istio compares strings with "" and numbers with 0). */
function isNonEmpty(value: unknown): boolean {
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  return isSet(value);
}

/**
 * Checks one DestinationRule as Istio's webhook does and returns every finding (errors reject
 * the resource; warnings do not, unless `options.strict` turns the strict ones into errors).
 */
export function validateDestinationRule(dr: DestinationRule, options: ValidationOptions = {}): Issue[] {
  const metadata = isRecord(dr) && isRecord(dr.metadata) ? dr.metadata : {};
  const namespace =
    typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : "default";
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const reporter = new Reporter({ kind: "DestinationRule", namespace, name }, destinationRuleCodes, options);
  const report: Report = (code, path, message) => reporter.report(code, path, message);
  const spec = isRecord(dr) && isRecord(dr.spec) ? dr.spec : undefined;
  if (spec === undefined) return reporter.issues;

  const host = typeof spec.host === "string" ? spec.host : "";
  const hostProblem = validateWildcardDomain(host);
  if (hostProblem !== undefined) report("IGW5001", "spec.host", hostProblem);

  checkTrafficPolicy(report, spec.trafficPolicy, "spec.trafficPolicy");
  checkSubsets(report, spec.subsets, "spec.subsets");

  const workloadSelector = (spec as Record<string, unknown>).workloadSelector;
  const exportTo = Array.isArray(spec.exportTo) ? spec.exportTo : undefined;
  for (const problem of validateExportTo(namespace, exportTo, {
    workloadSelector: isSet(workloadSelector),
  })) {
    const path = problem.index === undefined ? "spec.exportTo" : `spec.exportTo[${problem.index}]`;
    report(exportToCodes[problem.kind], path, problem.message);
  }
  checkWorkloadSelector(report, workloadSelector);
  return reporter.issues;
}

/** `workloadSelector` (not modelled; Istio's `WorkloadSelector`): `matchLabels` set, no wildcards. */
function checkWorkloadSelector(report: Report, selector: unknown): void {
  if (!isRecord(selector)) return;
  const labels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(labels)) {
    const path = childPath("spec.workloadSelector.matchLabels", key);
    if (key === "") report("IGW5019", path, 'must not be empty (got "")');
    if (key.includes("*") || (typeof value === "string" && value.includes("*"))) {
      report(
        "IGW5019",
        path,
        `must not contain a wildcard (got ${JSON.stringify(`${key}=${String(value)}`)})`,
      );
    }
  }
  if (Object.keys(labels).length === 0) {
    report(
      "IGW5020",
      "spec.workloadSelector.matchLabels",
      "selects every workload in the namespace when empty (got {})",
    );
  }
}

function checkSubsets(report: Report, subsets: unknown, path: string): void {
  if (!Array.isArray(subsets)) return;
  const firstIndex = new Map<string, number>();
  subsets.forEach((subset: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(subset)) return;
    const name = typeof subset.name === "string" ? subset.name : "";
    const namePath = `${at}.name`;
    if (firstIndex.has(name)) {
      report(
        "IGW5003",
        namePath,
        `must be unique: subsets[${firstIndex.get(name)}] has the same name (got ${JSON.stringify(name)})`,
      );
    } else {
      firstIndex.set(name, i);
    }
    const nameProblem = subsetNameProblem(name);
    if (nameProblem !== undefined) report("IGW5002", namePath, nameProblem);
    checkLabels(report, subset.labels, `${at}.labels`);
    checkTrafficPolicy(report, subset.trafficPolicy, `${at}.trafficPolicy`);
  });
}

/** Why `name` cannot name a subset (Istio's `validateSubsetName`), or undefined. */
export function subsetNameProblem(name: string): string | undefined {
  if (name === "") return 'must not be empty (got "")';
  if (!isDNS1123Label(name)) {
    return `must be a DNS-1123 label: letters, digits and "-", not starting or ending with "-", at most 63 characters (got ${JSON.stringify(name)})`;
  }
  return undefined;
}

/** Labels as Istio's `labels.Instance.Validate` judges them (keys `[prefix/]name`, values label values). */
function checkLabels(report: Report, labels: unknown, path: string): void {
  if (!isRecord(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    const where = childPath(path, key);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) report("IGW5004", where, keyProblem);
    if (typeof value === "string" && !isLabelValue(value)) {
      report(
        "IGW5004",
        where,
        `must be a label value: empty, or letters and digits with "-", "_" or "." inside, at most 63 characters (got ${JSON.stringify(value)})`,
      );
    }
  }
}

/** Fields that make a traffic policy non-empty, modelled or not (Istio's list). */
const POLICY_FIELDS = [
  "loadBalancer",
  "connectionPool",
  "outlierDetection",
  "tls",
  "portLevelSettings",
  "tunnel",
  "proxyProtocol",
  "retryBudget",
];
const PORT_POLICY_FIELDS = ["loadBalancer", "connectionPool", "outlierDetection", "tls"];

function checkTrafficPolicy(report: Report, value: unknown, path: string): void {
  if (!isRecord(value)) return;
  const policy = value as TrafficPolicy & Record<string, unknown>;
  if (!POLICY_FIELDS.some((f) => isSet(policy[f]))) {
    report("IGW5009", path, `must set at least one of ${POLICY_FIELDS.join(", ")} (got {})`);
    return;
  }
  if (isSet(policy.tunnel) && isSet(policy.proxyProtocol)) {
    report("IGW5010", path, "only one of tunnel or proxyProtocol may be set");
    return;
  }
  checkOutlierDetection(report, policy.outlierDetection, childPath(path, "outlierDetection"));
  checkLoadBalancer(report, policy.loadBalancer, childPath(path, "loadBalancer"));
  checkConnectionPool(report, policy.connectionPool, childPath(path, "connectionPool"));
  checkClientTLS(report, policy.tls, childPath(path, "tls"));
  if (!Array.isArray(policy.portLevelSettings)) return;
  policy.portLevelSettings.forEach((entry: unknown, i) => {
    const at = `${childPath(path, "portLevelSettings")}[${i}]`;
    if (!isRecord(entry)) return;
    if (!isSet(entry.port)) report("IGW5011", `${at}.port`, "required");
    if (!PORT_POLICY_FIELDS.some((f) => isSet(entry[f]))) {
      report("IGW5011", at, `must set at least one of ${PORT_POLICY_FIELDS.join(", ")} besides port`);
      return;
    }
    checkOutlierDetection(report, entry.outlierDetection, `${at}.outlierDetection`);
    checkLoadBalancer(report, entry.loadBalancer, `${at}.loadBalancer`);
    checkConnectionPool(report, entry.connectionPool, `${at}.connectionPool`);
    checkClientTLS(report, entry.tls, `${at}.tls`);
  });
}

/** Reports a duration field of `settings` that Istio's `ValidateDuration` refuses. */
function checkDuration(
  report: Report,
  settings: unknown,
  base: string,
  field: string,
  zeroDisables = false,
): void {
  if (!isRecord(settings) || typeof settings[field] !== "string") return;
  const text = settings[field] as string;
  // A tcp.idleTimeout under 1ms (whole milliseconds: 0) turns the timeout off, as in Istio.
  const nanos = zeroDisables ? parseDuration(text) : undefined;
  if (nanos !== undefined && nanos >= 0n && nanos < MILLISECOND) return;
  const problem = validateDuration(text);
  if (problem !== undefined) report("IGW5014", `${base}.${field}`, problem);
}

function checkNonNegative(report: Report, settings: unknown, base: string, fields: readonly string[]): void {
  if (!isRecord(settings)) return;
  for (const f of fields) {
    const n = settings[f];
    if (typeof n === "number" && n < 0) report("IGW5013", `${base}.${f}`, `must not be negative (got ${n})`);
  }
}

/**
 * The connection pool, as Istio's webhook checks it: `tcp` or `http` set, counts not negative,
 * durations well formed, `http2KeepAlive` with both its interval and timeout, and no
 * `useClientProtocol` with `h2UpgradePolicy: UPGRADE`.
 */
function checkConnectionPool(report: Report, value: unknown, path: string): void {
  if (!isRecord(value)) return;
  const pool = value as ConnectionPoolSettings;
  if (!isSet(pool.http) && !isSet(pool.tcp)) {
    report("IGW5012", path, "must set tcp or http (got {})");
    return;
  }
  const http = pool.http as (typeof pool.http & Record<string, unknown>) | undefined;
  const httpPath = `${path}.http`;
  checkNonNegative(report, http, httpPath, [
    "http1MaxPendingRequests",
    "http2MaxRequests",
    "maxRequestsPerConnection",
    "maxRetries",
    "maxConcurrentStreams",
  ]);
  checkDuration(report, http, httpPath, "idleTimeout");
  if (isRecord(http) && http.h2UpgradePolicy === "UPGRADE" && http.useClientProtocol === true) {
    report(
      "IGW5015",
      `${httpPath}.useClientProtocol`,
      'must not be true when h2UpgradePolicy is "UPGRADE" (got true)',
    );
  }
  if (isRecord(http) && isRecord(http.http2KeepAlive)) {
    const keepAlivePath = `${httpPath}.http2KeepAlive`;
    for (const field of ["interval", "timeout"]) {
      if (!isSet(http.http2KeepAlive[field])) report("IGW5021", `${keepAlivePath}.${field}`, "required");
      else checkDuration(report, http.http2KeepAlive, keepAlivePath, field);
    }
  }
  const tcp = pool.tcp as (typeof pool.tcp & Record<string, unknown>) | undefined;
  const tcpPath = `${path}.tcp`;
  checkNonNegative(report, tcp, tcpPath, ["maxConnections"]);
  checkDuration(report, tcp, tcpPath, "connectTimeout");
  checkDuration(report, tcp, tcpPath, "maxConnectionDuration");
  checkDuration(report, tcp, tcpPath, "idleTimeout", true);
  if (isRecord(tcp) && isRecord(tcp.tcpKeepalive)) {
    checkDuration(report, tcp.tcpKeepalive, `${tcpPath}.tcpKeepalive`, "time");
    checkDuration(report, tcp.tcpKeepalive, `${tcpPath}.tcpKeepalive`, "interval");
  }
}

/** `outlierDetection` (not modelled, read as Istio's `OutlierDetection`). */
function checkOutlierDetection(report: Report, value: unknown, path: string): void {
  if (!isRecord(value)) return;
  checkDuration(report, value, path, "baseEjectionTime");
  if (typeof value.consecutiveErrors === "number" && value.consecutiveErrors !== 0) {
    report(
      "IGW5023",
      `${path}.consecutiveErrors`,
      "is deprecated: use consecutiveGatewayErrors or consecutive5xxErrors instead",
    );
  }
  const localOrigin = value.consecutiveLocalOriginFailures;
  if (value.splitExternalLocalOriginErrors !== true && typeof localOrigin === "number" && localOrigin > 0) {
    report(
      "IGW5022",
      `${path}.consecutiveLocalOriginFailures`,
      `has no effect unless splitExternalLocalOriginErrors is true (got ${localOrigin})`,
    );
  }
  checkDuration(report, value, path, "interval");
  for (const field of ["maxEjectionPercent", "minHealthPercent"]) {
    const n = value[field];
    if (typeof n === "number" && (n < 0 || n > 100)) {
      report("IGW5022", `${path}.${field}`, `must be a percentage from 0 to 100 (got ${n})`);
    }
  }
}

/** Reports a protobuf one-of group of `value` with more than one member set. */
function checkOneOf(
  report: Report,
  value: Record<string, unknown>,
  path: string,
  members: readonly string[],
): void {
  const set = members.filter((f) => isSet(value[f]));
  if (set.length > 1) {
    report(
      "IGW5024",
      `${path}.${set[1]}`,
      `must not be set with ${set[0]}: only one of ${members.join(", ")} (got ${set.join(" and ")})`,
    );
  }
}

/** Largest maglev table Istio accepts, exclusive (a prime Envoy's Maglev cannot exceed). */
const MAGLEV_TABLE_LIMIT = 5000011;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/**
 * `loadBalancer`: the one-of groups protobuf enforces when Istio reads the resource (`simple` or
 * `consistentHash`; one hash key; `ringHash` or `maglev`), then Istio's `validateLoadBalancer`.
 */
function checkLoadBalancer(report: Report, value: unknown, path: string): void {
  if (!isRecord(value)) return;
  checkOneOf(report, value, path, ["simple", "consistentHash"]);
  const hash = value.consistentHash;
  if (!isRecord(hash)) return;
  const hashPath = `${path}.consistentHash`;
  checkOneOf(report, hash, hashPath, [
    "httpHeaderName",
    "httpCookie",
    "useSourceIp",
    "httpQueryParameterName",
  ]);
  checkOneOf(report, hash, hashPath, ["ringHash", "maglev"]);
  const cookie = hash.httpCookie;
  if (isRecord(cookie) && !isNonEmpty(cookie.name)) {
    report("IGW5025", `${hashPath}.httpCookie.name`, "required");
  }
  if (isRecord(cookie) && Array.isArray(cookie.attributes))
    checkCookieAttributes(report, cookie.attributes, hashPath);
  const ringSize = hash.minimumRingSize;
  if (typeof ringSize === "number" && ringSize !== 0) {
    report("IGW5027", `${hashPath}.minimumRingSize`, "is deprecated: use ringHash.minimumRingSize instead");
    if (isSet(hash.ringHash) || isSet(hash.maglev)) {
      report(
        "IGW5028",
        `${hashPath}.minimumRingSize`,
        `must not be set with ${isSet(hash.ringHash) ? "ringHash" : "maglev"} (got ${ringSize})`,
      );
    }
  }
  if (isRecord(hash.maglev)) {
    const size = hash.maglev.tableSize;
    const at = `${hashPath}.maglev.tableSize`;
    if (typeof size !== "number" || size === 0) report("IGW5026", at, "required");
    else if (size >= MAGLEV_TABLE_LIMIT)
      report("IGW5026", at, `must be less than ${MAGLEV_TABLE_LIMIT} (got ${size})`);
    else if (!isPrime(size)) report("IGW5026", at, `must be a prime number (got ${size})`);
  }
}

/** Istio's check of `httpCookie.attributes`: every attribute is named, and no name comes twice. */
function checkCookieAttributes(report: Report, attributes: unknown[], hashPath: string): void {
  const seen = new Set<string>();
  attributes.forEach((attribute, i) => {
    const at = `${hashPath}.httpCookie.attributes[${i}].name`;
    const name = isRecord(attribute) ? attribute.name : undefined;
    if (typeof name !== "string" || name === "") return report("IGW5029", at, "required");
    if (seen.has(name))
      report("IGW5029", at, `must differ from the other attributes' names (got ${JSON.stringify(name)})`);
    seen.add(name);
  });
}

function checkClientTLS(report: Report, value: unknown, path: string): void {
  if (!isRecord(value)) return;
  const tls = value as ClientTLSSettings & Record<string, unknown>;
  const mode = tls.mode;
  const modeText = JSON.stringify(mode);
  if (tls.insecureSkipVerify === true) {
    // Verification is off, so whatever it would have used is a contradiction.
    const conflicting =
      mode === "SIMPLE"
        ? ["caCertificates", "credentialName", "subjectAltNames"]
        : mode === "MUTUAL"
          ? ["caCertificates", "subjectAltNames"]
          : [];
    const set = conflicting.filter((f) => isNonEmpty(tls[f]) || (f === "subjectAltNames" && isSet(tls[f])));
    if (set.length > 0) {
      report(
        "IGW5018",
        `${path}.insecureSkipVerify`,
        `must not be true with ${set.join(", ")} set when tls.mode is ${modeText} (got true)`,
      );
    }
  }
  if ((mode === "SIMPLE" || mode === "MUTUAL") && isNonEmpty(tls.credentialName)) {
    const files = ["clientCertificate", "caCertificates", "privateKey", "caCrl"].filter((f) =>
      isNonEmpty(tls[f]),
    );
    if (files.length > 0) {
      report(
        "IGW5016",
        path,
        `must not set ${files.join(", ")} when credentialName is set: the credential supplies them`,
      );
    }
    return;
  }
  if (mode === "MUTUAL") {
    for (const f of ["clientCertificate", "privateKey"]) {
      if (!isNonEmpty(tls[f]))
        report("IGW5017", `${path}.${f}`, 'required when tls.mode is "MUTUAL" and credentialName is not set');
    }
  }
}
