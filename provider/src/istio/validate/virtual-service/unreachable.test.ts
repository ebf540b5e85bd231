/**
 * Reachability: where our overlap check departs from Istio's heuristic, it is on purpose, and
 * these cases say which way (Istio's verdict in the comment).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HTTPMatchRequest } from "../../model";
import { canonicalMatch, checkReachability } from "./unreachable";

function ineffective(first: HTTPMatchRequest, second: HTTPMatchRequest): string[] {
  const found: string[] = [];
  const routes = [{ match: [first] }, { match: [second] }];
  checkReachability((code, path) => found.push(`${code} ${path}`), "http", routes, "spec.http");
  return found;
}

const api = { uri: { prefix: "/api" } };
const apiV1 = { uri: { prefix: "/api/v1" } };

test("a later prefix match is ineffective when an earlier one takes all of its requests", () => {
  const cases: Array<[string, HTTPMatchRequest, HTTPMatchRequest, string[]]> = [
    // Istio: ineffective (a missing method counts as GET on both sides).
    ["same conditions", api, apiV1, ["IGW3191 spec.http[1].match[0]"]],
    // Istio: ineffective.
    [
      "earlier without method",
      api,
      { ...apiV1, method: { exact: "GET" } },
      ["IGW3191 spec.http[1].match[0]"],
    ],
    // Istio: not reported (GET versus POST); the earlier match takes every method, POST included.
    [
      "earlier without method, later POST",
      api,
      { ...apiV1, method: { exact: "POST" } },
      ["IGW3191 spec.http[1].match[0]"],
    ],
    // Istio: ineffective (the later missing method counts as GET); the later one also takes POST.
    ["earlier GET, later any method", { ...api, method: { exact: "GET" } }, apiV1, []],
    // Istio: ineffective ("exact:abc" starts with "exact:ab"); the later value is never seen by the earlier.
    [
      "different exact header values",
      { ...api, headers: { x: { exact: "abc" } } },
      { ...apiV1, headers: { x: { exact: "ab" } } },
      [],
    ],
    [
      "earlier header prefix covers later exact",
      { ...api, headers: { x: { prefix: "ab" } } },
      { ...apiV1, headers: { x: { exact: "abc" } } },
      ["IGW3191 spec.http[1].match[0]"],
    ],
    // Istio: ineffective (regexes compare as equal); different regexes select different requests.
    [
      "different header regexes",
      { ...api, headers: { x: { regex: "a.*" } } },
      { ...apiV1, headers: { x: { regex: "b.*" } } },
      [],
    ],
    // Istio: ineffective (gateways are not compared); the two matches apply on different gateways.
    [
      "different gateways",
      { ...api, gateways: ["istio-system/a"] },
      { ...apiV1, gateways: ["istio-system/b"] },
      [],
    ],
    ["earlier on any port", api, { ...apiV1, port: 8080 }, ["IGW3191 spec.http[1].match[0]"]],
    ["different ports", { ...api, port: 80 }, { ...apiV1, port: 8080 }, []],
    ["not a prefix of the later path", { uri: { prefix: "/apx" } }, apiV1, []],
    [
      "exact paths never take part",
      { uri: { exact: "/api" } },
      { uri: { exact: "/api" }, name: "again" },
      ["IGW3191 spec.http[1].match[0]", "IGW3190 spec.http[1]"],
    ],
    ["equal prefixes with other conditions", api, { ...api, method: { exact: "GET" } }, []],
  ];
  assert.deepEqual(
    cases.map(([name, first, second]) => [name, first, second, ineffective(first, second)]),
    cases,
  );
});

test("matches compare without their name and without unset values", () => {
  assert.equal(
    canonicalMatch({ name: "a", uri: { prefix: "/" }, port: 0, ignoreUriCase: false, headers: {} }),
    canonicalMatch({ uri: { prefix: "/" } }),
  );
  assert.notEqual(canonicalMatch({ uri: { exact: "" } }), canonicalMatch({ uri: {} }));
  assert.notEqual(canonicalMatch({ uri: {} }), canonicalMatch({}));
  assert.equal(
    canonicalMatch({ headers: { b: { exact: "2" }, a: { exact: "1" } } }),
    canonicalMatch({ headers: { a: { exact: "1" }, b: { exact: "2" } } }),
  );
});

test("TLS and TCP lists are checked for catch-alls and repeats, not prefixes", () => {
  const found: string[] = [];
  const report = (code: string, path: string, message: string) => found.push(`${code} ${path}: ${message}`);
  checkReachability(
    report,
    "tcp",
    [{ match: [{ port: 1 }] }, { match: [{ port: 1 }, { port: 2 }] }, {}, {}],
    "spec.tcp",
  );
  checkReachability(
    report,
    "tls",
    [{ match: [{ sniHosts: ["a.com"] }] }, { match: [{ sniHosts: ["a.com"] }] }],
    "spec.tls",
  );
  assert.deepEqual(found, [
    "IGW3191 spec.tcp[1].match[0]: is never used: spec.tcp[0].match[0] is the same match and comes first",
    "IGW3190 spec.tcp[3]: is never used: spec.tcp[2] has no match either and takes all traffic first; only the last rule may omit match",
    "IGW3191 spec.tls[1].match[0]: is never used: spec.tls[0].match[0] is the same match and comes first",
    "IGW3190 spec.tls[1]: is never used: every one of its matches repeats an earlier match",
  ]);
});
