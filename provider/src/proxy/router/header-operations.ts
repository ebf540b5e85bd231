/**
 * Header operations (`set`, `add`, `remove`) on requests and responses, in Envoy's order: for
 * each level (the chosen destination's and the route's, in the order `CompiledWeightedCluster`
 * gives them) removals, then `set`s, then `add`s. A value that formats to the empty string is not written (Envoy's default
 * `keep_empty_value: false`).
 */
import type { HeaderOperations } from "../../istio/translate/proxy-config";
import type { CompiledHeaderValue, FormatterContext } from "./header-formatter";
import { compileHeaderValue } from "./header-formatter";
import type { RequestHeaders } from "./request";

/** Header operations with their values compiled. */
export interface CompiledHeaderOperations {
  /** Headers removed. */
  readonly remove: readonly string[];
  /** Headers replaced. */
  readonly set: readonly (readonly [string, CompiledHeaderValue])[];
  /** Values appended. */
  readonly add: readonly (readonly [string, CompiledHeaderValue])[];
}

/** A mutable header map with lower-case names (Node.js's outgoing header shape). */
export type HeaderMap = Record<string, string | string[]>;

/** Compiles one level of operations. */
export function compileHeaderOperations(ops: HeaderOperations): CompiledHeaderOperations {
  return {
    remove: ops.remove.map((n) => n.toLowerCase()),
    set: ops.set.map(([n, v]) => [n.toLowerCase(), compileHeaderValue(v)] as const),
    add: ops.add.map(([n, v]) => [n.toLowerCase(), compileHeaderValue(v)] as const),
  };
}

/** True when the operations change nothing. */
export function isEmptyHeaderOperations(ops: CompiledHeaderOperations): boolean {
  return ops.remove.length === 0 && ops.set.length === 0 && ops.add.length === 0;
}

/**
 * Applies `levels` in order to a copy of `headers` and returns the copy. Formatter variables are
 * evaluated against `ctx` (whose `requestHeaders` should be the original request's).
 */
export function applyHeaderOperations(
  headers: RequestHeaders,
  levels: readonly CompiledHeaderOperations[],
  ctx: FormatterContext = {},
): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = typeof v === "string" ? v : [...v];
  }
  for (const ops of levels) {
    for (const name of ops.remove) delete out[name];
    for (const [name, value] of ops.set) {
      const text = value(ctx);
      if (text !== "") out[name] = text;
    }
    for (const [name, value] of ops.add) {
      const text = value(ctx);
      if (text === "") continue;
      const existing = out[name];
      if (existing === undefined) out[name] = text;
      else out[name] = typeof existing === "string" ? [existing, text] : [...existing, text];
    }
  }
  return out;
}
