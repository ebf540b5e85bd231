// Istio's end-user authentication at the ingress gateway (istio.io, docs/tasks/security/
// authentication/authn-policy, "End-user authentication"), end to end through the proxy with curl,
// and what Envoy's jwt_authn filter, as istiod configures it, does beyond what the task shows.
//
// The task's YAML is used verbatim (snip_enduser_authentication_1, _2 and _4), with two
// adaptations: the Kubernetes service `httpbin.foo.svc.cluster.local` goes to a loopback backend
// (`--resolve`), and the policy's `jwksUri` (raw.githubusercontent.com, which a test cannot fetch)
// is a loopback server's, serving a key set made at test time. The task's demo token is replaced by
// tokens signed at test time with node:crypto keys (RSA and EC) for the task's issuer
// `testing@secure.istio.io`. Policies beyond the task's (audiences, header locations, claims to
// headers, another namespace, an invalid one) are written for the gateway here, and say so.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLineWhere } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

// snip_enduser_authentication_1
const HTTPBIN_GATEWAY_FOO = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: httpbin-gateway
  namespace: foo
spec:
  selector:
    istio: ingressgateway # use Istio default gateway implementation
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
`;

// snip_enduser_authentication_2
const HTTPBIN_VIRTUAL_SERVICE_FOO = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
  namespace: foo
spec:
  hosts:
  - "*"
  gateways:
  - httpbin-gateway
  http:
  - route:
    - destination:
        port:
          number: 8000
        host: httpbin.foo.svc.cluster.local
`;

// snip_enduser_authentication_4, its jwksUri a loopback server's.
const jwtExample = (jwksUri: string) => `apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata:
  name: "jwt-example"
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: "testing@secure.istio.io"
    jwksUri: "${jwksUri}"
`;

// The authz-jwt task's policies (docs/tasks/security/authorization/authz-jwt,
// snip_allow_requests_with_valid_jwt_and_listtyped_claims_4 and _8), written for the ingress
// gateway: namespace istio-system and selector istio: ingressgateway instead of foo and app: httpbin,
// the only change.
const REQUIRE_JWT = `apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: ALLOW
  rules:
  - from:
    - source:
       requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
`;

const REQUIRE_JWT_GROUP1 = `${REQUIRE_JWT}    when:
    - key: request.auth.claims[groups]
      values: ["group1"]
`;

const ISSUER = "testing@secure.istio.io";

