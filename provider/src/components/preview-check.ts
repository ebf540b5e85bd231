/**
 * What a component does with its inputs before it creates anything: run the core's rules on every
 * part that is known, fail with `pulumi.InputPropertiesError` on errors, warn on warnings, and
 * validate the rest once it resolves. Errors name every property by its path in the custom
 * resource (`spec.servers[0].tls.privateKey`), which is also its path in the component's Args.
 */
import * as pulumi from "@pulumi/pulumi";
import { NETWORKING_API_VERSION } from "../istio/model";
import type { Issue, ResourceRef } from "../istio/validate";
import { formatIssue, formatIssueList, hasErrors, Severity, validateResource } from "../istio/validate";
import { isKnown, isSettled, knownPart } from "./known-values";
import { DEFAULT_NAMESPACE } from "./metadata";
import type { ResourceMetadata } from "./metadata";

/** The kinds the components create. */
export type ComponentKind = "Gateway" | "VirtualService";

/** The custom resource a component creates, as plain data (what the rules read). */
export interface IstioObject {
  /** Always `networking.istio.io/v1`. */
  apiVersion: string;
  /** `Gateway` or `VirtualService`. */
  kind: ComponentKind;
  /** Name and namespace with their defaults applied, labels and annotations as given. */
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** The spec as given. */
  spec: unknown;
}

/** The inputs of a check: the object as given (possibly holding Outputs) and extra rules. */
export interface CheckInput {
  /** The kind of custom resource the component creates. */
  kind: ComponentKind;
  /** The Pulumi resource name: the default `metadata.name`. */
  resourceName: string;
  /** The `metadata` input as given. */
  metadata: pulumi.Input<ResourceMetadata> | undefined;
  /** The `spec` input as given: plain, an Output, or plain holding Outputs and unknowns. */
  spec: unknown;
  /**
   * Rules beyond the core's, over the object (partial while `complete` is false: cross-checks
   * with the spec only run when it is whole). They read other inputs as given, Outputs and all.
   */
  extraRules?: (object: IstioObject, complete: boolean) => Issue[];
}

/** The result of the synchronous part of a check. */
export interface SyncCheck {
  /** How findings name the resource. */
  ref: ResourceRef;
  /** Warnings found now, to log once the component exists. */
  warnings: Issue[];
  /** Keys of every finding already reported, so the deferred check does not repeat them. */
  reported: Set<string>;
  /** The whole object when nothing is pending; undefined when part of it resolves later. */
  object?: IstioObject;
  /** The object with its defaults applied, still holding the caller's Outputs. */
  input: unknown;
}

/**
 * The custom resource the inputs describe, with the defaults the component applies: the Pulumi
 * resource name as `metadata.name`, `default` as the namespace.
 */
export function objectOf(check: CheckInput): Record<string, unknown> {
  const metadata = pulumi.Output.isInstance(check.metadata)
    ? check.metadata.apply((m) => withDefaults(m, check.resourceName))
    : withDefaults(check.metadata as ResourceMetadata | undefined, check.resourceName);
  return { apiVersion: NETWORKING_API_VERSION, kind: check.kind, metadata, spec: check.spec };
}

function withDefaults(m: ResourceMetadata | undefined, resourceName: string): ResourceMetadata {
  const out: ResourceMetadata = {
    ...m,
    name: m?.name ?? resourceName,
    namespace: m?.namespace ?? DEFAULT_NAMESPACE,
  };
  for (const key of ["labels", "annotations"] as const) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * Validates every known part of the inputs now. Throws `pulumi.InputPropertiesError` listing every
 * error; returns the warnings and, when nothing is pending, the validated object.
 */
export function checkNow(check: CheckInput): SyncCheck {
  const input = objectOf(check);
  const { value, unknownPaths } = knownPart(input, "");
  const complete = unknownPaths.length === 0;
  const known = value as IstioObject;
  const ref = refOf(known, check);
  const issues = [
    ...validateResource(known, { strict: true, defaultNamespace: DEFAULT_NAMESPACE }).filter((i) =>
      isSettled(i.path, unknownPaths),
    ),
    ...(check.extraRules?.(known, complete) ?? []),
  ];
  throwOnErrors(ref, issues);
  return {
    ref,
    warnings: issues,
    reported: new Set(issues.map(keyOfIssue)),
    object: complete ? known : undefined,
    input,
  };
}

/**
 * Validates the whole object once every part of it is known. The returned Output carries the
 * validated object: a child fed from it is never created from inputs that fail the rules. When a
 * value stays unknown (preview), the callback never runs and nothing is reported as wrong; an
 * info line says that validation waits for the value.
 */
export function checkWhenKnown(
  check: CheckInput,
  sync: SyncCheck,
  resource: pulumi.Resource,
  onKnown: (object: IstioObject) => Issue[],
): pulumi.Output<IstioObject> {
  const all = pulumi.output(sync.input as Record<string, unknown>);
  const validated = all.apply((object) => {
    const known = object as unknown as IstioObject;
    const ref = refOf(known, check);
    const issues = [
      ...validateResource(known, { strict: true, defaultNamespace: DEFAULT_NAMESPACE }),
      ...(check.extraRules?.(known, true) ?? []),
      ...onKnown(known),
    ].filter((i) => !sync.reported.has(keyOfIssue(i)));
    throwOnErrors(ref, issues);
    logWarnings(issues, resource);
    return known;
  });
  void isKnown(all).then((settled) => {
    if (!settled) {
      void pulumi.log.info(
        `${sync.ref.kind} ${JSON.stringify(sync.ref.name)}: validation of values unknown before deployment deferred until they are known`,
        resource,
      );
    }
  });
  return validated;
}

/** Throws the house-style `InputPropertiesError` when `issues` hold errors. */
export function throwOnErrors(ref: ResourceRef, issues: readonly Issue[]): void {
  if (!hasErrors(issues)) return;
  const errors = issues.filter((i) => i.severity === Severity.Error);
  throw new pulumi.InputPropertiesError({
    message: formatIssueList(ref, errors),
    errors: errors.map((i) => ({ propertyPath: i.path, reason: i.message })),
  });
}

/** Logs every warning (and info) on the component, one line each: `path: message`. */
export function logWarnings(issues: readonly Issue[], resource: pulumi.Resource): void {
  for (const issue of issues) {
    if (issue.severity === Severity.Warning) void pulumi.log.warn(formatIssue(issue), resource);
    else if (issue.severity === Severity.Info) void pulumi.log.info(formatIssue(issue), resource);
  }
}

function refOf(known: Partial<IstioObject>, check: CheckInput): ResourceRef {
  const name = known.metadata?.name;
  const namespace = known.metadata?.namespace;
  return {
    kind: check.kind,
    namespace: typeof namespace === "string" ? namespace : DEFAULT_NAMESPACE,
    name: typeof name === "string" ? name : check.resourceName,
  };
}

function keyOfIssue(i: Issue): string {
  return `${i.severity}\u0000${i.code}\u0000${i.path}\u0000${i.message}`;
}
