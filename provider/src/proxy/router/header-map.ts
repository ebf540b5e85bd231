/**
 * Reading and writing header maps, which are plain objects keyed by lower-case name. Peers choose
 * header names, and some name what every object has (`constructor`, `__proto__`): those must be
 * read and written as headers like any other.
 */

/**
 * The value of header `name` in `map`, or undefined. A header map is a plain object, so names it
 * inherits (`constructor`, `__proto__`, ...) are read as absent, not as its methods:
 * peers choose header names.
 */
export function headerOf<V>(map: Readonly<Record<string, V>>, name: string): V | undefined {
  const value = map[name];
  return value === undefined || Object.hasOwn(map, name) ? value : undefined;
}

/** Sets header `name` in `map`; `__proto__` too, which plain assignment would take as the prototype. */
export function setHeader<V>(map: Record<string, V>, name: string, value: V): void {
  if (name === "__proto__")
    Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
  else map[name] = value;
}
