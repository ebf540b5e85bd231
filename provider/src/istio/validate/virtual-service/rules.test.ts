/**
 * One accepted and one rejected VirtualService per code, with the exact findings of the rejected
 * one, plus strict mode, coverage of the code table, and robustness against odd input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { VirtualService } from "../../model";
import { Severity } from "../issue";
import type { Issue } from "../issue";
import { virtualServiceCodes } from "./codes";
import type { VirtualServiceCode } from "./codes";
import { validateVirtualService } from "./index";

function virtualService(spec: object): VirtualService {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "bookinfo", namespace: "default" },
    spec,
  } as VirtualService;
}

function issue(code: VirtualServiceCode, path: string, message: string, strict = false): Issue {
  const info = virtualServiceCodes[code];
  const found: Issue = {
    severity: strict && "strict" in info && info.strict ? Severity.Error : info.severity,
    code,
    resource: { kind: "VirtualService", namespace: "default", name: "bookinfo" },
    path,
    message,
  };
  if ("istioCode" in info) found.istioCode = info.istioCode;
  return found;
}

// Building blocks: a destination, hosts and gateways, and specs around one route, match or block.
const d = { destination: { host: "reviews" } };
const h = ["bookinfo.example.com"];
const g = ["istio-system/public-gw"];
const r = (part: object) => ({ hosts: h, gateways: g, http: [{ route: [d], ...part }] });
const a = (part: object) => ({ hosts: h, gateways: g, http: [part] });
const m = (match: object) => r({ match: [match] });
const tls = (match: object, hosts = h) => ({ hosts, gateways: g, tls: [{ match: [match], route: [d] }] });
const tcp = (match: object) => ({ hosts: h, gateways: g, tcp: [{ match: [match], route: [d] }] });
/** Per code: a VirtualService spec with no findings, and one that has the finding. */
const rules: Array<[VirtualServiceCode, object, object]> = [
  [
    "IGW3001",
    { hosts: ["reviews", "*.example.com", "10.0.0.1"], http: [{ route: [d] }] },
    { hosts: ["ns/reviews"], http: [{ route: [d] }] },
  ],
  [
    "IGW3002",
    { hosts: ["*"], gateways: g, http: [{ route: [d] }] },
    { hosts: ["*"], gateways: ["istio-system/public-gw", "mesh"], http: [{ route: [d] }] },
  ],
  [
    "IGW3003",
    { hosts: ["a.example.com", "b.example.com"], gateways: g, http: [{ route: [d] }] },
    { hosts: ["*.example.com", "a.example.com"], gateways: g, http: [{ route: [d] }] },
  ],
  ["IGW3010", r({}), { hosts: h, gateways: g }],
  ["IGW3011", r({}), { hosts: h, gateways: g, http: [{ route: [d] }, null] }],
  ["IGW3020", { http: [{ route: [d] }] }, { gateways: g, http: [{ route: [d] }] }],
  [
    "IGW3021",
    a({ name: "api", match: [{ uri: { prefix: "/api" } }], delegate: { name: "api", namespace: "team" } }),
    a({ name: "api", delegate: { name: "api" }, redirect: { uri: "/v2" } }),
  ],
  ["IGW3022", { http: [{ route: [d] }] }, { http: [{ route: [d], delegate: { name: "deeper" } }] }],
  [
    "IGW3030",
    { hosts: h, gateways: ["istio-system/public-gw", "public-gw"], http: [{ route: [d] }] },
    { hosts: h, gateways: ["./public-gw"], http: [{ route: [d] }] },
  ],
  [
    "IGW3031",
    { hosts: h, gateways: ["public-gw"], http: [{ route: [d] }] },
    { hosts: h, gateways: ["public-gw.istio-system.svc.cluster.local"], http: [{ route: [d] }] },
  ],
  [
    "IGW3032",
    {
      hosts: h,
      gateways: g,
      http: [{ match: [{ headers: { "@request.auth.claims.group": { exact: "admin" } } }], route: [d] }],
    },
    {
      hosts: h,
      http: [{ match: [{ headers: { "@request.auth.claims.group": { exact: "admin" } } }], route: [d] }],
    },
  ],
  ["IGW3040", { ...r({}), exportTo: [".", "istio-system"] }, { ...r({}), exportTo: ["~"] }],
  ["IGW3041", { ...r({}), exportTo: ["default", "istio-system"] }, { ...r({}), exportTo: ["default", "."] }],
  ["IGW3042", { ...r({}), exportTo: ["*"] }, { ...r({}), exportTo: ["*", "istio-system"] }],
  [
    "IGW3050",
    a({ redirect: { uri: "/v2" }, headers: { response: { set: { "x-moved": "yes" } } } }),
    a({ redirect: { uri: "/v2" }, rewrite: { uri: "/v3" } }),
  ],
  [
    "IGW3051",
    a({ directResponse: { status: 404 } }),
    a({ name: "nothing", match: [{ uri: { prefix: "/" } }] }),
  ],
  [
    "IGW3052",
    r({ mirrors: [{ destination: { host: "shadow" } }] }),
    r({ mirror: { host: "shadow" }, mirrors: [{ destination: { host: "shadow2" } }] }),
  ],
  [
    "IGW3060",
    m({ headers: { ":authority": { exact: "a" }, "x-user": { exact: "b" } } }),
    m({ headers: { "x user": { exact: "b" } } }),
  ],
  ["IGW3061", m({ headers: { "x-user": {} } }), m({ headers: { "x-user": null } })],
  ["IGW3062", m({ uri: { prefix: "" } }), m({ headers: { "x-user": { prefix: "" } } })],
  ["IGW3063", m({ uri: { regex: "/api/v[0-9]+/.*" } }), m({ uri: { regex: "/(?!internal).*" } })],
  ["IGW3064", m({ port: 443 }), m({ port: 70000 })],
  ["IGW3065", m({ sourceLabels: { "app.kubernetes.io/name": "web" } }), m({ sourceLabels: { app: "-web" } })],
  ["IGW3066", m({ sourceNamespace: "frontend" }), m({ sourceNamespace: "Front_End" })],
  [
    "IGW3067",
    tcp({ destinationSubnets: ["10.0.0.0/8", "fd00::1"] }),
    tcp({ destinationSubnets: ["10.0.0.0/33"] }),
  ],
  [
    "IGW3070",
    r({ headers: { request: { set: { host: "a.example.com" } } } }),
    r({ headers: { response: { remove: ["Host"] } } }),
  ],
  [
    "IGW3071",
    r({ headers: { request: { add: { "x-host": "%HOSTNAME% is 100%%" } } } }),
    r({ headers: { request: { add: { "x-load": "100%" } } } }),
  ],
  [
    "IGW3072",
    r({ rewrite: { authority: "a.example.com" } }),
    r({ rewrite: { authority: "a.example.com" }, headers: { request: { set: { host: "b.example.com" } } } }),
  ],
  ["IGW3080", r({}), a({ route: [{ weight: 100 }] })],
  [
    "IGW3081",
    a({ route: [{ destination: { host: "reviews.default.svc.cluster.local" } }] }),
    a({ route: [{ destination: { host: "*" } }] }),
  ],
  [
    "IGW3082",
    a({ route: [{ destination: { host: "reviews", subset: "v1" } }] }),
    a({ route: [{ destination: { host: "reviews", subset: "V1_beta" } }] }),
  ],
  [
    "IGW3083",
    a({ route: [{ destination: { host: "reviews", port: { number: 9080 } } }] }),
    a({ route: [{ destination: { host: "reviews", port: {} } }] }),
  ],
  [
    "IGW3084",
    a({ route: [{ ...d, weight: 0 }] }),
    a({
      route: [
        { ...d, weight: -10 },
        { destination: { host: "ratings" }, weight: 110 },
      ],
    }),
  ],
  [
    "IGW3085",
    a({ route: [{ ...d, weight: 1 }, { destination: { host: "ratings" } }] }),
    a({ route: [d, { destination: { host: "ratings" } }] }),
  ],
  [
    "IGW3090",
    a({ redirect: { prefixRewrite: "/v2" } }),
    a({ redirect: { uri: "/v2", prefixRewrite: "/v2" } }),
  ],
  [
    "IGW3091",
    a({
      match: [{ uri: { prefix: "/v1" } }, { headers: { "x-v": { exact: "1" } } }],
      redirect: { prefixRewrite: "/v2" },
    }),
    a({ match: [{ uri: { exact: "/v1" } }], redirect: { prefixRewrite: "/v2" } }),
  ],
  ["IGW3092", a({ redirect: { derivePort: "FROM_REQUEST_PORT" } }), a({ redirect: { redirectCode: 302 } })],
  [
    "IGW3093",
    a({ redirect: { uri: "/v2", redirectCode: 308 } }),
    a({ redirect: { uri: "/v2", redirectCode: 200 } }),
  ],
  ["IGW3094", a({ redirect: { scheme: "https" } }), a({ redirect: { scheme: "HTTPS" } })],
  ["IGW3095", a({ redirect: { port: 8443 } }), a({ redirect: { port: 70000 } })],
  ["IGW3100", a({ directResponse: { status: 503 } }), a({ directResponse: { status: 100 } })],
  [
    "IGW3101",
    a({ directResponse: { status: 200, body: { string: "x".repeat(100 * 1024) } } }),
    a({ directResponse: { status: 200, body: { string: "x".repeat(1024 * 1024 + 1) } } }),
  ],
  [
    "IGW3102",
    a({ directResponse: { status: 200, body: { bytes: "aGVsbG8=" } } }),
    a({ directResponse: { status: 200, body: { string: "x".repeat(100 * 1024 + 1) } } }),
  ],
  [
    "IGW3110",
    r({ rewrite: { uriRegexRewrite: { match: "^/v1/(.*)$", rewrite: "/v2/\\1" } } }),
    r({ rewrite: { uri: "/v2", uriRegexRewrite: { match: "^/v1/(.*)$", rewrite: "/v2/\\1" } } }),
  ],
  ["IGW3111", r({ rewrite: { authority: "internal.example.com" } }), r({ rewrite: {} })],
  [
    "IGW3112",
    r({ rewrite: { uriRegexRewrite: { match: "^/v1", rewrite: "/v2" } } }),
    r({ rewrite: { uriRegexRewrite: { match: "^/v1" } } }),
  ],
  ["IGW3120", r({ timeout: "1m30.5s" }), r({ timeout: "0s" })],
  ["IGW3130", r({ retries: { attempts: 3 } }), r({ retries: { attempts: -1 } })],
  ["IGW3131", r({ retries: { attempts: 0 } }), r({ retries: { attempts: 0, retryOn: "5xx" } })],
  [
    "IGW3132",
    r({ retries: { attempts: 2, retryOn: "5xx,reset,503" } }),
    r({ retries: { attempts: 2, retryOn: "5xx,server-error" } }),
  ],
  ["IGW3140", r({ fault: { delay: { fixedDelay: "5s", percentage: { value: 0.1 } } } }), r({ fault: {} })],
  [
    "IGW3141",
    r({ fault: { abort: { httpStatus: 503, percentage: { value: 0 } } } }),
    r({ fault: { abort: { httpStatus: 503, percentage: { value: 0.00001 } } } }),
  ],
  ["IGW3142", r({ fault: { abort: { httpStatus: 418 } } }), r({ fault: { abort: { httpStatus: 700 } } })],
  [
    "IGW3143",
    r({ fault: { abort: { grpcStatus: "UNAVAILABLE" } } }),
    r({ fault: { abort: { grpcStatus: "14" } } }),
  ],
  [
    "IGW3144",
    r({ fault: { abort: { httpStatus: 500 } } }),
    r({ fault: { abort: { http2Error: "REFUSED_STREAM" } } }),
  ],
  [
    "IGW3145",
    r({ fault: { abort: { grpcStatus: "INTERNAL", percentage: { value: 50 } } } }),
    r({ fault: { abort: { percentage: { value: 50 } } } }),
  ],
  [
    "IGW3146",
    r({ fault: { delay: { fixedDelay: "1s" } } }),
    r({ fault: { delay: { exponentialDelay: "1s" } } }),
  ],
  [
    "IGW3150",
    r({ mirror: { host: "shadow" }, mirrorPercentage: { value: 100 } }),
    r({ mirror: { host: "shadow" }, mirrorPercent: 150 }),
  ],
  ["IGW3151", r({ mirror: { host: "shadow" } }), r({ mirror: { host: "shadow" }, mirrorPercent: 10 })],
  [
    "IGW3152",
    r({ mirrors: [{ destination: { host: "shadow" }, percentage: { value: 12.5 } }] }),
    r({ mirrors: [{ destination: { host: "shadow" }, percentage: { value: 120 } }] }),
  ],
  [
    "IGW3153",
    r({ mirrors: [{ destination: { host: "shadow" } }] }),
    r({ mirrors: [{ percentage: { value: 10 } }] }),
  ],
  [
    "IGW3160",
    r({
      corsPolicy: {
        allowOrigins: [{ exact: "https://example.com" }, { regex: "https://.*\\.example\\.com" }],
      },
    }),
    r({ corsPolicy: { allowOrigins: [{}] } }),
  ],
  [
    "IGW3161",
    r({ corsPolicy: { allowMethods: ["GET", "POST", "*"] } }),
    r({ corsPolicy: { allowMethods: ["get"] } }),
  ],
  [
    "IGW3162",
    r({ corsPolicy: { allowHeaders: ["*", "x-custom"], exposeHeaders: ["x-total"] } }),
    r({ corsPolicy: { exposeHeaders: ["x total"] } }),
  ],
  ["IGW3163", r({ corsPolicy: { maxAge: "24h" } }), r({ corsPolicy: { maxAge: "1500ms" } })],
  [
    "IGW3170",
    tls({ sniHosts: ["bookinfo.example.com"] }),
    { hosts: h, gateways: g, tls: [{ match: [], route: [d] }] },
  ],
  [
    "IGW3171",
    { hosts: h, gateways: g, tcp: [{ route: [d] }] },
    { hosts: h, gateways: g, tcp: [{ route: [] }] },
  ],
  ["IGW3172", tls({ sniHosts: ["bookinfo.example.com"] }), tls({ sniHosts: [] })],
  [
    "IGW3173",
    tls({ sniHosts: ["*.example.com"] }, ["*.example.com"]),
    tls({ sniHosts: ["a.*.example.com"] }, ["*.example.com"]),
  ],
  ["IGW3174", tls({ sniHosts: ["bookinfo.example.com"] }), tls({ sniHosts: ["10.0.0.1"] })],
  [
    "IGW3175",
    tls({ sniHosts: ["a.example.com"] }, ["*.example.com"]),
    tls({ sniHosts: ["example.com"] }, ["*.example.com"]),
  ],
  ["IGW3180", tcp({ port: 31400 }), { hosts: h, gateways: g, tcp: [{ match: [null], route: [d] }] }],
  [
    "IGW3190",
    a({ route: [d] }),
    { hosts: h, gateways: g, http: [{ route: [d] }, { match: [{ uri: { prefix: "/api" } }], route: [d] }] },
  ],
  [
    "IGW3191",
    {
      hosts: h,
      gateways: g,
      http: [
        { match: [{ uri: { prefix: "/api/v1" } }], route: [d] },
        { match: [{ uri: { prefix: "/api" } }], route: [d] },
      ],
    },
    {
      hosts: h,
      gateways: g,
      http: [
        { match: [{ uri: { prefix: "/api" } }], route: [d] },
        { match: [{ uri: { prefix: "/api/v1" } }], route: [d] },
      ],
    },
  ],
];

