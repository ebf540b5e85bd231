import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CookieAttribute, HashPolicy } from "../../istio/translate/proxy-config";
import { hashString } from "../upstream/hash-ring";
import type { Exchange } from "./exchange";
import { routeHash, setCookieValue } from "./request-hash";

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

describe("routeHash: every policy's hash mixed in, as Envoy's generateHash mixes them", () => {
  /** An exchange for a request with `headers` and `query` from 10.0.0.1:5000 to 10.0.0.2:8080. */
  const exchange = (headers: Record<string, string>, query = "") =>
    ({
      routeReq: { headers, query },
      req: {
        socket: { remoteAddress: "10.0.0.1", remotePort: 5000, localAddress: "10.0.0.2", localPort: 8080 },
      },
    }) as unknown as Exchange;
  const rotated = (h: number) => ((h << 1) | (h >>> 31)) >>> 0;
  const a: HashPolicy = { kind: "header", name: "x-a" };
  const q: HashPolicy = { kind: "query", name: "u" };
  const cookie: HashPolicy = { kind: "cookie", name: "cb", ttlSeconds: 10 };

  it("one policy: its key's hash", () => {
    assert.deepEqual(routeHash([a], exchange({ "x-a": "one" })), { hash: hashString("one"), setCookies: [] });
  });

  it("two policies: the first's hash rotated left by one bit, then xor the second's", () => {
    assert.deepEqual(routeHash([a, q], exchange({ "x-a": "one" }, "u=two")), {
      hash: (rotated(hashString("one")) ^ hashString("two")) >>> 0,
      setCookies: [],
    });
  });

  it("equal policies do not cancel out", () => {
    const h = hashString("one");
    assert.deepEqual(routeHash([a, a], exchange({ "x-a": "one" })).hash, (rotated(h) ^ h) >>> 0);
  });

  it("a policy whose key is missing is passed over; none found: no hash", () => {
    assert.deepEqual(routeHash([a, q], exchange({}, "u=two")), { hash: hashString("two"), setCookies: [] });
    assert.deepEqual(routeHash([a, q], exchange({})), { hash: undefined, setCookies: [] });
    assert.deepEqual(routeHash([], exchange({ "x-a": "one" })), { hash: undefined, setCookies: [] });
  });

  it("a cookie policy with a ttl makes its cookie up wherever it stands in the list, an empty cookie included", () => {
    const requests: Record<string, string>[] = [{ "x-a": "one" }, { "x-a": "one", cookie: "cb=" }];
    for (const headers of requests) {
      const h = routeHash([a, cookie], exchange(headers));
      assert.equal(h.setCookies.length, 1);
      const made = /^cb="([0-9a-f]{16})"; Max-Age=10; HttpOnly$/.exec(h.setCookies[0]!)?.[1];
      assert.ok(made !== undefined, h.setCookies[0]);
      assert.equal(h.hash, (rotated(hashString("one")) ^ hashString(made)) >>> 0);
    }
    // Sent back, the cookie is hashed as it came, and none is made.
    assert.deepEqual(routeHash([a, cookie], exchange({ cookie: "cb=abc" })), {
      hash: hashString("abc"),
      setCookies: [],
    });
  });
});
