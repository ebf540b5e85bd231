import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HashRing, hashString } from "./hash-ring";

const host = (hostPort: string) => ({ hostPort });

describe("HashRing", () => {
  const a = host("10.0.0.1:80");
  const b = host("10.0.0.2:80");
  const c = host("10.0.0.3:80");

  it("has at least minimumRingSize entries, spread by weight", () => {
    assert.equal(new HashRing([a, b, c], 1024).size, 1026);
    assert.equal(new HashRing([a, a, b], 1024).size, 1026);
    assert.equal(new HashRing([], 1024).size, 0);
    assert.equal(new HashRing([], 1024).pick(1), undefined);
  });

  it("maps a key to the same endpoint whatever the order endpoints come in", () => {
    const r1 = new HashRing([a, b, c], 1024);
    const r2 = new HashRing([c, a, b], 1024);
    for (let i = 0; i < 200; i++) {
      const h = hashString(`user-${i}`);
      assert.equal(r1.pick(h), r2.pick(h));
    }
  });

  it("spreads keys over endpoints in proportion to weight", () => {
    const ring = new HashRing([a, b, b, c], 4096);
    const counts = new Map<unknown, number>();
    for (let i = 0; i < 8000; i++) {
      const e = ring.pick(hashString(`key-${i}`));
      counts.set(e, (counts.get(e) ?? 0) + 1);
    }
    const share = (e: unknown) => (counts.get(e) ?? 0) / 8000;
    assert.ok(Math.abs(share(a) - 0.25) < 0.06, `a ${share(a)}`);
    assert.ok(Math.abs(share(b) - 0.5) < 0.06, `b ${share(b)}`);
    assert.ok(Math.abs(share(c) - 0.25) < 0.06, `c ${share(c)}`);
  });

  it("removing an endpoint moves its keys and few others (the others' entries grow, as in Envoy)", () => {
    const before = new HashRing([a, b, c], 1024);
    const after = new HashRing([a, c], 1024);
    let others = 0;
    let kept = 0;
    for (let i = 0; i < 1000; i++) {
      const h = hashString(`k${i}`);
      const was = before.pick(h);
      assert.notEqual(after.pick(h), b);
      if (was === b) continue;
      others++;
      if (after.pick(h) === was) kept++;
    }
    assert.ok(kept / others > 0.8, `${kept} of ${others} kept`);
  });

  it("skips along the ring for a retry avoiding endpoints tried, as Envoy's ring does", () => {
    const ring = new HashRing([a, b, b, c], 1024);
    for (const key of ["user-1", "user-2"]) {
      const h = hashString(key);
      assert.equal(ring.pick(h, 0), ring.pick(h));
      // Skipping 0 to size - 1 entries visits every entry once, wrapping past the end: each
      // endpoint as often as its weight gave it entries.
      const counts = new Map<unknown, number>();
      for (let skip = 0; skip < ring.size; skip++) {
        const e = ring.pick(h, skip);
        counts.set(e, (counts.get(e) ?? 0) + 1);
      }
      assert.deepEqual(
        [a, b, c].map((e) => counts.get(e)),
        [256, 512, 256],
      );
      assert.equal(ring.pick(h, ring.size), ring.pick(h));
    }
  });

  it("hashString is stable: every proxy process (and --workers) agrees on the ring", () => {
    assert.deepEqual(
      ["", "a", "user-1"].map((s) => hashString(s)),
      [2872998923, 444641715, 2005895916],
    );
  });
});
