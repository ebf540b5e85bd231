import assert from "node:assert/strict";
import { test } from "node:test";
import type { FilterChain, Listener } from "../../istio/translate/proxy-config";
import { selectFilterChain } from "./filter-chain";

const chain = (name: string, serverNames: string[]): FilterChain => ({
  name,
  serverNames,
  transport: "tls-passthrough",
  servers: [],
});

const listener: Listener = {
  name: "0.0.0.0_8443",
  address: "0.0.0.0",
  port: 443,
  listenPort: 8443,
  tlsInspector: true,
  filterChains: [
    chain("wild", ["*.example.com"]),
    chain("deeper", ["*.a.example.com"]),
    chain("exact", ["b.a.example.com", "other.org"]),
    chain("any", []),
  ],
};

const cases: [string | undefined, string | undefined][] = [
  ["b.a.example.com", "exact"],
  ["OTHER.org", "exact"],
  ["c.a.example.com", "deeper"],
  ["x.y.example.com", "wild"],
  ["example.com", "any"],
  [undefined, "any"],
];

for (const [sni, want] of cases) {
  test(`selectFilterChain: ${sni} -> ${want}`, () => {
    assert.equal(selectFilterChain(listener, sni)?.name, want);
  });
}

test("selectFilterChain: no match without a catch-all chain; plain text has one chain", () => {
  const strict = { ...listener, filterChains: listener.filterChains.slice(0, 3) };
  assert.equal(selectFilterChain(strict, "nope.org"), undefined);
  const plain: Listener = { ...listener, tlsInspector: false, filterChains: [chain("only", [])] };
  assert.equal(selectFilterChain(plain, "whatever")?.name, "only");
});