/** Per code: every finding of the failing spec, in order: code, path, message. */
const expected: Record<VirtualServiceCode, Array<[VirtualServiceCode, string, string]>> = {
  IGW3001: [
    [
      "IGW3001",
      "spec.hosts[0]",
      'first label must be "*", or 1 to 63 letters, digits or "-" optionally prefixed by "*" or "*-" (got "ns/reviews" in "ns/reviews")',
    ],
  ],
  IGW3002: [
    [
      "IGW3002",
      "spec.hosts[0]",
      'must not be "*" when the VirtualService applies to the mesh (gateways empty or listing "mesh") (got "*")',
    ],
  ],
  IGW3003: [
    [
      "IGW3003",
      "spec.hosts[1]",
      'must not overlap spec.hosts[0] "*.example.com": each request host must select one rule set (got "a.example.com")',
    ],
  ],
  IGW3010: [["IGW3010", "spec", "must have at least one http, tls or tcp route (got none)"]],
  IGW3011: [["IGW3011", "spec.http[1]", "must be an HTTP route (got null)"]],
  IGW3020: [
    [
      "IGW3020",
      "spec.gateways",
      'must be empty in a delegate VirtualService (one without hosts), which only supplies http rules (got ["istio-system/public-gw"])',
    ],
  ],
  IGW3021: [
    ["IGW3021", "spec.http[0].redirect", 'must not be set when route "api" sets delegate (got a redirect)'],
  ],
  IGW3022: [
    [
      "IGW3022",
      "spec.http[0].delegate",
      "must not be set in a delegate VirtualService (one without hosts): delegation is one level deep (got a delegate)",
    ],
  ],
  IGW3030: [
    [
      "IGW3030",
      "spec.gateways[0]",
      'namespace must be a DNS-1123 label; "." and "*" are not allowed here (got ".")',
    ],
  ],
  IGW3031: [
    [
      "IGW3031",
      "spec.gateways[0]",
      'should be written <namespace>/<name>, here "istio-system/public-gw"; the <name>.<namespace> form is legacy (got "public-gw.istio-system.svc.cluster.local")',
    ],
  ],
  IGW3032: [
    [
      "IGW3032",
      'spec.http[0].match[0].headers["@request.auth.claims.group"]',
      "must only be used when the VirtualService applies to gateways alone: sidecars cannot route on JWT claims (got gateways [])",
    ],
  ],
  IGW3040: [
    [
      "IGW3040",
      "spec.exportTo[0]",
      'must not be "~" (visible to no one), which only ServiceEntries allow (got "~")',
    ],
  ],
  IGW3041: [
    [
      "IGW3041",
      "spec.exportTo[1]",
      'must not repeat the own namespace: "." and "default" are the same (got ".")',
    ],
  ],
  IGW3042: [["IGW3042", "spec.exportTo", 'must be "*" alone or list no "*" (got ["*","istio-system"])']],
  IGW3050: [
    [
      "IGW3050",
      "spec.http[0].rewrite",
      "must not be set together with redirect: a route takes one action (got both)",
    ],
  ],
  IGW3051: [
    [
      "IGW3051",
      "spec.http[0]",
      'must set one of route, redirect or directResponse (or delegate): route "nothing" does nothing (got none)',
    ],
  ],
  IGW3052: [
    [
      "IGW3052",
      "spec.http[0].mirrors",
      "must not be set together with mirror; list every mirror in mirrors (got both)",
    ],
  ],
  IGW3060: [
    [
      "IGW3060",
      'spec.http[0].match[0].headers["x user"]',
      'must be an HTTP header name (an RFC 7230 token), a pseudo header or @request.auth.claims.<claim> (got "x user")',
    ],
  ],
  IGW3061: [
    [
      "IGW3061",
      'spec.http[0].match[0].headers["x-user"]',
      "must be a string match; use {} to match presence (got null)",
    ],
  ],
  IGW3062: [
    [
      "IGW3062",
      'spec.http[0].match[0].headers["x-user"].prefix',
      'must not be empty (only uri accepts an empty prefix) (got "")',
    ],
  ],
  IGW3063: [
    [
      "IGW3063",
      "spec.http[0].match[0].uri.regex",
      'must be a valid RE2 regular expression: invalid or unsupported Perl syntax in "(?!" (got "/(?!internal).*")',
    ],
  ],
  IGW3064: [["IGW3064", "spec.http[0].match[0].port", "must be an integer from 1 to 65535 (got 70000)"]],
  IGW3065: [
    [
      "IGW3065",
      "spec.http[0].match[0].sourceLabels.app",
      'must be a label value: empty, or alphanumeric with "-", "_" or "." inside (got "-web")',
    ],
  ],
  IGW3066: [
    [
      "IGW3066",
      "spec.http[0].match[0].sourceNamespace",
      'must be a namespace name (a DNS-1123 label) (got "Front_End")',
    ],
  ],
  IGW3067: [
    [
      "IGW3067",
      "spec.tcp[0].match[0].destinationSubnets[0]",
      'must be a CIDR block such as "10.0.0.0/8" (got "10.0.0.0/33")',
    ],
  ],
  IGW3070: [
    [
      "IGW3070",
      "spec.http[0].headers.response.remove[0]",
      'header name must not be Host, which can only be set on the request (got "Host")',
    ],
  ],
  IGW3071: [
    [
      "IGW3071",
      'spec.http[0].headers.request.add["x-load"]',
      'must escape a literal "%" as "%%" (got "100%")',
    ],
  ],
  IGW3072: [
    [
      "IGW3072",
      "spec.http[0].headers.request.set.host",
      'must not set the authority again: spec.http[0].rewrite.authority already sets it to "a.example.com" (got "b.example.com")',
    ],
  ],
  IGW3080: [
    ["IGW3080", "spec.http[0].route[0].destination", "required: the service to send to (got nothing)"],
  ],
  IGW3081: [["IGW3081", "spec.http[0].route[0].destination.host", 'must name a service, not "*" (got "*")']],
  IGW3082: [
    [
      "IGW3082",
      "spec.http[0].route[0].destination.subset",
      'must be a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters (got "V1_beta")',
    ],
  ],
  IGW3083: [
    [
      "IGW3083",
      "spec.http[0].route[0].destination.port.number",
      "must be an integer from 1 to 65535 (got 0)",
    ],
  ],
  IGW3084: [["IGW3084", "spec.http[0].route[0].weight", "must not be negative (got -10)"]],
  IGW3085: [
    [
      "IGW3085",
      "spec.http[0].route",
      "must give some destination a weight above 0 when there are several: weights are relative shares (got total 0 over 2 destinations)",
    ],
  ],
  IGW3090: [
    [
      "IGW3090",
      "spec.http[0].redirect.prefixRewrite",
      'must not be set together with uri, which replaces the whole path (got "/v2")',
    ],
  ],
  IGW3091: [
    [
      "IGW3091",
      "spec.http[0].match[0].uri",
      "must be a prefix match when redirect.prefixRewrite is set (got exact match)",
    ],
  ],
  IGW3092: [
    [
      "IGW3092",
      "spec.http[0].redirect",
      "must set at least one of uri, prefixRewrite, authority, scheme, port or derivePort (got none)",
    ],
  ],
  IGW3093: [["IGW3093", "spec.http[0].redirect.redirectCode", "must be a 3xx status code (got 200)"]],
  IGW3094: [["IGW3094", "spec.http[0].redirect.scheme", 'must be "http" or "https" (got "HTTPS")']],
  IGW3095: [["IGW3095", "spec.http[0].redirect.port", "must be an integer from 1 to 65535 (got 70000)"]],
  IGW3100: [
    ["IGW3100", "spec.http[0].directResponse.status", "must be an HTTP status from 200 to 599 (got 100)"],
  ],
  IGW3101: [
    [
      "IGW3101",
      "spec.http[0].directResponse.body.string",
      "must be at most 1 MiB: every proxy holds it in its configuration (got 1048577 bytes)",
    ],
  ],
  IGW3102: [
    [
      "IGW3102",
      "spec.http[0].directResponse.body.string",
      "should be at most 100 KiB: every proxy holds it in its configuration (got 102401 bytes)",
    ],
  ],
  IGW3110: [
    ["IGW3110", "spec.http[0].rewrite.uriRegexRewrite", 'must not be set together with uri (got uri "/v2")'],
  ],
  IGW3111: [
    [
      "IGW3111",
      "spec.http[0].rewrite",
      "must set at least one of uri, uriRegexRewrite or authority (got none)",
    ],
  ],
  IGW3112: [
    [
      "IGW3112",
      "spec.http[0].rewrite.uriRegexRewrite.rewrite",
      "required: uriRegexRewrite needs both match and rewrite (got nothing)",
    ],
  ],
  IGW3120: [["IGW3120", "spec.http[0].timeout", 'must be at least 1ms (got "0s")']],
  IGW3130: [["IGW3130", "spec.http[0].retries.attempts", "must not be negative (got -1)"]],
  IGW3131: [
    [
      "IGW3131",
      "spec.http[0].retries.attempts",
      "must be above 0 when retryOn is set: 0 disables retries (got 0)",
    ],
  ],
  IGW3132: [
    [
      "IGW3132",
      "spec.http[0].retries.retryOn",
      'must list Envoy retry conditions (5xx, gateway-error, connect-failure, reset, retriable-4xx, refused-stream, unavailable, ...) or HTTP status codes (got "server-error")',
    ],
  ],
  IGW3140: [["IGW3140", "spec.http[0].fault", "must set abort, delay or both (got neither)"]],
  IGW3141: [
    ["IGW3141", "spec.http[0].fault.abort.percentage.value", "must be 0 or from 0.0001 to 100 (got 0.00001)"],
  ],
  IGW3142: [
    ["IGW3142", "spec.http[0].fault.abort.httpStatus", "must be an HTTP status from 200 to 599 (got 700)"],
  ],
  IGW3143: [
    [
      "IGW3143",
      "spec.http[0].fault.abort.grpcStatus",
      'must be a gRPC status name such as "UNAVAILABLE" or "NOT_FOUND" (got "14")',
    ],
  ],
  IGW3144: [
    [
      "IGW3144",
      "spec.http[0].fault.abort.http2Error",
      'is not supported; use httpStatus or grpcStatus (got "REFUSED_STREAM")',
    ],
  ],
  IGW3145: [
    [
      "IGW3145",
      "spec.http[0].fault.abort",
      "should set httpStatus or grpcStatus, or nothing is aborted (got neither)",
    ],
  ],
  IGW3146: [
    ["IGW3146", "spec.http[0].fault.delay.exponentialDelay", 'is not supported; use fixedDelay (got "1s")'],
  ],
  IGW3150: [
    ["IGW3150", "spec.http[0].mirrorPercent", "must be at most 100 (got 150)"],
    ["IGW3151", "spec.http[0].mirrorPercent", "is deprecated; use mirrorPercentage: {value: 150} (got 150)"],
  ],
  IGW3151: [
    ["IGW3151", "spec.http[0].mirrorPercent", "is deprecated; use mirrorPercentage: {value: 10} (got 10)"],
  ],
  IGW3152: [["IGW3152", "spec.http[0].mirrors[0].percentage.value", "must be from 0 to 100 (got 120)"]],
  IGW3153: [
    [
      "IGW3153",
      "spec.http[0].mirrors[0].destination",
      "required: the service to copy requests to (got nothing)",
    ],
  ],
  IGW3160: [
    [
      "IGW3160",
      "spec.http[0].corsPolicy.allowOrigins[0]",
      "must set a non-empty exact, prefix or regex (got {})",
    ],
  ],
  IGW3161: [
    [
      "IGW3161",
      "spec.http[0].corsPolicy.allowMethods[0]",
      'must be an upper-case HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE) or "*" (got "get")',
    ],
  ],
  IGW3162: [
    [
      "IGW3162",
      "spec.http[0].corsPolicy.exposeHeaders[0]",
      'must be "*" or an HTTP header name (an RFC 7230 token) (got "x total")',
    ],
  ],
  IGW3163: [
    ["IGW3163", "spec.http[0].corsPolicy.maxAge", 'must be a whole number of seconds (got "1500ms")'],
  ],
  IGW3170: [["IGW3170", "spec.tls[0].match", "must have at least one match with sniHosts (got none)"]],
  IGW3171: [["IGW3171", "spec.tcp[0].route", "required: where to send the connection (got none)"]],
  IGW3172: [["IGW3172", "spec.tls[0].match[0].sniHosts", "must list at least one SNI host (got none)"]],
  IGW3173: [
    [
      "IGW3173",
      "spec.tls[0].match[0].sniHosts[0]",
      'each label must be 1 to 63 letters, digits or "-", not starting or ending with "-" (got "*" in "a.*.example.com")',
    ],
  ],
  IGW3174: [
    [
      "IGW3174",
      "spec.tls[0].match[0].sniHosts[0]",
      'should be a host name: clients do not send IP addresses as SNI, as the TLS standard forbids it (got "10.0.0.1")',
    ],
  ],
  IGW3175: [
    [
      "IGW3175",
      "spec.tls[0].match[0].sniHosts[0]",
      'must be within one of spec.hosts ["*.example.com"] (got "example.com")',
    ],
  ],
  IGW3180: [["IGW3180", "spec.tcp[0].match[0]", "must be a TCP match (got null)"]],
  IGW3190: [
    ["IGW3190", "spec.http[1]", "is never used: spec.http[0] before it has no match and takes all traffic"],
  ],
  IGW3191: [
    [
      "IGW3191",
      "spec.http[1].match[0]",
      'is never used: spec.http[0].match[0] (uri prefix "/api") comes first and takes all traffic this one would (got uri prefix "/api/v1")',
    ],
  ],
};