/** A signing key and its public JWK. */
interface TestKey {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function rsaKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

function ecKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token signed with `key` (RS256 or ES256, by the key's `alg`). */
function token(key: TestKey, claims: Record<string, unknown>): string {
  const alg = key.jwk.alg as string;
  const input = `${b64url({ alg, kid: key.jwk.kid, typ: "JWT" })}.${b64url(claims)}`;
  const signature =
    alg === "ES256"
      ? sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" })
      : sign("sha256", Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: ISSUER,
  iat: now(),
  exp: now() + 3600,
  ...extra,
});

/** A loopback server of key sets: `/jwks.json` serves `keys`, `/broken.json` answers 500. */
async function startJwksServer(
  keys: () => readonly TestKey[],
): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: keys().map((k) => k.jwk) }));
    } else {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("unavailable");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("RequestAuthentication at the ingress gateway (authn-policy end-user authentication)", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  const logs: string[] = [];
  const seen: Echo[] = [];
  const rsa = rsaKey("rsa-1");
  const ec = ecKey("ec-1");
  const stranger = rsaKey("rsa-1");
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let ingress: string;

  /** Replaces the applied objects with `docs` and waits for the proxy to take them (or not). */
  async function apply(docs: readonly string[]): Promise<boolean> {
    dir.write("applied.yaml", documents(...docs));
    return proxy.reload();
  }

  /** The task's `curl "$INGRESS_HOST:$INGRESS_PORT/headers"`, with `args` before the URL. */
  const headers = (args: string[] = [], path = "/headers") => curl([...args, `http://${ingress}${path}`]);
  const bearer = (t: string) => ["--header", `Authorization: Bearer ${t}`];
  const lastEcho = () => seen[seen.length - 1]!;

  before(async () => {
    httpbin = await startEchoBackend("httpbin", seen);
    jwks = await startJwksServer(() => [ec, rsa]);
    dir.write("applied.yaml", documents(HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO));
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin.foo.svc.cluster.local", ip: "127.0.0.1", port: httpbin.port }],
      logs,
      jsonLinesSink(access),
      { watchPaths: [] },
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    await jwks.close();
    dir.dispose();
  });

  it("serves /headers without a policy, and a token is not looked at (snip 3)", async () => {
    const r = await headers(bearer("deadbeef"));
    assert.equal(r.status, 200);
    assert.equal(lastEcho().headers["authorization"], "Bearer deadbeef");
  });

  it("takes the task's policy, and still lets a request without a token through (snips 4 and 5)", async () => {
    assert.equal(
      await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, jwtExample(`${jwks.url}/jwks.json`)]),
      true,
    );
    const r = await headers();
    assert.equal(r.status, 200);
    assert.deepEqual(jwks.hits, ["/jwks.json"]);
  });

  it("refuses an invalid token with 401, Envoy's words and its challenge (snip 6)", async () => {
    const r = await headers(bearer("deadbeef"));
    assert.deepEqual(
      [
        r.status,
        r.body,
        r.headers["www-authenticate"],
        r.headers["content-type"],
        r.headers["x-igw-error-code"],
      ],
      [
        401,
        "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
        `Bearer realm="http://${ingress}/headers", error="invalid_token"`,
        "text/plain",
        undefined,
      ],
    );
    const line = await loggedLineWhere(access, (l) => l["response_code"] === 401, "the 401");
    assert.deepEqual(
      [line["response_code_details"], line["response_flags"], line["route_name"] !== undefined],
      [
        "jwt_authn_access_denied{Jwt_is_not_in_the_form_of_Header.Payload.Signature_with_two_dots_and_3_sections}",
        "-",
        true,
      ],
    );
  });

  it("lets a valid RS256 token through, and removes it before forwarding as forwardOriginalToken is false (snip 7)", async () => {
    const before = seen.length;
    const r = await headers(bearer(token(rsa, claims())));
    assert.equal(r.status, 200);
    assert.equal(seen.length, before + 1);
    assert.equal(lastEcho().headers["authorization"], undefined);
  });

  it("does the same over HTTP/2 (curl --http2-prior-knowledge)", async () => {
    const good = await headers(["--http2-prior-knowledge", ...bearer(token(rsa, claims()))]);
    const forwarded = lastEcho().headers["authorization"];
    const bad = await headers(["--http2-prior-knowledge", ...bearer("deadbeef")]);
    assert.deepEqual(
      [good.httpVersion, good.status, forwarded, bad.status, bad.body, bad.headers["www-authenticate"]],
      [
        "2",
        200,
        undefined,
        401,
        "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
        `Bearer realm="http://${ingress}/headers", error="invalid_token"`,
      ],
    );
  });

  it("authenticates a WebSocket upgrade too, before it is tunnelled", async () => {
    const upgrade = ["--http1.1", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket"];
    const hits = httpbin.hits.count;
    const bad = await headers([...upgrade, ...bearer("deadbeef")]);
    assert.deepEqual(
      [bad.status, bad.body, bad.headers["www-authenticate"], bad.headers["connection"], httpbin.hits.count],
      [
        401,
        "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
        `Bearer realm="http://${ingress}/headers", error="invalid_token"`,
        "close",
        hits,
      ],
    );
    // The echo backend does not speak WebSocket: it answers the upgrade as a plain request.
    const good = await headers([...upgrade, ...bearer(token(rsa, claims()))]);
    assert.deepEqual(
      [good.status, httpbin.hits.count, lastEcho().headers["authorization"]],
      [200, hits + 1, undefined],
    );
  });

  it("lets a valid ES256 token through, verified with the EC key of the same set", async () => {
    const r = await headers(bearer(token(ec, claims())));
    assert.equal(r.status, 200);
  });

  it("refuses a token signed by a key not in the set, with Jwt verification fails", async () => {
    const r = await headers(bearer(token(stranger, claims())));
    assert.deepEqual([r.status, r.body], [401, "Jwt verification fails"]);
  });

  it("refuses a token whose kid no key has, and a tampered payload", async () => {
    const unknownKid = token({ ...rsa, jwk: { ...rsa.jwk, kid: "rsa-2" } }, claims());
    const [header, , signature] = token(rsa, claims()).split(".");
    const tampered = `${header}.${b64url(claims({ sub: "admin" }))}.${signature}`;
    const a = await headers(bearer(unknownKid));
    const b = await headers(bearer(tampered));
    assert.deepEqual(
      [a.status, a.body, b.status, b.body],
      [401, "Jwks doesn't have key to match kid or alg from Jwt", 401, "Jwt verification fails"],
    );
  });

  it("lets a token expired less than Envoy's 60s clock skew through, and refuses one expired longer (snip 10)", async () => {
    const recent = await headers(bearer(token(rsa, claims({ exp: now() - 30 }))));
    const old = await headers(bearer(token(rsa, claims({ exp: now() - 120 }))));
    const early = await headers(bearer(token(rsa, claims({ nbf: now() + 120 }))));
    assert.deepEqual(
      [recent.status, old.status, old.body, early.status, early.body],
      [200, 401, "Jwt is expired", 401, "Jwt not yet valid"],
    );
  });

  it("refuses a token of an issuer no rule names", async () => {
    const r = await headers(bearer(token(rsa, claims({ iss: "someone@else" }))));
    assert.deepEqual([r.status, r.body], [401, "Jwt issuer is not configured"]);
  });

  it("reads the token from the access_token query parameter too, Envoy's other default location", async () => {
    const bad = await headers([], "/headers?access_token=deadbeef");
    const good = await headers([], `/headers?access_token=${token(rsa, claims())}`);
    assert.deepEqual([bad.status, good.status], [401, 200]);
  });

  it("lets a CORS preflight through whatever its token, as istiod sets bypass_cors_preflight", async () => {
    const r = await headers([
      "-X",
      "OPTIONS",
      "-H",
      "Origin: https://example.com",
      "-H",
      "Access-Control-Request-Method: GET",
      ...bearer("deadbeef"),
    ]);
    assert.equal(r.status, 200);
  });

  it("shows the policy in force in /config_dump", async () => {
    const r = await curl([`http://127.0.0.1:${proxy.statusPort}/config_dump`]);
    const dump = JSON.parse(r.body) as {
      jwtAuthn?: { policies: string[]; providers: { issuer: string; jwksUri?: string }[] };
    };
    assert.deepEqual(dump.jwtAuthn?.policies, ["istio-system/jwt-example"]);
    assert.deepEqual(
      dump.jwtAuthn?.providers.map((p) => [p.issuer, p.jwksUri]),
      [[ISSUER, `${jwks.url}/jwks.json`]],
    );
  });

  it("refuses every token of an issuer whose jwksUri cannot be fetched, as istiod's stand-in key does", async () => {
    const broken = jwtExample(`${jwks.url}/broken.json`);
    assert.equal(await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, broken]), true);
    const withToken = await headers(bearer(token(rsa, claims())));
    const without = await headers();
    assert.deepEqual(
      [withToken.status, withToken.body, without.status],
      [401, "Jwt verification fails", 200],
    );
    assert.ok(
      logs.some((l) =>
        l.startsWith(
          `warning: cannot fetch the JWKS of ${jwks.url}/broken.json: ${jwks.url}/broken.json answered 500`,
        ),
      ),
      logs.join("\n"),
    );
  });

  it("verifies an https jwksUri's certificate: one from a CA the system does not trust fails the fetch", async () => {
    const pki = new TestPki();
    const issued = pki.issue("keys.example.com", ["IP:127.0.0.1"]);
    const server = https.createServer({ cert: issued.cert, key: issued.key }, (_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [rsa.jwk] })),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const uri = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      logs.length = 0;
      assert.equal(await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, jwtExample(uri)]), true);
      const r = await headers(bearer(token(rsa, claims())));
      assert.deepEqual([r.status, r.body], [401, "Jwt verification fails"]);
      assert.ok(
        logs.includes(`warning: cannot fetch the JWKS of ${uri}: unable to verify the first certificate`),
        logs.join("\n"),
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      pki.dispose();
    }
  });

  // Written for the gateway (the claim-to-header task's policy selects a sidecar): audiences, a
  // header with a prefix, the payload and a claim to headers, and the token forwarded.
  const POLICY_WITH_OUTPUTS = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-outputs
  namespace: istio-system
