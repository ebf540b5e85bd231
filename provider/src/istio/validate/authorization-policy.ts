/**
 * The single-resource rules of an AuthorizationPolicy, as Istio's validating webhook applies them
 * (`ValidateAuthorizationPolicy` and the `pkg/config/security` checks it calls): one way of
 * selecting workloads, what CUSTOM and DENY need, non-empty sources and operations, IP blocks,
 * ports, path templates and `when` keys. Codes IGW5200-5299.
 */
import { isIPAddress } from "../host/ip-address";
import type { AuthorizationPolicy, Condition, Operation, Rule, Source } from "../model";
import type { Issue } from "./issue";
import { defineWebhookCodes, Reporter, Severity } from "./issue";
import { pathOf } from "./path";
import { isCIDR } from "./service-entry";
import { isLabelValue, labelKeyProblem } from "./virtual-service/l4-match";

/** The AuthorizationPolicy code table, joined into the catalogue by `validate/codes.ts`. */
export const authorizationPolicyCodes = defineWebhookCodes({
  IGW5201: {
    severity: Severity.Error,
    summary: "more than one of selector, targetRef and targetRefs is set",
  },
  IGW5202: {
    severity: Severity.Error,
    summary: "selector label key or value is empty, has a wildcard or is not a valid label",
  },
  IGW5203: { severity: Severity.Error, summary: "targetRef without kind or name, or in another namespace" },
  IGW5204: {
    severity: Severity.Error,
    summary: "CUSTOM or DENY action without rules (it would never match)",
  },
  IGW5205: { severity: Severity.Error, summary: "CUSTOM action without provider.name" },
  IGW5206: {
    severity: Severity.Error,
    summary: "a source field or when key the CUSTOM action does not support (identities, namespaces)",
  },
  IGW5207: { severity: Severity.Error, summary: "provider set on an action other than CUSTOM" },
  IGW5208: { severity: Severity.Error, summary: "rule, from or to set but empty, or a null entry" },
  IGW5209: {
    severity: Severity.Error,
    summary: "from[].source or to[].operation missing or without any field",
  },
  IGW5210: { severity: Severity.Error, summary: "serviceAccounts together with principals or namespaces" },
  IGW5211: { severity: Severity.Error, summary: "an IP block is not an IP address or CIDR block" },
  IGW5212: { severity: Severity.Error, summary: "an empty string among a field's values" },
  IGW5213: { severity: Severity.Error, summary: "a port is not an integer from 0 to 65535" },
  IGW5214: {
    severity: Severity.Error,
    summary: "a path has an unsupported template ({*} or {**} misplaced)",
  },
  IGW5215: {
    severity: Severity.Error,
    summary: "a when condition with no key, no values, an unknown key or a key without [name]",
  },
  IGW5216: {
    severity: Severity.Error,
    summary: "a service account or trust domain value of the wrong form",
  },
  IGW5217: {
    severity: Severity.Warning,
    summary: "a DENY rule with only HTTP attributes denies all traffic to TCP ports under its scope",
  },
});

type Report = (code: keyof typeof authorizationPolicyCodes, path: string, message: string) => void;

/** The keys of `when` conditions Istio knows, by exact name. */
const EXACT_KEYS = new Set([
  "source.ip",
  "remote.ip",
  "source.namespace",
  "source.serviceAccount",
  "source.principal",
  "source.trustDomain",
  "request.auth.principal",
  "request.auth.audiences",
  "request.auth.presenter",
  "destination.ip",
  "destination.port",
  "connection.sni",
]);

/** Keys of the form `prefix[name]`. */
const MAP_KEY_PREFIXES = ["request.headers", "request.auth.claims", "experimental.envoy.filters."];

/** Keys of Istio's v1alpha1 API that its webhook names when refusing them. */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  "destination.namespace": "is replaced by the metadata.namespace",
  "destination.user": "is a deprecated attribute, only supported in v1alpha1",
  "destination.name": "is a deprecated attribute, only supported in v1alpha1",
};