for (const [code, pass, fail] of rules) {
  test(`${code} ${virtualServiceCodes[code].summary}`, () => {
    assert.deepEqual(validateVirtualService(virtualService(pass)), [], "the passing spec has findings");
    const want = expected[code].map(([c, path, message]) => issue(c, path, message));
    assert.deepEqual(validateVirtualService(virtualService(fail)), want);
  });
}

test("every code has a passing and a failing case", () => {
  assert.deepEqual(
    rules.map(([code]) => code),
    Object.keys(virtualServiceCodes),
  );
});

test("strict mode turns unreachable rules and ineffective matches into errors, and nothing else", () => {
  const spec = {
    hosts: ["bookinfo.example.com"],
    gateways: ["public-gw.istio-system"],
    http: [
      { match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "reviews" } }] },
      { match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "ratings" } }] },
      { route: [{ destination: { host: "reviews" } }] },
      { route: [{ destination: { host: "ratings" } }] },
    ],
  };
  const strict = validateVirtualService(virtualService(spec), { strict: true });
  assert.deepEqual(strict, [
    issue(
      "IGW3031",
      "spec.gateways[0]",
      'should be written <namespace>/<name>, here "istio-system/public-gw"; the <name>.<namespace> form is legacy (got "public-gw.istio-system")',
    ),
    issue(
      "IGW3191",
      "spec.http[1].match[0]",
      "is never used: spec.http[0].match[0] is the same match and comes first",
      true,
    ),
    issue(
      "IGW3190",
      "spec.http[1]",
      "is never used: every one of its matches repeats an earlier match",
      true,
    ),
    issue(
      "IGW3190",
      "spec.http[3]",
      "is never used: spec.http[2] has no match either and takes all traffic first; only the last rule may omit match",
      true,
    ),
  ]);
  assert.deepEqual(
    validateVirtualService(virtualService(spec)).map((i) => i.severity),
    [Severity.Warning, Severity.Warning, Severity.Warning, Severity.Warning],
  );
});

