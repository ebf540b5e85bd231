import assert from "node:assert/strict";
import { test } from "node:test";
import type { RouteMatch } from "../../istio/translate/proxy-config";
import { request, route, virtualHost } from "./fixtures";
import type { RouteRequest } from "./request";
import { compileRoute, compileRouteConfig } from "./route-config";
import { routeRequest } from "./route-match";

const cases: [string, Partial<RouteMatch>, RouteRequest, boolean][] = [
  ["no conditions", {}, request("/x"), true],
  ["uri exact", { uri: { kind: "exact", value: "/productpage" } }, request("/productpage?u=1"), true],
  [
    "uri exact, longer path",
    { uri: { kind: "exact", value: "/productpage" } },
    request("/productpage/x"),
    false,
  ],
  ["uri prefix", { uri: { kind: "prefix", value: "/static" } }, request("/static/app.js"), true],
  ["uri regex", { uri: { kind: "regex", regex: "/api/v[0-9]+/.*" } }, request("/api/v1/products"), true],
  ["uri regex, no partial match", { uri: { kind: "regex", regex: "/api" } }, request("/api/v1"), false],
  [
    "ignoreUriCase",
    { uri: { kind: "exact", value: "/Login" }, ignoreUriCase: true },
    request("/LOGIN"),
    true,
  ],
  ["scheme", { scheme: { kind: "exact", value: "https" } }, request("/", { scheme: "https" }), true],
  ["scheme differs", { scheme: { kind: "exact", value: "https" } }, request("/"), false],
  ["method", { method: { kind: "exact", value: "POST" } }, request("/", { method: "POST" }), true],
  ["method differs", { method: { kind: "exact", value: "POST" } }, request("/"), false],
  ["method prefix", { method: { kind: "prefix", value: "PU" } }, request("/", { method: "PUT" }), true],
  [
    "authority keeps port",
    { authority: { kind: "exact", value: "a.com:8080" } },
    request("/", { authority: "a.com:8080" }),
    true,
  ],
  [
    "authority regex",
    { authority: { kind: "regex", regex: "a\\.com(:[0-9]+)?" } },
    request("/", { authority: "a.com" }),
    true,
  ],
  [
    "header exact",
    { headers: [{ name: "end-user", match: { kind: "exact", value: "jason" } }] },
    request("/", { headers: { "end-user": "jason" } }),
    true,
  ],
  [
    "header absent",
    { headers: [{ name: "end-user", match: { kind: "exact", value: "jason" } }] },
    request("/"),
    false,
  ],
  [
    "header present",
    { headers: [{ name: "x-debug", match: { kind: "present" } }] },
    request("/", { headers: { "x-debug": "" } }),
    true,
  ],
  [
    "repeated header joined with commas",
    { headers: [{ name: "x-a", match: { kind: "exact", value: "1,2" } }] },
    request("/", { headers: { "x-a": ["1", "2"] } }),
    true,
  ],
  [
    "pseudo-header :method",
    { headers: [{ name: ":method", match: { kind: "exact", value: "GET" } }] },
    request("/"),
    true,
  ],
  [
    "withoutHeaders value: absent header counts as empty",
    { withoutHeaders: [{ name: "x-user", match: { kind: "exact", value: "bot" } }] },
    request("/"),
    true,
  ],
  [
    "withoutHeaders value: matching header excludes",
    { withoutHeaders: [{ name: "x-user", match: { kind: "exact", value: "bot" } }] },
    request("/", { headers: { "x-user": "bot" } }),
    false,
  ],
  [
    "withoutHeaders value: other value passes",
    { withoutHeaders: [{ name: "x-user", match: { kind: "exact", value: "bot" } }] },
    request("/", { headers: { "x-user": "human" } }),
    true,
  ],
  [
    "withoutHeaders exact empty excludes an absent header",
    { withoutHeaders: [{ name: "x-user", match: { kind: "exact", value: "" } }] },
    request("/"),
    false,
  ],
  [
    "withoutHeaders presence: absent passes",
    { withoutHeaders: [{ name: "x-debug", match: { kind: "present" } }] },
    request("/"),
    true,
  ],
  [
    "withoutHeaders presence: present excludes",
    { withoutHeaders: [{ name: "x-debug", match: { kind: "present" } }] },
    request("/", { headers: { "x-debug": "1" } }),
    false,
  ],
  [
    "queryParams exact",
    { queryParams: [{ name: "v", match: { kind: "exact", value: "2" } }] },
    request("/?a=1&v=2"),
    true,
  ],
  [
    "queryParams first value wins",
    { queryParams: [{ name: "v", match: { kind: "exact", value: "2" } }] },
    request("/?v=1&v=2"),
    false,
  ],
  [
    "queryParams are not decoded",
    { queryParams: [{ name: "q", match: { kind: "exact", value: "a%20b" } }] },
    request("/?q=a%20b"),
    true,
  ],
  [
    "queryParams presence",
    { queryParams: [{ name: "debug", match: { kind: "present" } }] },
    request("/?debug"),
    true,
  ],
  [
    "queryParams absent",
    { queryParams: [{ name: "debug", match: { kind: "present" } }] },
    request("/?x=1"),
    false,
  ],
  ["port", { port: 80 }, request("/"), true],
  ["port differs", { port: 443 }, request("/"), false],
  ["gateways", { gateways: ["istio-system/gw"] }, request("/", { gateway: "istio-system/gw" }), true],
  ["gateways differ", { gateways: ["istio-system/gw"] }, request("/", { gateway: "default/gw" }), false],
  ["gateways, unknown gateway", { gateways: ["istio-system/gw"] }, request("/"), false],
  [
    "every condition together",
    {
      uri: { kind: "prefix", value: "/api" },
      method: { kind: "exact", value: "GET" },
      headers: [{ name: "x-v", match: { kind: "regex", regex: "v[12]" } }],
      queryParams: [{ name: "q", match: { kind: "regex", regex: "[a-z]+" } }],
    },
    request("/api/x?q=abc", { headers: { "x-v": "v2" } }),
    true,
  ],
];