const SOURCE_FIELDS = [
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "trustDomains",
  "notTrustDomains",
  "ipBlocks",
  "notIpBlocks",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
] as const;

const OPERATION_FIELDS = [
  "hosts",
  "notHosts",
  "ports",
  "notPorts",
  "methods",
  "notMethods",
  "paths",
  "notPaths",
] as const;

/** Source fields the CUSTOM action cannot evaluate (they need the peer identity). */
const CUSTOM_UNSUPPORTED_SOURCE = [
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "trustDomains",
  "notTrustDomains",
] as const;

/** Source fields that apply to TCP as well as HTTP (what Istio's DENY warning looks for). */
const TCP_SOURCE_FIELDS = [
  "principals",
  "notPrincipals",
  "ipBlocks",
  "notIpBlocks",
  "namespaces",
  "notNamespaces",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "serviceAccounts",
  "notServiceAccounts",
] as const;

/** Validates an AuthorizationPolicy whose shape is valid. */
export function validateAuthorizationPolicy(policy: AuthorizationPolicy): Issue[] {
  const reporter = new Reporter(
    {
      kind: "AuthorizationPolicy",
      namespace: policy.metadata?.namespace || "default",
      name: policy.metadata?.name ?? "",
    },
    authorizationPolicyCodes,
  );
  const report: Report = (code, path, message) => reporter.report(code, path, message);
  const spec = policy.spec ?? {};
  checkSelection(report, policy);
  const action = spec.action ?? "ALLOW";
  const rules = spec.rules;
  // An empty list is no list to Istio: protobuf leaves an empty repeated field nil.
  const noRules = rules === undefined || rules.length === 0;
  if (action === "CUSTOM") {
    if (noRules) {
      report(
        "IGW5204",
        "spec.rules",
        'must be set when action is "CUSTOM": a CUSTOM policy without rules never applies; add an empty rule {} to apply it to every request',
      );
    } else if ((spec.provider?.name ?? "") === "") {
      report("IGW5205", "spec.provider.name", 'must not be empty when action is "CUSTOM"');
    }
    rules?.forEach((rule, i) => checkCustomRule(report, rule, i));
  }
  if (spec.provider !== undefined && action !== "CUSTOM") {
    report(
      "IGW5207",
      "spec.provider",
      `must not be set when action is not "CUSTOM" (got action ${JSON.stringify(action)})`,
    );
  }
  if (action === "DENY" && noRules) {
    report(
      "IGW5204",
      "spec.rules",
      'must be set when action is "DENY": a DENY policy without rules never applies; add an empty rule {} to deny every request',
    );
  }
  rules?.forEach((rule, i) => checkRule(report, rule, i, action === "DENY"));
  return reporter.issues;
}

function checkSelection(report: Report, policy: AuthorizationPolicy): void {
  const spec = policy.spec ?? {};
  const set = (["selector", "targetRef", "targetRefs"] as const).filter((f) => spec[f] !== undefined);
  if (set.length > 1) {
    report(
      "IGW5201",
      `spec.${set[1]}`,
      `must not be set with ${set[0]}: only one of selector, targetRef and targetRefs may be set`,
    );
  }
  for (const [key, value] of Object.entries(spec.selector?.matchLabels ?? {})) {
    const at = pathOf("spec", "selector", "matchLabels", key);
    if (key === "" || key.includes("*") || value.includes("*")) {
      report(
        "IGW5202",
        at,
        `must be a label without wildcards, and its key not empty (got ${JSON.stringify(`${key}=${value}`)})`,
      );
      continue;
    }
    const problem = labelKeyProblem(key);
    if (problem !== undefined) report("IGW5202", at, problem);
    if (!isLabelValue(value)) report("IGW5202", at, `must be a label value (got ${JSON.stringify(value)})`);
  }
  const refs = [
    ...(spec.targetRef === undefined ? [] : [{ ref: spec.targetRef, at: "spec.targetRef" }]),
    ...(spec.targetRefs ?? []).map((ref, i) => ({ ref, at: `spec.targetRefs[${i}]` })),
  ];
  const namespace = policy.metadata?.namespace || "default";
  for (const { ref, at } of refs) {
    if (ref.kind === "") report("IGW5203", `${at}.kind`, "must not be empty");
    if (ref.name === "") report("IGW5203", `${at}.name`, "must not be empty");
    if (ref.namespace !== undefined && ref.namespace !== "" && ref.namespace !== namespace) {
      report(
        "IGW5203",
        `${at}.namespace`,
        `must be the policy's own namespace ${JSON.stringify(namespace)} (got ${JSON.stringify(ref.namespace)})`,
      );
    }
  }
}

