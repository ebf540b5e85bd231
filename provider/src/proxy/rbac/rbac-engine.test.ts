import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthorizationPolicy, Resource } from "../../istio/model";
import { buildRbacConfig } from "../../istio/translate/authorization";
import { TranslateContext } from "../../istio/translate/context";
import { pathTemplateTest } from "./path-template";
import { RbacEngine } from "./rbac-engine";
import type { RbacRequest } from "./rbac-engine";
import { headerPattern, stringPattern } from "./istio-pattern";
import { ipBlockTest } from "./ip-block";
import type { RequestAuth } from "../jwt/request-auth";

/** An HTTP request as the filter sees it; `tcp` leaves out what only HTTP has. */
function request(over: Partial<Record<string, unknown>> = {}, tcp = false): RbacRequest {
  const v = {
    host: "httpbin.example.com",
    method: "GET",
    path: "/headers",
    headers: {} as Record<string, string>,
    port: 8080,
    ip: "10.0.0.1",
    sni: undefined as string | undefined,
    source: "192.168.10.15",
    remote: "192.168.10.15",
    principal: undefined as string | undefined,
    auth: undefined as RequestAuth | undefined,
    ...over,
  };
  const base: RbacRequest = {
    destinationPort: () => v.port,
    destinationIp: () => v.ip,
    serverName: () => v.sni,
    sourceIp: () => v.source,
    remoteIp: () => v.remote,
    principal: () => v.principal,
  };
  if (tcp) return base;
  return {
    ...base,
    host: () => v.host,
    method: () => v.method,
    path: () => v.path,
    header: (name) => v.headers[name],
    requestAuth: () => v.auth,
  };
}

/** What RequestAuthentication leaves on a request with a valid token. */
function token(issuer: string, subject: string, claims: Record<string, unknown> = {}): RequestAuth {
  return {
    principal: `${issuer}/${subject}`,
    issuer,
    subject,
    audiences: (claims["aud"] as string[] | undefined) ?? [],
    presenter: claims["azp"] as string | undefined,
    claims: { iss: issuer, sub: subject, ...claims },
    provider: "origins-0",
  };
}

function policy(
  name: string,
  spec: AuthorizationPolicy["spec"],
  namespace = "istio-system",
): AuthorizationPolicy {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace },
    ...(spec === undefined ? {} : { spec }),
  };
}

/** The engines for a proxy in istio-system labelled as Istio's ingress gateway. */
function engines(...resources: Resource[]): { http: RbacEngine; tcp: RbacEngine; issues: string[] } {
  const ctx = new TranslateContext("istio-system", { istio: "ingressgateway", app: "istio-ingressgateway" });
  const config = buildRbacConfig(ctx, resources);
  assert.ok(config !== undefined);
  return {
    http: new RbacEngine(config.http),
    tcp: new RbacEngine(config.tcp),
    issues: ctx.issues().map((i) => `${i.code} ${i.path}`),
  };
}

describe("Istio's value patterns", () => {
  const table: Array<[string, (v: string | undefined) => boolean, Array<[string | undefined, boolean]>]> = [
    [
      "exact",
      stringPattern("/headers"),
      [
        ["/headers", true],
        ["/headers/x", false],
        [undefined, false],
      ],
    ],
    [
      "prefix",
      stringPattern("/api/*"),
      [
        ["/api/", true],
        ["/api/x/y", true],
        ["/apix", false],
      ],
    ],
    [
      "suffix",
      stringPattern("*.html"),
      [
        ["/a.html", true],
        ["/a.htm", false],
      ],
    ],
    [
      "any non-empty",
      stringPattern("*"),
      [
        ["x", true],
        ["", false],
        [undefined, false],
      ],
    ],
    [
      "principal with the spiffe:// prefix",
      stringPattern("cluster.local/ns/foo/sa/sleep", "spiffe://"),
      [
        ["spiffe://cluster.local/ns/foo/sa/sleep", true],
        ["cluster.local/ns/foo/sa/sleep", false],
      ],
    ],
    [
      "principal suffix",
      stringPattern("*/sa/sleep", "spiffe://"),
      [
        ["spiffe://td/ns/a/sa/sleep", true],
        ["spiffe://td/ns/a/sa/curl", false],
      ],
    ],
    [
      "host, case-insensitive",
      headerPattern("HttpBin.Example.com", true),
      [
        ["httpbin.example.com", true],
        ["httpbin.example.com:8080", false],
      ],
    ],
    [
      "host with any port",
      headerPattern("httpbin.example.com:*", true),
      [
        ["httpbin.example.com:8080", true],
        ["httpbin.example.com", false],
      ],
    ],
    [
      "header presence",
      headerPattern("*"),
      [
        ["", true],
        [undefined, false],
      ],
    ],
    [
      "path template {*}",
      pathTemplateTest("/api/{*}/items"),
      [
        ["/api/7/items", true],
        ["/api/7/8/items", false],
        ["/api//items", false],
      ],
    ],
    [
      "path template {**}",
      pathTemplateTest("/static/{**}"),
      [
        ["/static/a/b.css", true],
        ["/static/", true],
        ["/stat", false],
      ],
    ],
    [
      "IP blocks",
      ipBlockTest(["1.2.3.4", "5.6.7.0/24", "fd00::/8"]),
      [
        ["1.2.3.4", true],
        ["::ffff:5.6.7.200", true],
        ["5.6.8.1", false],
        ["fd12::1", true],
        ["", false],
      ],
    ],
  ];
  for (const [name, test, rows] of table) {
    it(name, () =>
      assert.deepEqual(
        rows.map(([v]) => test(v)),
        rows.map(([, expected]) => expected),
      ),
    );
  }
});

