/**
 * The single-resource rules of a RequestAuthentication, as Istio's validating webhook applies them
 * (`ValidateRequestAuthentication`, `validateJwtRule`) and as its CRD's CEL rules do (`jwks` and
 * `jwksUri` exclusive, non-empty strings). Codes IGW5300-5299.
 */
import type { JWTRule, PolicyTargetReference, RequestAuthentication } from "../model";
import type { Issue, ValidationOptions } from "./issue";
import { defineWebhookCodes, Reporter, Severity } from "./issue";
import { childPath } from "./path";
import { validateDuration } from "./virtual-service/duration";

/** The RequestAuthentication code table, joined into the catalogue by `validate/codes.ts`. */
export const requestAuthenticationCodes = defineWebhookCodes({
  IGW5301: { severity: Severity.Error, summary: "more than one of selector, targetRef and targetRefs" },
  IGW5302: { severity: Severity.Error, summary: "selector label key empty or with a wildcard" },
  IGW5303: { severity: Severity.Warning, summary: "selector without matchLabels selects every workload" },
  IGW5304: {
    severity: Severity.Error,
    summary:
      "targetRef without a name, with a namespace, or to a kind other than Gateway, GatewayClass, Service or ServiceEntry",
  },
  IGW5305: { severity: Severity.Error, summary: "JWT rule audience is an empty string" },
  IGW5306: { severity: Severity.Error, summary: "JWT rule has neither issuer nor jwksUri" },
  IGW5307: { severity: Severity.Error, summary: "jwksUri is not an http:// or https:// URL" },
  IGW5308: { severity: Severity.Error, summary: "jwks is not a JSON Web Key Set" },
  IGW5309: {
    severity: Severity.Warning,
    summary: "jwks holds private key material (only public keys are used)",
  },
  IGW5310: {
    severity: Severity.Error,
    summary: "fromHeaders name, fromParams or fromCookies entry is empty",
  },
  IGW5311: {
    severity: Severity.Error,
    summary: "outputClaimToHeaders entry without header or claim, or a header name outside [-_A-Za-z0-9]",
  },
  IGW5312: { severity: Severity.Error, summary: "JWT rule timeout is not a duration of at least 1ms" },
  IGW5313: { severity: Severity.Error, summary: "JWT rule sets both jwks and jwksUri" },
});

type Report = (code: keyof typeof requestAuthenticationCodes, path: string, message: string) => void;

/**
 * The kinds a policy's targetRef may name (Istio's `allowedTargetRefs`), by canonical group
 * (`core` for the empty group).
 */
const ALLOWED_TARGET_KINDS: ReadonlyArray<readonly [group: string, kind: string]> = [
  ["core", "Service"],
  ["networking.istio.io", "ServiceEntry"],
  ["gateway.networking.k8s.io", "Gateway"],
  ["gateway.networking.k8s.io", "GatewayClass"],
];

/** Istio's strict header names (`ValidateStrictHTTPHeaderName`). */
const STRICT_HEADER_NAME = /^[-_A-Za-z0-9]+$/;

/** Validates one RequestAuthentication whose shape is valid. Never throws. */
export function validateRequestAuthentication(
  resource: RequestAuthentication,
  options: ValidationOptions = {},
): Issue[] {
  const reporter = new Reporter(
    {
      kind: "RequestAuthentication",
      namespace: resource.metadata?.namespace ?? "default",
      name: resource.metadata?.name ?? "",
    },
    requestAuthenticationCodes,
    options,
  );
  const report: Report = (code, path, message) => reporter.report(code, path, message);
  const spec = resource.spec ?? {};
  const set = [
    spec.selector !== undefined,
    spec.targetRef !== undefined,
    (spec.targetRefs?.length ?? 0) > 0,
  ].filter(Boolean).length;
  if (set > 1) report("IGW5301", "spec", "only one of targetRefs or selector can be set");
  if (spec.selector !== undefined) {
    const labels = spec.selector.matchLabels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      const path = childPath("spec.selector.matchLabels", key);
      if (key === "") report("IGW5302", path, 'must not be empty (got "")');
      if (key.includes("*") || value.includes("*")) {
        report("IGW5302", path, `must not contain a wildcard (got ${JSON.stringify(`${key}=${value}`)})`);
      }
    }
    if (Object.keys(labels).length === 0) {
      report(
        "IGW5303",
        "spec.selector.matchLabels",
        "selects every workload in the namespace when empty (got {})",
      );
    }
  }
  if (spec.targetRef !== undefined) checkTargetRef(report, spec.targetRef, "spec.targetRef");
  spec.targetRefs?.forEach((ref, i) => checkTargetRef(report, ref, `spec.targetRefs[${i}]`));
  spec.jwtRules?.forEach((rule, i) => checkJwtRule(report, rule, `spec.jwtRules[${i}]`));
  return reporter.issues;
}