function checkCustomRule(report: Report, rule: Rule | null, i: number): void {
  if (rule === null || rule === undefined) return;
  (rule.from ?? []).forEach((from, j) => {
    const source = from?.source;
    if (source === undefined) return;
    for (const f of CUSTOM_UNSUPPORTED_SOURCE) {
      if ((source[f]?.length ?? 0) > 0) {
        report(
          "IGW5206",
          pathOf("spec", "rules", i, "from", j, "source", f),
          'is not supported when action is "CUSTOM"',
        );
      }
    }
  });
  (rule.when ?? []).forEach((condition, j) => {
    const key = condition?.key ?? "";
    if (
      key === "source.namespace" ||
      key === "source.serviceAccount" ||
      key === "source.trustDomain" ||
      key === "source.principal" ||
      key.startsWith("request.auth.")
    ) {
      report(
        "IGW5206",
        pathOf("spec", "rules", i, "when", j, "key"),
        `is not supported when action is "CUSTOM" (got ${JSON.stringify(key)})`,
      );
    }
  });
}

function checkRule(report: Report, rule: Rule | null, i: number, deny: boolean): void {
  const at = pathOf("spec", "rules", i);
  if (rule === null || rule === undefined) {
    report("IGW5208", at, "must not be null");
    return;
  }
  if (rule.from !== undefined && rule.from.length === 0)
    report("IGW5208", `${at}.from`, "must not be empty when set");
  if (rule.to !== undefined && rule.to.length === 0)
    report("IGW5208", `${at}.to`, "must not be empty when set");
  let tcpInFrom = false;
  let tcpInTo = false;
  let fromExists = false;
  let toExists = false;
  (rule.from ?? []).forEach((from, j) => {
    const fromAt = pathOf("spec", "rules", i, "from", j);
    if (from === null || from === undefined) return report("IGW5208", fromAt, "must not be null");
    if (from.source === undefined || from.source === null) {
      return report("IGW5209", `${fromAt}.source`, "must be set");
    }
    fromExists = true;
    checkSource(report, from.source, `${fromAt}.source`);
    if (TCP_SOURCE_FIELDS.some((f) => from.source![f] !== undefined)) tcpInFrom = true;
  });
  (rule.to ?? []).forEach((to, j) => {
    const toAt = pathOf("spec", "rules", i, "to", j);
    if (to === null || to === undefined) return report("IGW5208", toAt, "must not be null");
    if (to.operation === undefined || to.operation === null) {
      return report("IGW5209", `${toAt}.operation`, "must be set");
    }
    toExists = true;
    checkOperation(report, to.operation, `${toAt}.operation`);
    if (to.operation.ports !== undefined || to.operation.notPorts !== undefined) tcpInTo = true;
  });
  (rule.when ?? []).forEach((condition, j) =>
    checkCondition(report, condition, pathOf("spec", "rules", i, "when", j)),
  );
  if (deny && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo))) {
    report(
      "IGW5217",
      at,
      "uses only HTTP attributes in a DENY rule: it denies all traffic to TCP ports under the policy's scope; name the ports in to.operation.ports to keep TCP traffic",
    );
  }
}

