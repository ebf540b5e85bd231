import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { matches, moreSpecific, subsetOf } from "./name";
import { intersection, namesForNamespace } from "./names";

// Host-shaped strings: a few short labels from a small alphabet (so suffixes collide often),
// optionally behind a wildcard ("*", "*.", or the partial "*x"), plus the odd bare "*" and "".
const label = fc.constantFrom("a", "b", "ab", "foo", "com", "A", "x-1", "é");
const dnsName = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));
const host = fc.oneof(
  { weight: 4, arbitrary: dnsName },
  { weight: 3, arbitrary: dnsName.map((d) => `*.${d}`) },
  { weight: 1, arbitrary: dnsName.map((d) => `*${d}`) },
  { weight: 1, arbitrary: fc.constantFrom("*", "", "*.") },
  // Arbitrary text, without "/" (which separates a namespace from a host, and is never in a name).
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).filter((s) => !s.includes("/")) },
);
const hosts = fc.array(host, { maxLength: 5 });
const namespace = fc.constantFrom("default", "istio-system", "*", ".", "a");
const qualifiedHost = fc.oneof(
  host,
  fc.tuple(namespace, host).map(([ns, h]) => `${ns}/${h}`),
);

const runs = { numRuns: 2000 };

describe("host laws", () => {
  it("matches is symmetric", () => {
    fc.assert(
      fc.property(host, host, (a, b) => matches(a, b) === matches(b, a)),
      runs,
    );
  });

  it("subsetOf is reflexive", () => {
    fc.assert(
      fc.property(host, (a) => subsetOf(a, a)),
      runs,
    );
  });

  it("subsetOf is transitive", () => {
    fc.assert(
      fc.property(host, host, host, (a, b, c) => !(subsetOf(a, b) && subsetOf(b, c)) || subsetOf(a, c)),
      runs,
    );
  });

  it("subsetOf implies matches", () => {
    fc.assert(
      fc.property(host, host, (a, b) => !subsetOf(a, b) || matches(a, b)),
      runs,
    );
  });

  it("everything is a subset of *", () => {
    fc.assert(
      fc.property(host, (a) => subsetOf(a, "*")),
      runs,
    );
  });

  it("every name in intersection(A, B) is a subset of a name in A and of a name in B", () => {
    fc.assert(
      fc.property(hosts, hosts, (a, b) =>
        intersection(a, b).every((h) => a.some((x) => subsetOf(h, x)) && b.some((y) => subsetOf(h, y))),
      ),
      runs,
    );
  });

  it("intersection is commutative as a set and has no duplicates", () => {
    fc.assert(
      fc.property(hosts, hosts, (a, b) => {
        const ab = intersection(a, b);
        const ba = intersection(b, a);
        assert.deepEqual([...ab].sort(), [...ba].sort());
        assert.equal(new Set(ab).size, ab.length);
      }),
      runs,
    );
  });

  it("namesForNamespace never returns a namespaced name", () => {
    fc.assert(
      fc.property(fc.array(qualifiedHost, { maxLength: 5 }), namespace, (hs, ns) =>
        namesForNamespace(hs, ns).every((h) => !h.includes("/")),
      ),
      runs,
    );
  });

  it("moreSpecific is a strict order on distinct names", () => {
    fc.assert(
      fc.property(host, host, host, (a, b, c) => {
        if (a !== b) assert.notEqual(moreSpecific(a, b), moreSpecific(b, a));
        if (a !== b && b !== c && a !== c && moreSpecific(a, b) && moreSpecific(b, c)) {
          assert.ok(moreSpecific(a, c));
        }
      }),
      runs,
    );
  });
});
