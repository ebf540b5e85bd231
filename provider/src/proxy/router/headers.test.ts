import assert from "node:assert/strict";
import { test } from "node:test";
import { SUPPORTED_FORMATTERS } from "../../istio/translate/header-formatters";
import { compileHeaderValue } from "./header-formatter";
import type { FormatterContext } from "./header-formatter";
import { applyHeaderOperations, compileHeaderOperations } from "./header-operations";

const ctx: FormatterContext = {
  downstreamRemoteAddress: "10.0.0.7",
  downstreamRemotePort: 51234,
  downstreamLocalAddress: "::1",
  downstreamLocalPort: 8080,
  requestedServerName: "a.example.com",
  protocol: "HTTP/1.1",
  hostname: "gw-0",
  startTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
  requestHeaders: { "x-user": "jason", "x-multi": ["a", "b"] },
  responseHeaders: { "content-type": "text/plain" },
  routeName: "reviews-v1",
  upstreamCluster: "outbound|9080|v1|reviews.default.svc.cluster.local",
  upstreamRemoteAddress: "10.1.1.1:9080",
  responseCode: 200,
};

const cases: [string, string][] = [
  ["plain", "plain"],
  ["100%%", "100%"],
  ["%DOWNSTREAM_REMOTE_ADDRESS%", "10.0.0.7:51234"],
  ["%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "10.0.0.7"],
  ["%DOWNSTREAM_REMOTE_PORT%", "51234"],
  ["%DOWNSTREAM_LOCAL_ADDRESS%", "[::1]:8080"],
  ["%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%", "::1"],
  ["%DOWNSTREAM_LOCAL_PORT%", "8080"],
  ["%REQUESTED_SERVER_NAME%", "a.example.com"],
  ["%PROTOCOL%", "HTTP/1.1"],
  ["%HOSTNAME%", "gw-0"],
  ["%START_TIME%", "2026-01-02T03:04:05.678Z"],
  ["user=%REQ(X-User)%", "user=jason"],
  ["%REQ(x-multi)%", "a,b"],
  ["%REQ(x-none?x-user)%", "jason"],
  ["%REQ(x-user):3%", "jas"],
  ["%REQ(x-none)%", ""],
  ["%RESP(content-type)%", "text/plain"],
  ["%ROUTE_NAME%", "reviews-v1"],
  ["%UPSTREAM_CLUSTER%", "outbound|9080|v1|reviews.default.svc.cluster.local"],
  ["%UPSTREAM_REMOTE_ADDRESS%", "10.1.1.1:9080"],
  ["%RESPONSE_CODE%", "200"],
  ["%UPSTREAM_METADATA(a:b)%", "%UPSTREAM_METADATA(a:b)%"],
  ["a %HOSTNAME% b %%", "a gw-0 b %"],
];

for (const [value, want] of cases) {
  test(`compileHeaderValue: ${value}`, () => {
    assert.equal(compileHeaderValue(value)(ctx), want);
  });
}

test("every formatter the translation calls supported is evaluated by the router", () => {
  const literal = SUPPORTED_FORMATTERS.filter((name) => {
    const text = name === "REQ" || name === "RESP" ? `%${name}(x-user)%` : `%${name}%`;
    return compileHeaderValue(text)(ctx) === text;
  });
  assert.deepEqual(literal, []);
});

test("applyHeaderOperations: levels in order, remove then set then add, empty values skipped", () => {
  const destination = compileHeaderOperations({
    set: [["x-level", "destination"]],
    add: [["x-trace", "d"]],
    remove: [],
  });
  const routeLevel = compileHeaderOperations({
    set: [
      ["x-level", "route"],
      ["x-empty", "%REQ(x-none)%"],
      ["x-user-copy", "%REQ(x-user)%"],
    ],
    add: [
      ["x-trace", "r"],
      ["x-new", "1"],
    ],
    remove: ["x-secret", "X-Level"],
  });
  const out = applyHeaderOperations(
    { "x-secret": "s", "x-trace": "client", "x-keep": ["1", "2"], "x-level": "client" },
    [destination, routeLevel],
    ctx,
  );
  assert.deepEqual(out, {
    "x-trace": ["client", "d", "r"],
    "x-keep": ["1", "2"],
    "x-level": "route",
    "x-user-copy": "jason",
    "x-new": "1",
  });
});
