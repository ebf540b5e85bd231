/**
 * Preview sees some inputs before their values exist (outputs of other resources, `pulumi.unknown`
 * in a multi-language `construct`). Validation runs at once on what is known and defers the rest;
 * this module tells the two apart, and keeps a finding only when no unknown value could change it.
 */
import * as pulumi from "@pulumi/pulumi";
import { childPath } from "../istio/validate/path";

/** A value with every not-yet-plain part removed, and the paths where those parts were. */
export interface KnownPart {
  /** The value with Outputs, promises and unknowns left out (array slots become `undefined`). */
  value: unknown;
  /** Paths, in the resource's own form (`spec.servers[0].hosts`), of the parts left out. */
  unknownPaths: string[];
}

/** The plain part of `value`, rooted at `path`. */
export function knownPart(value: unknown, path: string): KnownPart {
  const unknownPaths: string[] = [];
  const walk = (v: unknown, at: string): unknown => {
    if (isPending(v)) {
      unknownPaths.push(at);
      return undefined;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, childPath(at, i)));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        const known = walk(item, childPath(at, key));
        if (known !== undefined) out[key] = known;
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, path), unknownPaths };
}

/** True for a value that is not plain data yet: an Output, a promise, or Pulumi's unknown. */
export function isPending(v: unknown): boolean {
  return (
    pulumi.Output.isInstance(v) ||
    pulumi.isUnknown(v) ||
    (v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function")
  );
}

/**
 * True when no unknown part can change a finding at `path`: no unknown lies at or above `path`,
 * nor anywhere inside the object that holds it (cross-field rules compare siblings, so an unknown
 * sibling may be exactly the value that would make the finding go away).
 */
export function isSettled(path: string, unknownPaths: readonly string[]): boolean {
  const holder = parentPath(path);
  return !unknownPaths.some((u) => within(path, u) || within(u, holder));
}

/** `spec.servers[0].tls` for `spec.servers[0].tls.mode`; `""` for a top-level field. */
export function parentPath(path: string): string {
  const m = /^(.*?)(?:\.[A-Za-z_$][A-Za-z0-9_$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])$/.exec(path);
  return m === null ? "" : m[1];
}

/** True when `path` is `ancestor` or lies inside it (the empty path is the root and holds all). */
function within(path: string, ancestor: string): boolean {
  return (
    ancestor === "" || path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`)
  );
}

/**
 * Whether an Output's value is known. `Output.isKnown` exists on every Output at run time but is
 * not in the SDK's public typings; it is the only way to tell "unknown in preview" from "pending".
 */
export function isKnown(output: pulumi.Output<unknown>): Promise<boolean> {
  return (output as unknown as { isKnown: Promise<boolean> }).isKnown;
}