test("unreachable and ineffective findings carry Istio's analyzer codes; the rest its webhook codes", () => {
  assert.deepEqual(
    Object.entries(virtualServiceCodes)
      .filter(([, info]) => info.istioCode !== "IST0106" && info.istioCode !== "IST0133")
      .map(([code, info]) => [
        code,
        "istioCode" in info ? info.istioCode : "",
        "strict" in info && info.strict,
      ]),
    [
      ["IGW3190", "IST0130", true],
      ["IGW3191", "IST0131", true],
    ],
  );
});

test("strict codes are the warnings whose traffic silently goes nowhere", () => {
  assert.deepEqual(
    Object.entries(virtualServiceCodes)
      .filter(([, info]) => "strict" in info && info.strict)
      .map(([code]) => code),
    ["IGW3174", "IGW3190", "IGW3191"],
  );
});

test("warnings are exactly the conditions Istio accepts with a warning", () => {
  assert.deepEqual(
    Object.entries(virtualServiceCodes)
      .filter(([, info]) => info.severity === Severity.Warning)
      .map(([code]) => code),
    ["IGW3031", "IGW3102", "IGW3145", "IGW3151", "IGW3174", "IGW3190", "IGW3191"],
  );
});

/** The fields of an HTTP route, for generating odd routes. */
const HTTP_FIELDS = [
  "name",
  "match",
  "route",
  "redirect",
  "directResponse",
  "delegate",
  "rewrite",
  "timeout",
  "retries",
  "fault",
  "mirror",
  "mirrorPercent",
  "mirrorPercentage",
  "mirrors",
  "corsPolicy",
  "headers",
] as const;

