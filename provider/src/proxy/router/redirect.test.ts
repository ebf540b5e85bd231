import assert from "node:assert/strict";
import { test } from "node:test";
import type { RedirectAction, RouteMatch } from "../../istio/translate/proxy-config";
import { request, route } from "./fixtures";
import { redirectLocation, sslRedirectLocation } from "./redirect";
import type { RouteRequest } from "./request";
import { compileRoute } from "./route-config";

const redirect = (r: Partial<RedirectAction>): RedirectAction => ({
  kind: "redirect",
  responseCode: 301,
  ...r,
});

const cases: [string, Partial<RouteMatch>, RedirectAction, RouteRequest, string][] = [
  ["uri keeps query", {}, redirect({ uri: "/new" }), request("/old?x=1"), "http://example.com/new?x=1"],
  [
    "uri with own query",
    {},
    redirect({ uri: "/new?y=2" }),
    request("/old?x=1"),
    "http://example.com/new?y=2",
  ],
  [
    "prefixRewrite replaces the matched prefix",
    { uri: { kind: "prefix", value: "/v1" } },
    redirect({ prefixRewrite: "/v2" }),
    request("/v1/items?id=3"),
    "http://example.com/v2/items?id=3",
  ],
  [
    "prefixRewrite on an exact match replaces the path",
    { uri: { kind: "exact", value: "/old" } },
    redirect({ prefixRewrite: "/new" }),
    request("/old"),
    "http://example.com/new",
  ],
  [
    "a uri without a leading slash gets one (Envoy's newUri)",
    {},
    redirect({ uri: "rel/path" }),
    request("/ur/a?k=1"),
    "http://example.com/rel/path?k=1",
  ],
  [
    "a prefixRewrite without a leading slash gets one",
    { uri: { kind: "prefix", value: "/pr" } },
    redirect({ prefixRewrite: "np" }),
    request("/pr/sub?k=1", { authority: "example.com:80" }),
    "http://example.com:80/np/sub?k=1",
  ],
  [
    "authority replaces host and port",
    {},
    redirect({ authority: "other.com" }),
    request("/p", { authority: "example.com:8080" }),
    "http://other.com/p",
  ],
  [
    "scheme https keeps a non-default port",
    {},
    redirect({ scheme: "https" }),
    request("/p", { authority: "example.com:8080" }),
    "https://example.com:8080/p",
  ],
  [
    "scheme https drops the :80 of an http request",
    {},
    redirect({ scheme: "https" }),
    request("/p", { authority: "example.com:80" }),
    "https://example.com/p",
  ],
  [
    "scheme https keeps the :443 of an http request",
    {},
    redirect({ scheme: "https" }),
    request("/p", { authority: "example.com:443" }),
    "https://example.com:443/p",
  ],
  [
    "scheme http drops the :443 of an https request",
    {},
    redirect({ scheme: "http" }),
    request("/p", { authority: "example.com:443", scheme: "https" }),
    "http://example.com/p",
  ],
  [
    "scheme http keeps the :80 of an https request",
    {},
    redirect({ scheme: "http" }),
    request("/p", { authority: "example.com:80", scheme: "https" }),
    "http://example.com:80/p",
  ],
  [
    "the same scheme keeps the port as sent, :80 too",
    {},
    redirect({ uri: "/q" }),
    request("/p", { authority: "example.com:80" }),
    "http://example.com:80/q",
  ],
  [
    "port replaces the request's port",
    {},
    redirect({ scheme: "https", port: 8443 }),
    request("/p", { authority: "example.com:8080" }),
    "https://example.com:8443/p",
  ],
  [
    "port with authority",
    {},
    redirect({ authority: "b.com", port: 9000 }),
    request("/p"),
    "http://b.com:9000/p",
  ],
  [
    "IPv6 authority",
    {},
    redirect({ port: 9000 }),
    request("/p", { authority: "[::1]:8080" }),
    "http://[::1]:9000/p",
  ],
];

for (const [name, match, action, req, want] of cases) {
  test(`redirectLocation: ${name}`, () => {
    assert.equal(redirectLocation(compileRoute(route("r", { match, action })), req), want);
  });
}

test("sslRedirectLocation keeps the host as sent, port included", () => {
  assert.deepEqual(
    [
      sslRedirectLocation(request("/a?b=c", { authority: "x.com" })),
      sslRedirectLocation(request("/", { authority: "x.com:8080" })),
      sslRedirectLocation(request("/", { authority: "x.com:443" })),
      sslRedirectLocation(request("/", { authority: "x.com:80" })),
    ],
    ["https://x.com/a?b=c", "https://x.com:8080/", "https://x.com:443/", "https://x.com:80/"],
  );
});
