import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CookieAttribute } from "../../istio/translate/proxy-config";
import { setCookieValue } from "./request-hash";

describe("setCookieValue", () => {
  const cases: [string, number, string | undefined, CookieAttribute[] | undefined, string][] = [
    ["ttl and path", 3600, "/", undefined, 'u="abc"; Max-Age=3600; Path=/; HttpOnly'],
    ["a session cookie (ttl 0): no Max-Age", 0, undefined, undefined, 'u="abc"; HttpOnly'],
    [
      "attributes after Path and before HttpOnly, in order, a valueless one as its name alone (Envoy's makeSetCookieValue)",
      60,
      "/app",
      [
        { name: "SameSite", value: "Strict" },
        { name: "Secure", value: "" },
        { name: "Domain", value: "example.com" },
      ],
      'u="abc"; Max-Age=60; Path=/app; SameSite=Strict; Secure; Domain=example.com; HttpOnly',
    ],
    [
      "attributes without a path",
      60,
      undefined,
      [{ name: "Partitioned", value: "" }],
      'u="abc"; Max-Age=60; Partitioned; HttpOnly',
    ],
  ];
  for (const [name, ttl, path, attributes, want] of cases)
    it(name, () => assert.equal(setCookieValue("u", "abc", ttl, path, attributes), want));
});