test("odd input (nulls, wrong types, empty maps) never throws", () => {
  const odd = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.constant({}),
    fc.constant([]),
    fc.constant([null]),
    fc.string(),
    fc.integer(),
    fc.boolean(),
  );
  const spec = fc.record(
    {
      hosts: fc.oneof(odd, fc.array(fc.oneof(fc.string(), odd))),
      gateways: fc.oneof(odd, fc.array(fc.oneof(fc.string(), odd))),
      exportTo: fc.oneof(odd, fc.array(fc.oneof(fc.string(), odd))),
      http: fc.oneof(
        odd,
        fc.array(fc.oneof(odd, fc.dictionary(fc.constantFrom(...HTTP_FIELDS), fc.oneof(odd, fc.array(odd))))),
      ),
      tls: fc.oneof(
        odd,
        fc.array(
          fc.oneof(
            odd,
            fc.record({ match: fc.oneof(odd, fc.array(odd)), route: fc.oneof(odd, fc.array(odd)) }),
          ),
        ),
      ),
      tcp: fc.oneof(
        odd,
        fc.array(
          fc.oneof(
            odd,
            fc.record({ match: fc.oneof(odd, fc.array(odd)), route: fc.oneof(odd, fc.array(odd)) }),
          ),
        ),
      ),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(spec, (s) => {
      validateVirtualService(virtualService(s));
    }),
    { numRuns: 500 },
  );
  for (const s of [null, undefined, 42, "spec", []]) validateVirtualService(virtualService(s as never));
  validateVirtualService(null as never);
});