describe("RbacEngine", () => {
  it("allows only the remoteIpBlocks of the authz-ingress task's ALLOW policy", () => {
    const { http } = engines(
      policy("ingress-policy", {
        selector: { matchLabels: { app: "istio-ingressgateway" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { remoteIpBlocks: ["1.2.3.4", "5.6.7.0/24"] } }] }],
      }),
    );
    assert.deepEqual(
      [http.evaluate(request({ remote: "5.6.7.9" })), http.evaluate(request())],
      [undefined, "rbac_access_denied_matched_policy[none]"],
    );
  });

  it("names the first DENY rule that matches, by name, before any ALLOW", () => {
    const { http } = engines(
      policy("deny-delete", {
        action: "DENY",
        rules: [{ to: [{ operation: { paths: ["/x"] } }] }, { to: [{ operation: { methods: ["DELETE"] } }] }],
      }),
      policy("allow-all", { rules: [{}] }),
    );
    assert.deepEqual(
      [http.evaluate(request({ method: "DELETE" })), http.evaluate(request())],
      ["rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-delete]-rule[1]]", undefined],
    );
  });

  it("denies everything under allow-nothing (spec {}), and nothing under a DENY that never matches", () => {
    const { http, tcp } = engines(policy("allow-nothing", {}));
    assert.deepEqual(
      [http.evaluate(request()), tcp.evaluate(request({}, true))],
      ["rbac_access_denied_matched_policy[none]", "rbac_access_denied_matched_policy[none]"],
    );
  });

  it("never matches request principals (no JWT): notRequestPrincipals [*] denies every request", () => {
    const { http } = engines(
      policy("require-jwt", {
        action: "DENY",
        rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }],
      }),
    );
    assert.equal(
      http.evaluate(request()),
      "rbac_access_denied_matched_policy[ns[istio-system]-policy[require-jwt]-rule[0]]",
    );
    const allow = engines(
      policy("jwt-only", { rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] }),
    );
    assert.equal(allow.http.evaluate(request()), "rbac_access_denied_matched_policy[none]");
  });

  it("reads request principals of a validated JWT as istiod splits them: issuer and subject at the last /", () => {
    const { http } = engines(
      policy("jwt", {
        rules: [
          { from: [{ source: { requestPrincipals: ["https://issuer.example.com/a/alice"] } }] },
          { from: [{ source: { requestPrincipals: ["*/bob"] } }] },
          { from: [{ source: { requestPrincipals: ["testing@secure.istio.io/*"] } }] },
          { from: [{ source: { requestPrincipals: ["*-ops"] } }] },
        ],
      }),
    );
    const decide = (auth: RequestAuth | undefined) => http.evaluate(request({ auth }));
    const none = "rbac_access_denied_matched_policy[none]";
    assert.deepEqual(
      [
        decide(token("https://issuer.example.com/a", "alice")),
        decide(token("https://issuer.example.com", "a/alice")),
        decide(token("any.issuer", "bob")),
        decide(token("testing@secure.istio.io", "carol")),
        decide(token("testing@secure.istio.io", "")),
        decide(token("other", "dev-ops")),
        decide(token("other", "dev")),
        decide(undefined),
      ],
      [undefined, none, undefined, undefined, none, undefined, none, none],
    );
  });

  it("reads request.auth audiences, presenter and claims, nested and in lists, from the validated JWT", () => {
    const { http } = engines(
      policy("claims", {
        rules: [
          { when: [{ key: "request.auth.claims[groups]", values: ["group1"] }] },
          { when: [{ key: "request.auth.claims[nested][role]", values: ["admin*"] }] },
          { when: [{ key: "request.auth.audiences", values: ["app.example.com"] }] },
          { when: [{ key: "request.auth.presenter", values: ["*-client"] }] },
          { when: [{ key: "request.auth.principal", values: ["iss/svc"] }] },
        ],
      }),
      policy("deny-guests", {
        action: "DENY",
        rules: [{ when: [{ key: "request.auth.claims[groups]", values: ["guests"] }] }],
      }),
    );
    const decide = (auth: RequestAuth | undefined) => http.evaluate(request({ auth }));
    const none = "rbac_access_denied_matched_policy[none]";
    assert.deepEqual(
      [
        decide(token("iss", "u", { groups: ["group0", "group1"] })),
        decide(token("iss", "u", { groups: "group1" })),
        decide(token("iss", "u", { groups: ["group1", "guests"] })),
        decide(token("iss", "u", { nested: { role: "administrator" } })),
        decide(token("iss", "u", { nested: { role: ["admin"] }, groups: 1 })),
        decide(token("iss", "u", { aud: ["other", "app.example.com"] })),
        decide(token("iss", "u", { azp: "web-client" })),
        decide(token("iss", "svc")),
        decide(token("iss", "u", { groups: ["group2"] })),
        decide(undefined),
      ],
      [
        undefined,
        undefined,
        "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-guests]-rule[0]]",
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        none,
        none,
      ],
    );
  });

  it("matches principals, namespaces and service accounts of a SPIFFE client certificate, never without one", () => {
    const { http } = engines(
      policy("from-sleep", {
        rules: [
          { from: [{ source: { principals: ["cluster.local/ns/foo/sa/sleep"] } }] },
          { from: [{ source: { namespaces: ["bar"] } }] },
          { from: [{ source: { serviceAccounts: ["baz/curl"] } }] },
        ],
      }),
    );
    const as = (principal: string | undefined) => http.evaluate(request({ principal }));
    assert.deepEqual(
      [
        as("spiffe://cluster.local/ns/foo/sa/sleep"),
        as("spiffe://cluster.local/ns/bar/sa/any"),
        as("spiffe://cluster.local/ns/baz/sa/curl"),
        as("spiffe://cluster.local/ns/baz/sa/curl-2"),
        as(undefined),
      ],
      [
        undefined,
        undefined,
        undefined,
        "rbac_access_denied_matched_policy[none]",
        "rbac_access_denied_matched_policy[none]",
      ],
    );
  });

  it("matches when conditions: headers, ports, SNI", () => {
    const { http } = engines(
      policy("deny-header", {
        action: "DENY",
        rules: [
          { when: [{ key: "request.headers[X-Token]", values: ["admin"] }] },
          { to: [{ operation: { notPorts: ["8080"] } }] },
          { when: [{ key: "connection.sni", values: ["*.internal"] }] },
        ],
      }),
    );
    assert.deepEqual(
      [
        http.evaluate(request({ headers: { "x-token": "admin" } })),
        http.evaluate(request({ port: 8443 })),
        http.evaluate(request({ sni: "a.internal" })),
        http.evaluate(request()),
      ],
      [
        "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-header]-rule[0]]",
        "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-header]-rule[1]]",
        "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-header]-rule[2]]",
        undefined,
      ],
    );
  });

  it("on TCP drops an ALLOW rule with HTTP-only fields, and the HTTP-only fields of a DENY rule", () => {
    const allow = engines(
      policy("allow", {
        rules: [
          { to: [{ operation: { methods: ["GET"] } }] },
          { from: [{ source: { ipBlocks: ["10.9.0.0/16"] } }] },
        ],
      }),
    );
    assert.deepEqual(
      [allow.tcp.evaluate(request({}, true)), allow.tcp.evaluate(request({ source: "10.9.1.1" }, true))],
      ["rbac_access_denied_matched_policy[none]", undefined],
    );
    const deny = engines(
      policy("deny", { action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }] }),
    );
    assert.deepEqual(
      [deny.http.evaluate(request()), deny.tcp.evaluate(request({}, true))],
      [undefined, "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny]-rule[0]]"],
    );
  });

  it("applies root-namespace and own-namespace policies whose selector fits, and says why others do not apply", () => {
    const ctx = new TranslateContext("istio-system", { istio: "ingressgateway" });
    const config = buildRbacConfig(
      ctx,
      [
        policy("other-ns", { action: "DENY", rules: [{}] }, "foo"),
        policy("other-selector", {
          selector: { matchLabels: { app: "egress" } },
          action: "DENY",
          rules: [{}],
        }),
        policy("by-target", {
          targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" }],
          action: "DENY",
          rules: [{}],
        }),
        policy("dry", { action: "DENY", rules: [{}] }),
      ].map((p, i) =>
        i === 3 ? { ...p, metadata: { ...p.metadata, annotations: { "istio.io/dry-run": "true" } } } : p,
      ),
    );
    assert.equal(config, undefined);
    assert.deepEqual(
      ctx.issues().map((i) => `${i.code} ${i.resource.name} ${i.path}`),
      [
        "IGW6030 other-selector spec.selector.matchLabels",
        "IGW6031 by-target spec.targetRefs",
        'IGW6033 dry metadata.annotations["istio.io/dry-run"]',
      ],
    );
  });

  it("reports a CUSTOM policy that applies as an error", () => {
    const ctx = new TranslateContext("istio-system", { istio: "ingressgateway" });
    buildRbacConfig(ctx, [
      policy("ext-authz", { action: "CUSTOM", provider: { name: "my-authz" }, rules: [{}] }),
    ]);
    assert.deepEqual(
      ctx.issues().map((i) => [i.severity, i.code, i.message]),
      [
        [
          "error",
          "IGW6032",
          'needs the external authorizer "my-authz", which this proxy cannot call: the configuration is refused rather than served without the policy (got "CUSTOM")',
        ],
      ],
    );
  });
});
