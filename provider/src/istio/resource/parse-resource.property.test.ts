// parseResource never throws, whatever it is given, and its result is always coherent: a resource
// exactly when there are no findings, every finding an error in the shape range.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseResource } from ".";

const kinds = ["Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Secret", "Service", "Pod"];
const versions = [
  "networking.istio.io/v1",
  "networking.istio.io/v1beta1",
  "networking.istio.io/v1alpha3",
  "v1",
];

/** Objects that get past the envelope, so the schemas see arbitrary data at every level. */
const envelopes = fc.record({
  apiVersion: fc.constantFrom(...versions),
  kind: fc.constantFrom(...kinds),
  metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.string(), namespace: fc.string() })),
  spec: fc.jsonValue({ maxDepth: 6 }),
});

function check(input: unknown): void {
  const result = parseResource(input);
  assert.equal(result.resource === undefined, result.issues.length > 0 || !isSupported(input));
  for (const issue of result.issues) {
    assert.equal(issue.severity, "error");
    assert.match(issue.code, /^IGW10[0-9]{2}$/);
    assert.equal(typeof issue.message, "string");
  }
}

function isSupported(input: unknown): boolean {
  if (typeof input !== "object" || input === null) return false;
  const { apiVersion, kind } = input as { apiVersion?: unknown; kind?: unknown };
  return (
    (kind === "Secret" || kind === "Service" || kind === "Pod"
      ? apiVersion === "v1"
      : typeof apiVersion === "string" && apiVersion.startsWith("networking.istio.io/")) &&
    kinds.includes(kind as string)
  );
}

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

describe("parseResource on arbitrary input", () => {
  it("never throws on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 500 });
  });

  it("never throws on arbitrary data behind a valid envelope", () => {
    fc.assert(fc.property(envelopes, check), { numRuns: 1000 });
  });

  it("never throws on anything (undefined, -0, NaN, sparse arrays, null prototypes)", () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true }), check), {
      numRuns: 300,
    });
  });

  it("never throws on huge nesting, and reports it", () => {
    const deepArray = nested(100_000, (v) => [v]);
    const deepObject = nested(100_000, (v) => ({ a: v }));
    const cases: unknown[] = [
      deepArray,
      deepObject,
      { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: {}, spec: { servers: deepArray } },
      { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: {}, spec: { selector: deepObject } },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: {},
        spec: { host: "a", x: deepObject },
      },
    ];
    for (const input of cases) check(input);
    assert.deepEqual(
      parseResource(cases[3]).issues.map((i) => [i.path, i.message]),
      [["spec.selector.a", "must be a string (got an object)"]],
    );
  });

  it("handles a cycle", () => {
    const spec: Record<string, unknown> = {};
    spec.servers = [spec];
    check({ apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: {}, spec });
  });
});
