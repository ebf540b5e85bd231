import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withoutNulls } from "./without-nulls";

describe("withoutNulls", () => {
  it("returns a clean object as itself", () => {
    const clean = { spec: { hosts: ["a"], http: [{ match: [{ uri: { exact: "/" } }] }] } };
    assert.equal(withoutNulls(clean), clean);
  });

  it("prunes null fields at any depth and shares the untouched parts", () => {
    const servers = [{ port: { number: 80 } }];
    const input = { metadata: { name: "gw", labels: null }, spec: { selector: null, servers } };
    const out = withoutNulls(input) as { spec: { servers: unknown } };
    assert.deepEqual(out, { metadata: { name: "gw" }, spec: { servers } });
    assert.equal(out.spec.servers, servers);
  });

  it("keeps null list items, except null HTTP matches, which Istio skips", () => {
    const input = {
      spec: { http: [null, { match: [null, { port: 80 }], route: [null] }], tcp: [{ match: [null] }] },
    };
    assert.deepEqual(withoutNulls(input), {
      spec: { http: [null, { match: [{ port: 80 }], route: [null] }], tcp: [{ match: [null] }] },
    });
  });
});

describe("withoutNulls in match maps", () => {
  it("keeps null header and query values, which Istio rejects", () => {
    const input = {
      spec: { http: [{ match: [{ headers: { a: null }, queryParams: { q: null }, uri: null }] }] },
    };
    assert.deepEqual(withoutNulls(input), {
      spec: { http: [{ match: [{ headers: { a: null }, queryParams: { q: null } }] }] },
    });
  });
});
