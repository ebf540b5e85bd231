import assert from "node:assert/strict";
import { test } from "node:test";
import { absoluteTarget, connectAuthority, isOriginForm, targetRefusal } from "./request-target";

test("a path, and the asterisk of OPTIONS, are in origin form; nothing else is", () => {
  assert.equal(isOriginForm("GET", "/a?b=1"), true);
  assert.equal(isOriginForm("OPTIONS", "*"), true);
  // Envoy's codec reads the first character only.
  assert.equal(isOriginForm("OPTIONS", "*x"), true);
  assert.equal(isOriginForm("GET", "*"), false);
  assert.equal(isOriginForm("GET", "http://a.test/"), false);
  assert.equal(isOriginForm("GET", ""), false);
});

test("an absolute http or https URL gives its authority and its path with the query", () => {
  const cases: [string, { authority: string; path: string; https: boolean } | undefined][] = [
    [
      "http://shop.example.com/cart?id=1",
      { authority: "shop.example.com", path: "/cart?id=1", https: false },
    ],
    ["HTTPS://Shop.Example.com:8443/a", { authority: "Shop.Example.com:8443", path: "/a", https: true }],
    ["http://shop.example.com", { authority: "shop.example.com", path: "/", https: false }],
    // A query without a path stays as it is: not a path, the request is refused later, as Envoy does.
    ["http://shop.example.com?x=1", { authority: "shop.example.com", path: "?x=1", https: false }],
    ["http://user:secret@shop.example.com/a", { authority: "shop.example.com", path: "/a", https: false }],
    ["http://[::1]:8080/a", { authority: "[::1]:8080", path: "/a", https: false }],
    ["ftp://shop.example.com/a", undefined],
    ["http:///a", undefined],
    ["http://user@/a", undefined],
    ["shop.example.com/a", undefined],
    ["//shop.example.com/a", undefined],
    ["http:/shop.example.com/a", undefined],
  ];
  for (const [target, expected] of cases) assert.deepEqual(absoluteTarget(target), expected, target);
});

test("a CONNECT target in authority form gives its authority; anything else is refused", () => {
  const cases: [string, string | undefined][] = [
    ["tunnel.test:443", "tunnel.test:443"],
    ["10.0.0.1:0", "10.0.0.1:0"],
    ["[::1]:65535", "[::1]:65535"],
    ["tunnel.test", undefined],
    ["tunnel.test:", undefined],
    ["tunnel.test:65536", undefined],
    ["tunnel.test:443/x", undefined],
    ["user@tunnel.test:443", undefined],
    ["http://tunnel.test:443", undefined],
    ["/tunnel", undefined],
    ["[::1:443", undefined],
  ];
  for (const [target, expected] of cases) assert.equal(connectAuthority(target), expected, target);
});

test("a target Envoy's codec refuses is an invalid URL, or one of another scheme", () => {
  const cases: [string, string][] = [
    ["*", "http1.invalid_url"],
    ["http:///a", "http1.invalid_url"],
    ["http://user@/a", "http1.invalid_url"],
    ["ftp://shop.example.com/a", "http1.invalid_scheme"],
    ["ws://shop.example.com", "http1.invalid_scheme"],
  ];
  for (const [target, expected] of cases) assert.equal(targetRefusal(target), expected, target);
});