for (const [name, match, req, want] of cases) {
  test(`route match: ${name}`, () => {
    assert.equal(compileRoute(route("r", { match })).matches(req), want);
  });
}

test("routeRequest: virtual host, TLS requirement, first matching route, 404s", () => {
  const compiled = compileRouteConfig({
    name: "http.80",
    virtualHosts: [
      virtualHost(
        ["bookinfo.com"],
        [
          route("first", { match: { uri: { kind: "prefix", value: "/a" } } }),
          route("second", { match: { uri: { kind: "prefix", value: "/" } } }),
        ],
      ),
      virtualHost(["secure.com"], [], true),
      virtualHost(["empty.com"], []),
    ],
  });
  const summary = (target: string, authority: string, scheme = "http") => {
    const d = routeRequest(compiled, request(target, { authority, scheme }));
    switch (d.kind) {
      case "matched":
        return `${d.virtualHost.virtualHost.name} ${d.route.route.name}`;
      case "require-tls":
        return `301 ${d.location}`;
      case "no-route":
        return `no-route ${d.virtualHost.virtualHost.name}`;
      case "no-virtual-host":
        return "no-virtual-host";
    }
  };
  assert.deepEqual(
    [
      summary("/abc", "bookinfo.com"),
      summary("/b", "BookInfo.com:80"),
      summary("/x?y=1", "secure.com:80"),
      summary("/x", "secure.com", "https"),
      summary("/x", "empty.com"),
      summary("/x", "unknown.com"),
    ],
    [
      "bookinfo.com:80 first",
      "bookinfo.com:80 second",
      "301 https://secure.com:80/x?y=1",
      "no-route secure.com:80",
      "no-route empty.com:80",
      "no-virtual-host",
    ],
  );
});
