/**
 * Single-resource validation, the way Istio's validating webhook (`istioctl validate`) sees one
 * object: its shape first (the CRD schema), then the rules of its kind. Every finding at once.
 */
import type { Resource } from "../model";
import { parseResource } from "../resource";
import { validateAuthorizationPolicy } from "./authorization-policy";
import { validateDestinationRule } from "./destination-rule";
import { validateGateway } from "./gateway";
import type { Issue, ResourceRef, ValidationOptions } from "./issue";
import { inputCodes } from "./input-codes";
import { Reporter } from "./issue";
import { validateMetadata } from "./metadata";
import { validateRequestAuthentication } from "./request-authentication";
import { validateServiceEntry } from "./service-entry";
import { validateVirtualService } from "./virtual-service";

export * from "./issue";
export * from "./input-codes";
export * from "./path";
export * from "./render";

/** Options of {@link validateObject}. */
export interface ValidateObjectOptions extends ValidationOptions {
  /** The namespace of objects that do not name one. Default `default`. */
  defaultNamespace?: string;
}

/** An object after validation: its reference, the typed resource when its shape is valid, and the findings. */
export interface ValidatedObject {
  /** Kind, namespace and name, as findings name the object. */
  ref: ResourceRef;
  /** The typed resource; absent when the shape is wrong (the kind's rules then did not run). */
  resource?: Resource;
  /** Every finding about the object. */
  issues: Issue[];
}

const ISTIO_KINDS = new Set(["Gateway", "VirtualService", "DestinationRule", "ServiceEntry"]);
const SECURITY_KINDS = new Set(["AuthorizationPolicy", "RequestAuthentication"]);
const CORE_KINDS = new Set(["Secret", "Service", "Pod"]);

/** Whether `kind` names a kind this project checks, in whatever API group it comes. */
export function isCheckedKindName(kind: string): boolean {
  return ISTIO_KINDS.has(kind) || SECURITY_KINDS.has(kind) || CORE_KINDS.has(kind);
}

/**
 * Whether the object is one this project checks: an Istio networking kind it models (any version
 * of `networking.istio.io`, so a wrong version is reported rather than skipped), an
 * AuthorizationPolicy or a RequestAuthentication (any version of `security.istio.io`), a core kind the
 * analysis reads (`v1` Secret, Service, Pod), or something without apiVersion or kind (an error).
 * Everything else — other Istio kinds (AuthorizationPolicy, PeerAuthentication), Deployments,
 * ConfigMaps — is skipped.
 */
export function isCheckedKind(object: unknown): boolean {
  if (typeof object !== "object" || object === null || Array.isArray(object)) return true;
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "")
    return true;
  if (apiVersion.startsWith("networking.istio.io/")) return ISTIO_KINDS.has(kind);
  if (apiVersion.startsWith("security.istio.io/")) return SECURITY_KINDS.has(kind);
  return apiVersion === "v1" && CORE_KINDS.has(kind);
}

/** Validates one object: shape, then the rules of its kind. Never throws. */
export function validateObject(object: unknown, options: ValidateObjectOptions = {}): ValidatedObject {
  const parsed = parseResource(object, { defaultNamespace: options.defaultNamespace });
  if (!hasKind(object)) {
    const reporter = new Reporter(parsed.ref, inputCodes);
    reporter.report("IGW0102", "", "apiVersion and kind are required: not a Kubernetes object");
    return { ref: parsed.ref, issues: reporter.issues };
  }
  const { resource } = parsed;
  if (resource === undefined) return { ref: parsed.ref, issues: parsed.issues };
  return {
    ref: parsed.ref,
    resource,
    issues: [...parsed.issues, ...validateResourceRules(resource, options)],
  };
}

/** Validates one object and returns only the findings. */
export function validateResource(object: unknown, options: ValidateObjectOptions = {}): Issue[] {
  return validateObject(object, options).issues;
}

/**
 * The rules of the resource's kind, on a resource whose shape is valid. Istio's metadata rules
 * apply to every Istio kind; the Gateway rules run them themselves (Gateway names have a rule of
 * their own).
 */
export function validateResourceRules(resource: Resource, options: ValidationOptions = {}): Issue[] {
  switch (resource.kind) {
    case "Gateway":
      return validateGateway(resource, options);
    case "VirtualService":
      return [...validateMetadata(resource, options), ...validateVirtualService(resource, options)];
    case "DestinationRule":
      return [...validateMetadata(resource, options), ...validateDestinationRule(resource, options)];
    case "ServiceEntry":
      return [...validateMetadata(resource, options), ...validateServiceEntry(resource, options)];
    case "AuthorizationPolicy":
      return [...validateMetadata(resource, options), ...validateAuthorizationPolicy(resource)];
    case "RequestAuthentication":
      return [...validateMetadata(resource, options), ...validateRequestAuthentication(resource, options)];
    default:
      return [];
  }
}

function hasKind(object: unknown): boolean {
  if (typeof object !== "object" || object === null || Array.isArray(object)) return false;
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === "string" && apiVersion !== "" && typeof kind === "string" && kind !== "";
}
