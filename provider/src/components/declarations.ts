/**
 * The Gateways and VirtualServices a Pulumi program declares, per stack, so that binding between
 * them is checked whatever their declaration order: each component, once its object is known,
 * checks itself against every counterpart already known; the later one reports.
 */
import * as pulumi from "@pulumi/pulumi";
import { effectiveGateways, keyOf, MESH_GATEWAY, namespaceOf, resolveGatewayName } from "../istio/binding";
import type { IstioObject } from "./preview-check";

/** One declared component with its known object. */
export interface Declared {
  /** `<namespace>/<name>` of the custom resource. */
  key: string;
  /** The Pulumi resource name (messages name both). */
  resourceName: string;
  /** The validated object. */
  object: IstioObject;
}

/** What one stack's program has declared so far. */
export interface StackDeclarations {
  /** Known Gateways by `<namespace>/<name>`. */
  gateways: Map<string, Declared>;
  /** Known VirtualServices, in the order they became known. */
  virtualServices: Declared[];
  /** Gateways whose object is not known yet: while any is pending, a missing reference may be one of them. */
  pendingGateways: number;
}

// Module state on purpose: components of one program share it, and one process may run several
// stacks (tests, the Automation API), hence the key.
const byStack = new Map<string, StackDeclarations>();

/** The declarations of the stack this process is running. */
export function declarationsOfStack(): StackDeclarations {
  const key = `${pulumi.getProject()}/${pulumi.getStack()}`;
  let found = byStack.get(key);
  if (found === undefined) {
    found = { gateways: new Map(), virtualServices: [], pendingGateways: 0 };
    byStack.set(key, found);
  }
  return found;
}

/** Makes a declaration from a known object. */
export function declared(object: IstioObject, resourceName: string): Declared {
  return { key: keyOf(object), resourceName, object };
}

/** The `<namespace>/<name>` keys of the Gateways a VirtualService references, by index (undefined for `mesh`). */
export function gatewayKeys(vs: IstioObject): (string | undefined)[] {
  const namespace = namespaceOf(vs);
  return effectiveGateways(vs as never).map((ref) => {
    const key = resolveGatewayName(ref, namespace);
    return key === MESH_GATEWAY ? undefined : key;
  });
}

/** The VirtualServices declared so far that reference the Gateway `key`. */
export function virtualServicesOf(declarations: StackDeclarations, key: string): Declared[] {
  return declarations.virtualServices.filter((vs) => gatewayKeys(vs.object).includes(key));
}

/** Forgets every declaration (tests that run several programs in one process). */
export function resetDeclarations(): void {
  byStack.clear();
}
