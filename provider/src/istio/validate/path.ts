/**
 * Field paths rooted at the resource, written the way users read them in YAML and TypeScript:
 * `spec.servers[0].tls.privateKey`, `spec.http[2].match[0].headers["x-user"].exact`.
 */

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path of a child field or array element of `parent`. Map keys that are not identifiers are quoted. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (!identifier.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

/** Joins several segments: `pathOf("spec", "servers", 0, "tls")` is `spec.servers[0].tls`. */
export function pathOf(...segments: Array<string | number>): string {
  return segments.reduce<string>((acc, s) => childPath(acc, s), "");
}
