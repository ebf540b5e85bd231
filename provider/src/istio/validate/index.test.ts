import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCheckedKind, validateObject } from "./index";

const vs = (extra: object) => ({
  apiVersion: "networking.istio.io/v1beta1",
  kind: "VirtualService",
  metadata: { name: "reviews", namespace: "bookinfo" },
  spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews" } }] }] },
  ...extra,
});

describe("validateObject", () => {
  it("returns the typed resource and no findings for a valid object", () => {
    const result = validateObject(vs({}));
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.ref, { kind: "VirtualService", namespace: "bookinfo", name: "reviews" });
    assert.equal(result.resource?.kind, "VirtualService");
  });

  it("runs Istio's metadata rules on every Istio kind", () => {
    const annotated = vs({
      metadata: { name: "r", annotations: { "internal.istio.io/parents": "x" } },
    });
    assert.deepEqual(
      validateObject(annotated).issues.map((i) => [i.code, i.path]),
      [["IGW1102", 'metadata.annotations["internal.istio.io/parents"]']],
    );
  });

  it("stops at the shape when the shape is wrong, as the API server would", () => {
    const result = validateObject(vs({ spec: { hosts: "reviews", http: [] } }));
    assert.equal(result.resource, undefined);
    assert.deepEqual(
      result.issues.map((i) => [i.severity, i.path]),
      [["error", "spec.hosts"]],
    );
  });

  it("uses the default namespace for objects without one", () => {
    const result = validateObject(vs({ metadata: { name: "r" } }), { defaultNamespace: "team-a" });
    assert.deepEqual(result.ref, { kind: "VirtualService", namespace: "team-a", name: "r" });
  });
});

describe("isCheckedKind", () => {
  it("checks Istio networking kinds of any version and the core kinds analysis reads", () => {
    const table: Array<[unknown, boolean]> = [
      [{ apiVersion: "networking.istio.io/v1", kind: "Gateway" }, true],
      [{ apiVersion: "networking.istio.io/v2", kind: "Gateway" }, true],
      [{ apiVersion: "networking.istio.io/v1", kind: "Sidecar" }, false],
      [{ apiVersion: "v1", kind: "Secret" }, true],
      [{ apiVersion: "apps/v1", kind: "Deployment" }, false],
      [{ metadata: {} }, true],
      ["text", true],
    ];
    for (const [object, expected] of table)
      assert.equal(isCheckedKind(object), expected, JSON.stringify(object));
  });
});