function checkSource(report: Report, source: Source, at: string): void {
  const count = (f: (typeof SOURCE_FIELDS)[number]) => source[f]?.length ?? 0;
  if (SOURCE_FIELDS.every((f) => count(f) === 0)) {
    report("IGW5209", at, `must set at least one of ${SOURCE_FIELDS.join(", ")}`);
  }
  const identities =
    count("principals") + count("notPrincipals") + count("namespaces") + count("notNamespaces");
  if (identities > 0 && count("serviceAccounts") + count("notServiceAccounts") > 0) {
    report("IGW5210", `${at}.serviceAccounts`, "must not be set together with principals or namespaces");
  }
  for (const f of ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"] as const) {
    checkIPs(report, source[f], `${at}.${f}`);
  }
  for (const f of [
    "principals",
    "requestPrincipals",
    "namespaces",
    "notPrincipals",
    "notRequestPrincipals",
    "notNamespaces",
  ] as const) {
    checkNotEmpty(report, source[f], `${at}.${f}`);
  }
  for (const f of ["serviceAccounts", "notServiceAccounts"] as const)
    checkServiceAccounts(report, source[f], `${at}.${f}`);
  for (const f of ["trustDomains", "notTrustDomains"] as const)
    checkTrustDomains(report, source[f], `${at}.${f}`);
}

function checkOperation(report: Report, operation: Operation, at: string): void {
  if (OPERATION_FIELDS.every((f) => (operation[f]?.length ?? 0) === 0)) {
    report("IGW5209", at, `must set at least one of ${OPERATION_FIELDS.join(", ")}`);
  }
  for (const f of OPERATION_FIELDS) checkNotEmpty(report, operation[f], `${at}.${f}`);
  for (const f of ["ports", "notPorts"] as const) checkPorts(report, operation[f], `${at}.${f}`);
  for (const f of ["paths", "notPaths"] as const) {
    (operation[f] ?? []).forEach((path, k) => {
      const problem = pathTemplateProblem(path);
      if (problem !== undefined)
        report("IGW5214", `${at}.${f}[${k}]`, `${problem} (got ${JSON.stringify(path)})`);
    });
  }
}

function checkCondition(report: Report, condition: Condition | null, at: string): void {
  if (condition === null || condition === undefined) return report("IGW5208", at, "must not be null");
  const key = condition.key;
  if (key === "") return report("IGW5215", `${at}.key`, "must not be empty");
  const values = condition.values ?? [];
  const notValues = condition.notValues ?? [];
  if (values.length === 0 && notValues.length === 0) {
    return report("IGW5215", at, `must set values or notValues for key ${JSON.stringify(key)}`);
  }
  const problem = keyProblem(key);
  if (problem !== undefined) return report("IGW5215", `${at}.key`, `${problem} (got ${JSON.stringify(key)})`);
  for (const [field, list] of [
    ["values", condition.values],
    ["notValues", condition.notValues],
  ] as const) {
    const path = `${at}.${field}`;
    if (list === undefined) continue;
    if (!checkNotEmpty(report, list, path)) continue;
    if (key === "source.ip" || key === "remote.ip" || key === "destination.ip") checkIPs(report, list, path);
    else if (key === "destination.port") checkPorts(report, list, path);
    else if (key === "source.serviceAccount") checkServiceAccounts(report, list, path);
    else if (key === "source.trustDomain") checkWildcards(report, list, path);
  }
}

/** Why Istio refuses `key` as a `when` key, or undefined. */
function keyProblem(key: string): string | undefined {
  if (EXACT_KEYS.has(key)) return undefined;
  const retired = Object.hasOwn(RETIRED_KEYS, key) ? RETIRED_KEYS[key] : undefined;
  if (retired !== undefined) return `must not be used: it ${retired}`;
  if (key.startsWith("destination.labels"))
    return "must not be used: it is replaced by the workload selector";
  if (MAP_KEY_PREFIXES.some((p) => key.startsWith(p))) {
    const open = key.indexOf("[");
    return key.endsWith("]") && open > 0 && open < key.length - 2 ? undefined : "must have the form a[b]";
  }
  return "must be an attribute Istio knows (source.ip, remote.ip, request.headers[name], destination.port, connection.sni, ...)";
}