function checkTargetRef(report: Report, ref: PolicyTargetReference, path: string): void {
  if (ref.name === "") report("IGW5304", `${path}.name`, 'must be set (got "")');
  if (ref.namespace !== undefined && ref.namespace !== "") {
    report(
      "IGW5304",
      `${path}.namespace`,
      `must not be set: cross namespace referencing is not supported (got ${JSON.stringify(ref.namespace)})`,
    );
  }
  const group = ref.group === undefined || ref.group === "" ? "core" : ref.group;
  if (!ALLOWED_TARGET_KINDS.some(([g, k]) => g === group && k === ref.kind)) {
    report(
      "IGW5304",
      `${path}.kind`,
      `must be a Service, ServiceEntry, Gateway or GatewayClass (got ${JSON.stringify(`${ref.group ?? ""}/${ref.kind}`)})`,
    );
  }
}

function checkJwtRule(report: Report, rule: JWTRule, path: string): void {
  rule.audiences?.forEach((audience, i) => {
    if (audience === "") report("IGW5305", `${path}.audiences[${i}]`, 'must be a non-empty string (got "")');
  });
  if ((rule.issuer ?? "") === "" && (rule.jwksUri ?? "") === "") {
    report("IGW5306", `${path}.issuer`, "issuer or jwksUri must be a non-empty string");
  }
  if (rule.jwksUri !== undefined) {
    const problem = jwksUriProblem(rule.jwksUri);
    if (problem !== undefined) report("IGW5307", `${path}.jwksUri`, problem);
  }
  if (rule.jwks !== undefined && rule.jwks !== "") {
    const checked = checkJwks(rule.jwks);
    if (typeof checked === "string") report("IGW5308", `${path}.jwks`, checked);
    else {
      for (const i of checked.privateKeys) {
        report(
          "IGW5309",
          `${path}.jwks`,
          `key at index ${i} contains private key material; only public keys are used for verification`,
        );
      }
    }
  }
  if (rule.jwks !== undefined && rule.jwksUri !== undefined) {
    report("IGW5313", `${path}.jwks`, "only one of jwks or jwksUri can be set");
  }
  rule.fromHeaders?.forEach((h, i) => {
    if (h.name === "")
      report("IGW5310", `${path}.fromHeaders[${i}].name`, 'must be a non-empty string (got "")');
  });
  rule.fromParams?.forEach((p, i) => {
    if (p === "") report("IGW5310", `${path}.fromParams[${i}]`, 'must be a non-empty string (got "")');
  });
  rule.fromCookies?.forEach((c, i) => {
    if (c === "") report("IGW5310", `${path}.fromCookies[${i}]`, 'must be a non-empty string (got "")');
  });
  rule.outputClaimToHeaders?.forEach((ch, i) => {
    const at = `${path}.outputClaimToHeaders[${i}]`;
    if (ch.claim === "") report("IGW5311", `${at}.claim`, 'must be a non-empty string (got "")');
    if (ch.header === "") report("IGW5311", `${at}.header`, 'must be a non-empty string (got "")');
    else if (!STRICT_HEADER_NAME.test(ch.header)) {
      report(
        "IGW5311",
        `${at}.header`,
        `must be a header name of letters, digits, "-" and "_" (got ${JSON.stringify(ch.header)})`,
      );
    }
  });
  if (rule.timeout !== undefined) {
    const problem = validateDuration(rule.timeout);
    if (problem !== undefined) report("IGW5312", `${path}.timeout`, problem);
  }
}

/** Istio's `ParseJwksURI`: an `http` or `https` URL with a valid port, if any. */
export function jwksUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `must be an http:// or https:// URL (got ${JSON.stringify(uri)})`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `URI scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported (got ${JSON.stringify(uri)})`;
  }
  return undefined;
}

/** The key types a JSON Web Key may have (RFC 7518, RFC 8037). */
const KEY_TYPES = new Set(["RSA", "EC", "OKP", "oct"]);

/**
 * Checks `text` as Istio's `jwk.Parse` reads it: a JSON Web Key Set (`{"keys": [...]}`) or one
 * key, each with a known `kty`. Returns the problem, or the indexes of keys that are private.
 */
export function checkJwks(text: string): string | { privateKeys: number[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's own words: they differ between Node.js versions.
    return "jwks parse error: not valid JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "jwks parse error: must be a JSON object";
  }
  const record = parsed as Record<string, unknown>;
  const keys: unknown[] = "keys" in record ? (Array.isArray(record.keys) ? record.keys : []) : [record];
  if ("keys" in record && !Array.isArray(record.keys)) return 'jwks parse error: "keys" must be an array';
  const privateKeys: number[] = [];
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      return `jwks parse error: key at index ${i} must be a JSON object`;
    }
    const k = key as Record<string, unknown>;
    if (typeof k.kty !== "string" || !KEY_TYPES.has(k.kty)) {
      return `jwks parse error: key at index ${i} has an invalid "kty" (got ${JSON.stringify(k.kty) ?? "nothing"})`;
    }
    if (k.kty === "oct" || "d" in k) privateKeys.push(i);
  }
  return { privateKeys };
}
