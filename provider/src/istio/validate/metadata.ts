/**
 * Rules on `metadata` that Istio's webhook applies to every Istio kind before the kind's own rules
 * (`validateMetadata`, `checkDryRunAnnotation`), and the Gateway's name rule (META-1..4).
 */
import { isDNS1123Label } from "../host/dns";
import { childPath, pathOf } from "./path";
import type { Issue, ResourceRef, ValidationOptions } from "./issue";
import { defineCodes, Reporter, Severity } from "./issue";

/** The codes of the metadata rules (IGW1100-1199). */
export const metadataCodes = defineCodes({
  IGW1101: {
    severity: Severity.Error,
    summary: `annotation "internal.istio.io/webhook-always-reject" is set: Istio's webhook rejects the resource`,
  },
  IGW1102: {
    severity: Severity.Error,
    summary: `annotation "internal.istio.io/parent-namespace" or "internal.istio.io/parents" is set: only Istio may set them`,
  },
  IGW1103: {
    severity: Severity.Error,
    summary: `annotation "istio.io/dry-run" is set on a kind other than AuthorizationPolicy`,
  },
  IGW1104: {
    severity: Severity.Error,
    istioCode: "IST0106",
    summary: 'Gateway name is not a DNS-1123 label (letters, digits and "-", at most 63, no dots)',
  },
});

/** Annotation that makes Istio's webhook reject any resource (used to test the webhook itself). */
export const ALWAYS_REJECT_ANNOTATION = "internal.istio.io/webhook-always-reject";
/** Annotations Istio sets on resources it generates; they grant another namespace's privileges. */
export const INTERNAL_PARENT_ANNOTATIONS = [
  "internal.istio.io/parent-namespace",
  "internal.istio.io/parents",
] as const;
/** Annotation that makes an AuthorizationPolicy report instead of enforce. */
export const DRY_RUN_ANNOTATION = "istio.io/dry-run";
/** Annotation Istio sets on Gateways it generates from the Kubernetes Gateway API. */
export const GATEWAY_SEMANTICS_ANNOTATION = "internal.istio.io/gateway-semantics";

/** The part of a resource the metadata rules read; the values may be anything (never throws). */
export interface MetadataSubject {
  /** The resource's kind. */
  kind?: unknown;
  /** The resource's metadata. */
  metadata?: unknown;
}

/** `kind namespace/name` of a resource, tolerating missing or odd metadata (`default` namespace, empty name). */
export function resourceRefOf(resource: MetadataSubject): ResourceRef {
  const meta = asRecord(resource.metadata);
  return {
    kind: typeof resource.kind === "string" ? resource.kind : "",
    namespace: typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default",
    name: typeof meta.name === "string" ? meta.name : "",
  };
}

/** The annotations of a resource, or an empty map. */
export function annotationsOf(resource: MetadataSubject): Record<string, unknown> {
  return asRecord(asRecord(resource.metadata).annotations);
}

/** True when the Gateway was generated from the Kubernetes Gateway API (Istio relaxes some rules). */
export function hasGatewaySemantics(resource: MetadataSubject): boolean {
  return annotationsOf(resource)[GATEWAY_SEMANTICS_ANNOTATION] === "gateway";
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The metadata rules for any Istio kind: reserved annotations (META-1..3) and, for a Gateway, its
 * name (META-4). Istio stops at the first annotation it rejects; every finding is reported here.
 * VirtualService names are not checked, as in Istio; nor is a Gateway name that is not written yet.
 */
export function validateMetadata(resource: MetadataSubject, options: ValidationOptions = {}): Issue[] {
  const reporter = new Reporter(resourceRefOf(resource), metadataCodes, options);
  const annotations = annotationsOf(resource);
  const annotationPath = (key: string): string => childPath(pathOf("metadata", "annotations"), key);
  const kind = reporter.resource.kind;

  if (Object.hasOwn(annotations, DRY_RUN_ANNOTATION) && kind !== "AuthorizationPolicy") {
    reporter.report(
      "IGW1103",
      annotationPath(DRY_RUN_ANNOTATION),
      `is only supported on AuthorizationPolicy: remove it (got kind ${JSON.stringify(kind)})`,
    );
  }
  if (Object.hasOwn(annotations, ALWAYS_REJECT_ANNOTATION)) {
    reporter.report(
      "IGW1101",
      annotationPath(ALWAYS_REJECT_ANNOTATION),
      "must not be set: Istio rejects every resource that carries it",
    );
  }
  for (const key of INTERNAL_PARENT_ANNOTATIONS) {
    if (Object.hasOwn(annotations, key)) {
      reporter.report(
        "IGW1102",
        annotationPath(key),
        "must not be set: it is reserved for resources Istio generates",
      );
    }
  }
  // An absent name is assigned later (Pulumi auto-naming, generateName): only a written name is judged.
  const written = asRecord(resource.metadata).name;
  if (
    kind === "Gateway" &&
    written !== undefined &&
    !hasGatewaySemantics(resource) &&
    !isDNS1123Label(reporter.resource.name)
  ) {
    reporter.report(
      "IGW1104",
      pathOf("metadata", "name"),
      `must be a DNS-1123 label: 1 to 63 letters, digits or "-", not starting or ending with "-", no dots ` +
        `(got ${JSON.stringify(written) ?? String(written)})`,
    );
  }
  return reporter.issues;
}