/** Reports empty strings; true when there are none. */
function checkNotEmpty(report: Report, values: readonly string[] | undefined, at: string): boolean {
  const i = (values ?? []).indexOf("");
  if (i < 0) return true;
  report("IGW5212", `${at}[${i}]`, "must not be empty");
  return false;
}

function checkIPs(report: Report, values: readonly string[] | undefined, at: string): void {
  if (!checkNotEmpty(report, values, at)) return;
  (values ?? []).forEach((v, i) => {
    const ok = v.includes("/") ? isCIDR(v) : isIPAddress(v);
    if (!ok) {
      report(
        "IGW5211",
        `${at}[${i}]`,
        v.includes("/")
          ? `must be a CIDR block such as "10.0.0.0/8" (got ${JSON.stringify(v)})`
          : `must be an IP address (got ${JSON.stringify(v)})`,
      );
    }
  });
}

function checkPorts(report: Report, values: readonly string[] | undefined, at: string): void {
  (values ?? []).forEach((v, i) => {
    if (v === "") return;
    if (!/^[0-9]+$/.test(v) || Number(v) > 65535) {
      report("IGW5213", `${at}[${i}]`, `must be a port number from 0 to 65535 (got ${JSON.stringify(v)})`);
    }
  });
}

function checkServiceAccounts(report: Report, values: readonly string[] | undefined, at: string): void {
  if (values === undefined) return;
  if (values.length > 16) report("IGW5216", at, `must have at most 16 values (got ${values.length})`);
  values.forEach((v, i) => {
    const path = `${at}[${i}]`;
    if (v === "") return report("IGW5212", path, "must not be empty");
    if (v.includes("*"))
      return report("IGW5216", path, `must not have a wildcard (got ${JSON.stringify(v)})`);
    const parts = v.split("/");
    if (parts.length > 2 || parts.some((p) => p === "") || v.length > 320) {
      report(
        "IGW5216",
        path,
        `must be "serviceAccount" or "namespace/serviceAccount" (got ${JSON.stringify(v)})`,
      );
    }
  });
}

function checkWildcards(report: Report, values: readonly string[] | undefined, at: string): boolean {
  let ok = true;
  (values ?? []).forEach((v, i) => {
    const stars = v.split("*").length - 1;
    if (stars > 1 || (stars === 1 && v !== "*" && !v.startsWith("*") && !v.endsWith("*"))) {
      report(
        "IGW5216",
        `${at}[${i}]`,
        `must have at most one wildcard, at the start or the end (got ${JSON.stringify(v)})`,
      );
      ok = false;
    }
  });
  return ok;
}

function checkTrustDomains(report: Report, values: readonly string[] | undefined, at: string): void {
  if (!checkNotEmpty(report, values, at) || !checkWildcards(report, values, at)) return;
  (values ?? []).forEach((v, i) => {
    if (v.includes("/")) report("IGW5216", `${at}[${i}]`, `must not contain "/" (got ${JSON.stringify(v)})`);
  });
}

/** Characters a literal segment of a path template may have (Istio's `validLiteral`). */
const LITERAL = /^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$/;

/** Why Istio refuses `path` as a path or path template, or undefined. */
export function pathTemplateProblem(path: string): string | undefined {
  const template = path.includes("{*}") || path.includes("{**}");
  let matchAnySeen = false;
  for (const glob of path.replace(/^\/+|\/+$/g, "").split("/")) {
    if ((glob === "{*}" || glob === "{**}") && !matchAnySeen) {
      if (glob === "{**}") matchAnySeen = true;
      continue;
    }
    if (glob === "{*}" || glob === "{**}") return "must have {**} as its last operator";
    if (glob.includes("{") || glob.includes("}")) return "must not have { or } beyond a {*} or {**} segment";
    if (template && !LITERAL.test(glob))
      return `must have literal segments of letters, digits and -._~%!$&'()+,;:@= (segment ${JSON.stringify(glob)})`;
  }
  return undefined;
}
