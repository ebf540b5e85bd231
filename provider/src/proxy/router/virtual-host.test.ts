import assert from "node:assert/strict";
import { test } from "node:test";
import { virtualHost } from "./fixtures";
import { compileRouteConfig } from "./route-config";
import { hostOfAuthority, selectVirtualHost } from "./virtual-host";

const config = compileRouteConfig({
  name: "http.80",
  virtualHosts: [
    virtualHost(["*"], []),
    virtualHost(["*.example.com"], []),
    virtualHost(["*.a.example.com"], []),
    virtualHost(["b.a.example.com"], []),
    virtualHost(["*foo.org"], []),
    virtualHost(["api.*"], []),
    virtualHost(["[::1]"], []),
  ],
});

const cases: [string, string | undefined][] = [
  ["b.a.example.com", "b.a.example.com"],
  ["B.A.Example.COM:8080", "b.a.example.com"],
  ["c.a.example.com", "*.a.example.com"],
  ["x.y.a.example.com", "*.a.example.com"],
  ["c.example.com", "*.example.com"],
  ["example.com", "*"],
  ["a.example.com", "*.example.com"],
  ["barfoo.org", "*foo.org"],
  ["foo.org", "*"],
  ["api.internal", "api.*"],
  ["[::1]:80", "[::1]"],
  ["other.net", "*"],
];

for (const [authority, domain] of cases) {
  test(`selectVirtualHost: ${authority} -> ${domain}`, () => {
    assert.equal(selectVirtualHost(config, authority)?.virtualHost.domains[0], domain);
  });
}

test("selectVirtualHost: no `*` host means no match for unknown names", () => {
  const c = compileRouteConfig({ name: "r", virtualHosts: [virtualHost(["a.com"], [])] });
  assert.equal(selectVirtualHost(c, "b.com"), undefined);
});

test("hostOfAuthority", () => {
  assert.deepEqual(["a.com", "A.com:80", "[::1]:8080", "[::1]", "::1", "1.2.3.4:5"].map(hostOfAuthority), [
    "a.com",
    "a.com",
    "[::1]",
    "[::1]",
    "::1",
    "1.2.3.4",
  ]);
});