spec:
  jwtRules:
  - issuer: "testing@secure.istio.io"
    audiences: ["bookinfo.com"]
    jwks: '${JSON.stringify({ keys: [ec.jwk] })}'
    fromHeaders:
    - name: x-jwt-assertion
      prefix: "Token "
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders:
    - header: x-jwt-claim-foo
      claim: foo
    - header: x-jwt-claim-nested
      claim: nested.level
    forwardOriginalToken: true
`;

  it("reads the token from fromHeaders after its prefix, and ignores the Authorization header then", async () => {
    assert.equal(await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, POLICY_WITH_OUTPUTS]), true);
    const t = token(ec, claims({ aud: "https://bookinfo.com/", foo: "bar", nested: { level: 7 } }));
    const r = await headers(["--header", `x-jwt-assertion: Token ${t}`, ...bearer("deadbeef")]);
    assert.equal(r.status, 200);
    const echo = lastEcho();
    assert.deepEqual(
      [
        echo.headers["x-jwt-assertion"],
        echo.headers["authorization"],
        echo.headers["x-jwt-claim-foo"],
        echo.headers["x-jwt-claim-nested"],
        echo.headers["x-jwt-payload"],
      ],
      [`Token ${t}`, "Bearer deadbeef", "bar", "7", t.split(".")[1]],
    );
  });

  it("removes claim and payload headers a client sends itself", async () => {
    const r = await headers(["--header", "x-jwt-claim-foo: forged", "--header", "x-jwt-payload: forged"]);
    assert.equal(r.status, 200);
    assert.deepEqual(
      [lastEcho().headers["x-jwt-claim-foo"], lastEcho().headers["x-jwt-payload"]],
      [undefined, undefined],
    );
  });

  it("answers 403 for a token whose audience is not among the rule's", async () => {
    const t = token(ec, claims({ aud: ["other.com"] }));
    const r = await headers(["--header", `x-jwt-assertion: Token ${t}`]);
    assert.deepEqual(
      [r.status, r.body, r.headers["www-authenticate"]],
      [
        403,
        "Audiences in Jwt are not allowed",
        `Bearer realm="http://${ingress}/headers", error="invalid_token"`,
      ],
    );
  });

  it("does not apply a policy of another namespace than the gateway's or the root's", async () => {
    const elsewhere = POLICY_WITH_OUTPUTS.replace(
      "name: jwt-outputs\n  namespace: istio-system",
      "name: jwt-outputs\n  namespace: foo",
    );
    assert.equal(await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, elsewhere]), true);
    const r = await headers(["--header", "x-jwt-assertion: Token deadbeef"]);
    assert.equal(r.status, 200);
    const dump = JSON.parse(
      (await curl([`http://127.0.0.1:${proxy.statusPort}/config_dump`])).body,
    ) as Record<string, unknown>;
    assert.equal(dump["jwtAuthn"], undefined);
  });

  it("refuses an invalid policy and keeps serving the last good configuration", async () => {
    assert.equal(
      await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, jwtExample(`${jwks.url}/jwks.json`)]),
      true,
    );
    const invalid = jwtExample("ftp://127.0.0.1/jwks.json");
    logs.length = 0;
    assert.equal(await apply([HTTPBIN_GATEWAY_FOO, HTTPBIN_VIRTUAL_SERVICE_FOO, invalid]), false);
    const refusal = logs.find((l) =>
      l.startsWith("Error [IGW5307] (RequestAuthentication istio-system/jwt-example "),
    );
    assert.equal(
      refusal?.replace(/ \S+applied\.yaml:\d+\) /, " FILE) "),
      'Error [IGW5307] (RequestAuthentication istio-system/jwt-example FILE) spec.jwtRules[0].jwksUri: URI scheme "ftp" is not supported (got "ftp://127.0.0.1/jwks.json")',
      logs.join("\n"),
    );
    assert.equal(logs.at(-1), "configuration refused; the previous configuration keeps serving");
    const r = await headers(bearer("deadbeef"));
    assert.equal(r.status, 401);
  });

  it("requires the task's request principal with AuthorizationPolicy require-jwt (authz-jwt snips 4, 6, 7)", async () => {
    assert.equal(
      await apply([
        HTTPBIN_GATEWAY_FOO,
        HTTPBIN_VIRTUAL_SERVICE_FOO,
        jwtExample(`${jwks.url}/jwks.json`),
        REQUIRE_JWT,
      ]),
      true,
    );
    // The demo token's claims (snip 5), signed here.
    const demo = token(rsa, claims({ foo: "bar" }));
    const other = token(rsa, claims({ sub: "someone@secure.istio.io" }));
    const [valid, none, invalid, otherSubject] = [
      await headers(bearer(demo)),
      await headers(),
      await headers(bearer("invalidToken")),
      await headers(bearer(other)),
    ];
    assert.deepEqual(
      [valid.status, none.status, none.body, invalid.status, otherSubject.status],
      [200, 403, "RBAC: access denied", 401, 403],
    );
    const line = await loggedLineWhere(access, (l) => l["response_flags"] === "RBAC", "the RBAC 403");
    assert.deepEqual(
      [line["response_code"], line["response_code_details"]],
      [403, "rbac_access_denied_matched_policy[none]"],
    );
  });

  it("requires group1 among the token's list-typed groups claim (authz-jwt snips 8, 10, 11)", async () => {
    assert.equal(
      await apply([
        HTTPBIN_GATEWAY_FOO,
        HTTPBIN_VIRTUAL_SERVICE_FOO,
        jwtExample(`${jwks.url}/jwks.json`),
        REQUIRE_JWT_GROUP1,
      ]),
      true,
    );
    // groups-scope.jwt's claims (snip 9), signed here; and the demo token without groups.
    const grouped = token(ec, claims({ groups: ["group1", "group2"], scope: ["scope1", "scope2"] }));
    const group2 = token(ec, claims({ groups: ["group2"] }));
    const demo = token(rsa, claims({ foo: "bar" }));
    const statuses = [
      (await headers(bearer(grouped))).status,
      (await headers(bearer(demo))).status,
      (await headers(bearer(group2))).status,
    ];
    assert.deepEqual(statuses, [200, 403, 403]);
  });
});