test("SNI hosts may take the auto-passthrough form unless the VirtualService lists mesh", () => {
  const sni = "outbound_.15010_._.istiod.istio-system.svc.cluster.local";
  const spec = (gateways: string[] | undefined) => ({
    hosts: [sni],
    gateways,
    tls: [
      {
        match: [{ sniHosts: [sni] }],
        route: [{ destination: { host: "istiod.istio-system.svc.cluster.local" } }],
      },
    ],
  });
  assert.deepEqual(validateVirtualService(virtualService(spec(["istio-system/gw"]))), []);
  // Without gateways the hosts are mesh hosts (no auto-passthrough form) but the SNI check still accepts it.
  assert.deepEqual(
    validateVirtualService(virtualService(spec(undefined))).map((i) => [i.code, i.path]),
    [["IGW3001", "spec.hosts[0]"]],
  );
  assert.deepEqual(
    validateVirtualService(virtualService(spec(["mesh"]))).map((i) => [i.code, i.path]),
    [
      ["IGW3001", "spec.hosts[0]"],
      ["IGW3173", "spec.tls[0].match[0].sniHosts[0]"],
    ],
  );
});

test("every gateway reference is checked, also those after one without a slash", () => {
  // Istio stops at the first reference without "/" (here "mesh") and accepts "istio-system/*",
  // which can never name a Gateway; it is reported here.
  const spec = {
    hosts: ["bookinfo.example.com"],
    gateways: ["mesh", "istio-system/*"],
    http: [{ route: [{ destination: { host: "reviews" } }] }],
  };
  assert.deepEqual(validateVirtualService(virtualService(spec)), [
    issue("IGW3030", "spec.gateways[1]", 'gateway name must be a DNS-1123 label (got "*")'),
  ]);
});

test("Gateway API routes (route-semantics gateway) skip destination and gateway-name checks, as in Istio", () => {
  const vs = virtualService({
    hosts: ["bookinfo.example.com"],
    gateways: ["istio-system/gateway~istio-autogenerated-k8s-gateway~http"],
    http: [{ route: [{ destination: { host: "ns/odd" } }] }],
  });
  vs.metadata.annotations = { "internal.istio.io/route-semantics": "gateway" };
  assert.deepEqual(validateVirtualService(vs), []);
});
