/**
 * Reading one object as a typed resource, as Kubernetes' API server would: the envelope
 * (`apiVersion`, `kind`), then the whole shape at once against the kind's schema. The typed
 * resource is returned only when the shape is valid, so the rules of a kind run on typed data.
 * Never throws, whatever the input.
 */
import type { z } from "zod";
import {
  CORE_KINDS,
  ISTIO_KINDS,
  NETWORKING_API_VERSIONS,
  SECURITY_API_VERSIONS,
  SECURITY_KINDS,
} from "../model";
import type { Resource } from "../model";
import {
  authorizationPolicySchema,
  destinationRuleSchema,
  gatewaySchema,
  podSchema,
  requestAuthenticationSchema,
  secretSchema,
  serviceEntrySchema,
  serviceSchema,
  virtualServiceSchema,
} from "../schema";
import { formatValue } from "../schema/value";
import { Reporter } from "../validate/issue";
import type { Issue, ResourceRef } from "../validate/issue";
import { shapeCodes } from "./codes";
import { toShapeFindings } from "./shape-findings";
import { withoutNulls } from "./without-nulls";

/** Options of {@link parseResource}. */
export interface ParseResourceOptions {
  /** The namespace of an object that does not name one. Default `default`. */
  defaultNamespace?: string;
}

/** The result of {@link parseResource}. */
export interface ParsedResource {
  /** Kind, namespace and name, as findings name the object (empty strings where it has none). */
  ref: ResourceRef;
  /** The resource, typed; set only when its shape is valid. It is the input object itself. */
  resource?: Resource;
  /** Every shape finding, all at once. */
  issues: Issue[];
}

/** The namespace used when neither the object nor the caller names one. */
export const DEFAULT_NAMESPACE = "default";

const CORE_API_VERSIONS = ["v1"] as const;

const schemas: Record<string, z.ZodType> = {
  Gateway: gatewaySchema,
  VirtualService: virtualServiceSchema,
  DestinationRule: destinationRuleSchema,
  ServiceEntry: serviceEntrySchema,
  AuthorizationPolicy: authorizationPolicySchema,
  RequestAuthentication: requestAuthenticationSchema,
  Secret: secretSchema,
  Service: serviceSchema,
  Pod: podSchema,
};

const KINDS: readonly string[] = [...ISTIO_KINDS, ...SECURITY_KINDS, ...CORE_KINDS];

function apiVersionsOf(kind: string): readonly string[] | undefined {
  if ((ISTIO_KINDS as readonly string[]).includes(kind)) return NETWORKING_API_VERSIONS;
  if ((SECURITY_KINDS as readonly string[]).includes(kind)) return SECURITY_API_VERSIONS;
  if ((CORE_KINDS as readonly string[]).includes(kind)) return CORE_API_VERSIONS;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for the apiVersion/kind pairs this project reads; callers skip (and may count) the rest. */
export function isSupportedKind(apiVersion: unknown, kind: unknown): boolean {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return false;
  return apiVersionsOf(kind)?.includes(apiVersion) ?? false;
}

/**
 * How findings name `obj`: its kind, its namespace (else `defaultNamespace`) and its name; empty
 * strings for what it lacks. Never throws.
 */
export function refOf(obj: unknown, defaultNamespace: string = DEFAULT_NAMESPACE): ResourceRef {
  try {
    if (!isRecord(obj)) return { kind: "", namespace: defaultNamespace, name: "" };
    const metadata = isRecord(obj.metadata) ? obj.metadata : {};
    const kind = typeof obj.kind === "string" ? obj.kind : "";
    const namespace =
      typeof metadata.namespace === "string" && metadata.namespace !== ""
        ? metadata.namespace
        : defaultNamespace;
    const name = typeof metadata.name === "string" ? metadata.name : "";
    return { kind, namespace, name };
  } catch {
    // A getter that throws or a revoked proxy: the object cannot name itself.
    return { kind: "", namespace: defaultNamespace, name: "" };
  }
}

/** Reports a missing or non-string envelope field; true when it is a usable string. */
function checkString(reporter: Reporter, obj: Record<string, unknown>, field: string): boolean {
  const value = obj[field];
  if (value === undefined || value === "") {
    reporter.report("IGW1003", field, "required");
    return false;
  }
  if (typeof value !== "string") {
    reporter.report("IGW1005", field, `must be a string (got ${formatValue(value)})`);
    return false;
  }
  return true;
}

function oneOf(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/** Checks the shape of one object: its envelope, then every field of its kind's schema at once. */
export function parseResource(obj: unknown, options: ParseResourceOptions = {}): ParsedResource {
  const ref = refOf(obj, options.defaultNamespace ?? DEFAULT_NAMESPACE);
  const reporter = new Reporter(ref, shapeCodes);
  try {
    if (!isRecord(obj)) {
      reporter.report("IGW1000", "", `must be an object (got ${formatValue(obj)})`);
      return { ref, issues: reporter.issues };
    }
    const kindOk = checkString(reporter, obj, "kind");
    const apiVersionOk = checkString(reporter, obj, "apiVersion");
    const kind = kindOk ? (obj.kind as string) : undefined;
    const allowed = kind === undefined ? undefined : apiVersionsOf(kind);
    if (kind !== undefined && allowed === undefined) {
      reporter.report("IGW1002", "kind", `must be one of ${oneOf(KINDS)} (got ${formatValue(kind)})`);
    }
    if (allowed !== undefined && apiVersionOk && !allowed.includes(obj.apiVersion as string)) {
      reporter.report(
        "IGW1001",
        "apiVersion",
        `must be one of ${oneOf(allowed)} for kind ${formatValue(kind)} (got ${formatValue(obj.apiVersion)})`,
      );
    }
    if (kind === undefined || allowed === undefined || reporter.issues.length > 0) {
      return { ref, issues: reporter.issues };
    }
    const pruned = withoutNulls(obj) as Record<string, unknown>;
    // status belongs to the API server and the controllers; it is never the user's to get wrong.
    const { status: _status, ...rest } = pruned;
    const result = schemas[kind].safeParse(rest, { reportInput: true });
    if (result.success) return { ref, resource: pruned as unknown as Resource, issues: [] };
    for (const f of toShapeFindings(result.error.issues)) reporter.report(f.code, f.path, f.message);
    return { ref, issues: reporter.issues };
  } catch (error) {
    // Defensive: zod and the formatter do not throw on data, but a hostile object (throwing
    // getters, revoked proxies) might. It is reported, never thrown.
    reporter.report(
      "IGW1000",
      "",
      `could not be read (${error instanceof Error ? error.message : "unknown error"})`,
    );
    return { ref, issues: reporter.issues };
  }
}
