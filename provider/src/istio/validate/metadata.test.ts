import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resourceRefOf, validateMetadata } from "./metadata";

const label =
  'must be a DNS-1123 label: 1 to 63 letters, digits or "-", not starting or ending with "-", no dots';

describe("validateMetadata", () => {
  const cases: Array<[string, Record<string, unknown>, Array<[string, string, string]>]> = [
    ["a valid Gateway", { kind: "Gateway", metadata: { name: "public-gw", annotations: { a: "b" } } }, []],
    [
      "a Gateway name with upper case (Istio's regex allows it)",
      { kind: "Gateway", metadata: { name: "Public" } },
      [],
    ],
    ["a Gateway without a name yet", { kind: "Gateway", metadata: {} }, []],
    [
      "a Gateway named with dots",
      { kind: "Gateway", metadata: { name: "a.b" } },
      [["IGW1104", "metadata.name", `${label} (got "a.b")`]],
    ],
    [
      "a Gateway named empty",
      { kind: "Gateway", metadata: { name: "" } },
      [["IGW1104", "metadata.name", `${label} (got "")`]],
    ],
    [
      "a Gateway name of 64 characters",
      { kind: "Gateway", metadata: { name: "a".repeat(64) } },
      [["IGW1104", "metadata.name", `${label} (got "${"a".repeat(64)}")`]],
    ],
    [
      "a Gateway name that is not a string",
      { kind: "Gateway", metadata: { name: 5 } },
      [["IGW1104", "metadata.name", `${label} (got 5)`]],
    ],
    [
      "a VirtualService named with dots (not checked)",
      { kind: "VirtualService", metadata: { name: "a.b" } },
      [],
    ],
    [
      "an inherited property is not an annotation",
      {
        kind: "VirtualService",
        metadata: {
          name: "vs",
          annotations: Object.create({ "internal.istio.io/webhook-always-reject": "" }),
        },
      },
      [],
    ],
    [
      "every reserved annotation at once",
      {
        kind: "VirtualService",
        metadata: {
          name: "vs",
          annotations: {
            "istio.io/dry-run": "true",
            "internal.istio.io/webhook-always-reject": "true",
            "internal.istio.io/parent-namespace": "other",
          },
        },
      },
      [
        [
          "IGW1103",
          'metadata.annotations["istio.io/dry-run"]',
          'is only supported on AuthorizationPolicy: remove it (got kind "VirtualService")',
        ],
        [
          "IGW1101",
          'metadata.annotations["internal.istio.io/webhook-always-reject"]',
          "must not be set: Istio rejects every resource that carries it",
        ],
        [
          "IGW1102",
          'metadata.annotations["internal.istio.io/parent-namespace"]',
          "must not be set: it is reserved for resources Istio generates",
        ],
      ],
    ],
    [
      "dry-run on an AuthorizationPolicy",
      { kind: "AuthorizationPolicy", metadata: { name: "p", annotations: { "istio.io/dry-run": "true" } } },
      [],
    ],
    ["odd metadata", { kind: "Gateway", metadata: "x" }, []],
  ];
  for (const [name, resource, want] of cases) {
    it(name, () =>
      assert.deepEqual(
        validateMetadata(resource).map((i) => [i.code, i.path, i.message]),
        want,
      ),
    );
  }

  it("names the resource as istioctl does, defaulting the namespace", () => {
    assert.deepEqual(resourceRefOf({ kind: "Gateway", metadata: { name: "gw" } }), {
      kind: "Gateway",
      namespace: "default",
      name: "gw",
    });
    assert.deepEqual(resourceRefOf({}), { kind: "", namespace: "default", name: "" });
  });
});
