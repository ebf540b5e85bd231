import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestAuthentication, RequestAuthenticationSpec } from "../model";
import { buildJwtAuthn } from "./jwt-authn";

function ra(namespace: string, name: string, spec: RequestAuthenticationSpec): RequestAuthentication {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name, namespace },
    spec,
  };
}

const rule = (issuer: string) => ({ jwtRules: [{ issuer, jwks: '{"keys":[]}' }] });
const gateway = { namespace: "istio-system", labels: { istio: "ingressgateway", app: "gw" } };

describe("buildJwtAuthn", () => {
  const cases: Array<
    [name: string, policies: RequestAuthentication[], workload: typeof gateway, applied: string[]]
  > = [
    [
      "the root namespace's policy without selector applies",
      [ra("istio-system", "a", rule("i"))],
      gateway,
      ["istio-system/a"],
    ],
    [
      "a root namespace policy applies to a gateway in another namespace",
      [ra("istio-system", "a", rule("i"))],
      { ...gateway, namespace: "gw-ns" },
      ["istio-system/a"],
    ],
    [
      "a policy of the gateway's namespace applies, another namespace's does not",
      [ra("gw-ns", "mine", rule("i")), ra("foo", "theirs", rule("i"))],
      { ...gateway, namespace: "gw-ns" },
      ["gw-ns/mine"],
    ],
    [
      "a selector contained in the labels applies, one that is not does not",
      [
        ra("istio-system", "match", { ...rule("i"), selector: { matchLabels: { istio: "ingressgateway" } } }),
        ra("istio-system", "other", { ...rule("i"), selector: { matchLabels: { istio: "egressgateway" } } }),
      ],
      gateway,
      ["istio-system/match"],
    ],
    [
      "targetRefs attach to Gateway API resources only",
      [
        ra("istio-system", "t", {
          ...rule("i"),
          targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" }],
        }),
      ],
      gateway,
      [],
    ],
  ];
  for (const [name, policies, workload, applied] of cases) {
    it(name, () => assert.deepEqual(buildJwtAuthn(policies, workload)?.policies ?? [], applied));
  }

  it("makes one provider per rule, sorted by issuer and named as istiod names them, with Envoy's defaults", () => {
    const config = buildJwtAuthn(
      [
        ra("istio-system", "b", {
          jwtRules: [
            {
              issuer: "z-issuer",
              jwksUri: "https://keys.example.com/jwks",
              fromHeaders: [{ name: "X-Jwt", prefix: "Token " }, { name: "X-Raw" }],
              outputPayloadToHeader: "X-Payload",
              outputClaimToHeaders: [{ header: "X-Sub", claim: "sub" }],
              forwardOriginalToken: true,
              spaceDelimitedClaims: ["scope", "roles"],
              timeout: "2s",
            },
          ],
        }),
        ra("istio-system", "a", { jwtRules: [{ issuer: "a-issuer", jwks: "{}", audiences: ["x"] }] }),
        ra("istio-system", "empty", {}),
      ],
      gateway,
    );
    assert.deepEqual(config, {
      policies: ["istio-system/b", "istio-system/a", "istio-system/empty"],
      providers: [
        {
          name: "origins-0",
          policy: "istio-system/a",
          ruleIndex: 0,
          issuer: "a-issuer",
          audiences: ["x"],
          jwks: "{}",
          timeoutMs: 5000,
          fromHeaders: [],
          fromParams: [],
          fromCookies: [],
          forward: false,
          claimToHeaders: [],
          spaceDelimitedClaims: ["permission", "scope"],
        },
        {
          name: "origins-1",
          policy: "istio-system/b",
          ruleIndex: 0,
          issuer: "z-issuer",
          audiences: [],
          jwksUri: "https://keys.example.com/jwks",
          timeoutMs: 2000,
          fromHeaders: [
            { name: "x-jwt", prefix: "Token " },
            { name: "x-raw", prefix: "" },
          ],
          fromParams: [],
          fromCookies: [],
          forward: true,
          forwardPayloadHeader: "x-payload",
          claimToHeaders: [{ header: "x-sub", claim: "sub" }],
          spaceDelimitedClaims: ["permission", "roles", "scope"],
        },
      ],
    });
  });

  it("is absent when the policies in force have no rule", () =>
    assert.equal(buildJwtAuthn([ra("istio-system", "empty", {})], gateway), undefined));
});
