/** How a component's inputs are recorded, and how its custom resource is fed. */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NETWORKING_API_VERSION } from "../istio/model";
import type { ComponentKind, IstioObject } from "./preview-check";

/**
 * The inputs a component records in the state. A ComponentResource records what it passes to
 * `super()`, so key material is wrapped as a secret here before it can be written in plaintext.
 */
export function redactedInputs(args: object): pulumi.Inputs {
  const out: pulumi.Inputs = { ...args };
  if (out.credentials !== undefined) out.credentials = pulumi.secret(out.credentials);
  return out;
}

/**
 * The arguments of the `CustomResource` for a validated object: plain when the object was known
 * at construction, otherwise taken from the Output that only resolves after validation passed.
 */
export function customResourceArgs(
  kind: ComponentKind,
  object: pulumi.Input<IstioObject>,
): k8s.apiextensions.CustomResourceArgs {
  // apiVersion and kind make the resource's type token, so they must be plain strings.
  if (!pulumi.Output.isInstance(object) && !(object instanceof Promise)) {
    return { apiVersion: NETWORKING_API_VERSION, kind, metadata: object.metadata, spec: object.spec };
  }
  const o = pulumi.output(object);
  return {
    apiVersion: NETWORKING_API_VERSION,
    kind,
    metadata: o.apply((x) => x.metadata),
    spec: o.apply((x) => x.spec),
  };
}
