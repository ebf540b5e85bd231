import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestAuthentication, RequestAuthenticationSpec } from "../model";
import { validateObject } from "./index";
import { validateRequestAuthentication } from "./request-authentication";

function ra(spec: RequestAuthenticationSpec): RequestAuthentication {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name: "jwt", namespace: "istio-system" },
    spec,
  };
}

type Finding = [code: string, path: string, message: string];

const check = (r: RequestAuthentication): Finding[] =>
  validateRequestAuthentication(r).map((i) => [i.code, i.path, i.message]);

const RSA_PUBLIC = { kty: "RSA", e: "AQAB", n: "0xObjM0UvS" };

// Istio's TestValidateRequestAuthentication and TestValidateJwtRule cases where they apply, and
// the CRD's CEL rules.
const cases: Array<[name: string, resource: RequestAuthentication, expected: Finding[]]> = [
  ["empty spec", ra({}), []],
  [
    "the ingress task's policy",
    ra({
      selector: { matchLabels: { istio: "ingressgateway" } },
      jwtRules: [
        {
          issuer: "testing@secure.istio.io",
          jwksUri:
            "https://raw.githubusercontent.com/istio/istio/master/security/tools/jwt/samples/jwks.json",
        },
      ],
    }),
    [],
  ],
  [
    "selector with an empty key and a wildcard",
    ra({ selector: { matchLabels: { "": "x", app: "web*" } } }),
    [
      ["IGW5302", 'spec.selector.matchLabels[""]', 'must not be empty (got "")'],
      ["IGW5302", "spec.selector.matchLabels.app", 'must not contain a wildcard (got "app=web*")'],
    ],
  ],
  [
    "selector without labels",
    ra({ selector: {} }),
    [["IGW5303", "spec.selector.matchLabels", "selects every workload in the namespace when empty (got {})"]],
  ],
  [
    "selector and targetRefs",
    ra({
      selector: { matchLabels: { app: "a" } },
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }],
    }),
    [["IGW5301", "spec", "only one of targetRefs or selector can be set"]],
  ],
  [
    "targetRef to a Deployment in another namespace without a name",
    ra({ targetRef: { group: "apps", kind: "Deployment", name: "", namespace: "other" } }),
    [
      ["IGW5304", "spec.targetRef.name", 'must be set (got "")'],
      [
        "IGW5304",
        "spec.targetRef.namespace",
        'must not be set: cross namespace referencing is not supported (got "other")',
      ],
      [
        "IGW5304",
        "spec.targetRef.kind",
        'must be a Service, ServiceEntry, Gateway or GatewayClass (got "apps/Deployment")',
      ],
    ],
  ],
  ["targetRefs to a core Service", ra({ targetRefs: [{ kind: "Service", name: "web" }] }), []],
  [
    "empty audience, no issuer nor jwksUri",
    ra({ jwtRules: [{ audiences: ["a", ""] }] }),
    [
      ["IGW5305", "spec.jwtRules[0].audiences[1]", 'must be a non-empty string (got "")'],
      ["IGW5306", "spec.jwtRules[0].issuer", "issuer or jwksUri must be a non-empty string"],
    ],
  ],
  ["jwksUri without issuer", ra({ jwtRules: [{ jwksUri: "http://keys.example.com:8080/jwks" }] }), []],
  [
    "jwksUri of another scheme, and one that is not a URL",
    ra({
      jwtRules: [
        { issuer: "a", jwksUri: "ftp://keys.example.com/jwks" },
        { issuer: "b", jwksUri: "keys.example.com" },
      ],
    }),
    [
      [
        "IGW5307",
        "spec.jwtRules[0].jwksUri",
        'URI scheme "ftp" is not supported (got "ftp://keys.example.com/jwks")',
      ],
      ["IGW5307", "spec.jwtRules[1].jwksUri", 'must be an http:// or https:// URL (got "keys.example.com")'],
    ],
  ],
  [
    "jwks that is not JSON, keys that are not a list, a key without kty",
    ra({
      jwtRules: [
        { issuer: "a", jwks: "{not json" },
        { issuer: "b", jwks: '{"keys": {}}' },
        { issuer: "c", jwks: '{"keys": [{"n": "x"}]}' },
      ],
    }),
    [
      ["IGW5308", "spec.jwtRules[0].jwks", "jwks parse error: not valid JSON"],
      ["IGW5308", "spec.jwtRules[1].jwks", 'jwks parse error: "keys" must be an array'],
      [
        "IGW5308",
        "spec.jwtRules[2].jwks",
        'jwks parse error: key at index 0 has an invalid "kty" (got nothing)',
      ],
    ],
  ],
  [
    "jwks with a private key, and jwks beside jwksUri",
    ra({
      jwtRules: [
        {
          issuer: "a",
          jwks: JSON.stringify({ keys: [RSA_PUBLIC, { ...RSA_PUBLIC, d: "secret" }] }),
          jwksUri: "https://keys.example.com/jwks",
        },
      ],
    }),
    [
      [
        "IGW5309",
        "spec.jwtRules[0].jwks",
        "key at index 1 contains private key material; only public keys are used for verification",
      ],
      ["IGW5313", "spec.jwtRules[0].jwks", "only one of jwks or jwksUri can be set"],
    ],
  ],
  [
    "empty locations",
    ra({ jwtRules: [{ issuer: "a", fromHeaders: [{ name: "" }], fromParams: [""], fromCookies: [""] }] }),
    [
      ["IGW5310", "spec.jwtRules[0].fromHeaders[0].name", 'must be a non-empty string (got "")'],
      ["IGW5310", "spec.jwtRules[0].fromParams[0]", 'must be a non-empty string (got "")'],
      ["IGW5310", "spec.jwtRules[0].fromCookies[0]", 'must be a non-empty string (got "")'],
    ],
  ],
  [
    "claim to header without a claim, and a header name with a space",
    ra({
      jwtRules: [
        {
          issuer: "a",
          outputClaimToHeaders: [
            { header: "x-a", claim: "" },
            { header: "x b", claim: "sub" },
          ],
        },
      ],
    }),
    [
      ["IGW5311", "spec.jwtRules[0].outputClaimToHeaders[0].claim", 'must be a non-empty string (got "")'],
      [
        "IGW5311",
        "spec.jwtRules[0].outputClaimToHeaders[1].header",
        'must be a header name of letters, digits, "-" and "_" (got "x b")',
      ],
    ],
  ],
  [
    "timeouts below 1ms and not whole milliseconds",
    ra({
      jwtRules: [
        { issuer: "a", timeout: "500us" },
        { issuer: "b", timeout: "1.5ms" },
      ],
    }),
    [
      ["IGW5312", "spec.jwtRules[0].timeout", 'must be at least 1ms (got "500us")'],
      ["IGW5312", "spec.jwtRules[1].timeout", 'must be a whole number of milliseconds (got "1.5ms")'],
    ],
  ],
];

describe("validateRequestAuthentication", () => {
  for (const [name, resource, expected] of cases) {
    it(name, () => assert.deepEqual(check(resource), expected));
  }

  it("is read in security.istio.io/v1 and v1beta1, with its shape checked first", () => {
    const object = {
      apiVersion: "security.istio.io/v1beta1",
      kind: "RequestAuthentication",
      metadata: { name: "jwt", namespace: "foo" },
      spec: { jwtRules: [{ issuer: 7 }] },
    };
    const v = validateObject(object);
    assert.equal(v.resource, undefined);
    assert.deepEqual(
      v.issues.map((i) => [i.code, i.path, i.message]),
      [["IGW1005", "spec.jwtRules[0].issuer", "must be a string (got 7)"]],
    );
    const wrongVersion = validateObject({ ...object, apiVersion: "security.istio.io/v2" });
    assert.deepEqual(
      wrongVersion.issues.map((i) => [i.code, i.path, i.message]),
      [
        [
          "IGW1001",
          "apiVersion",
          'must be one of "security.istio.io/v1", "security.istio.io/v1beta1" for kind "RequestAuthentication" (got "security.istio.io/v2")',
        ],
      ],
    );
  });
});
