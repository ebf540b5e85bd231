import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KUBERNETES_SOURCE_PERMISSIONS } from "./rbac";

describe("KUBERNETES_SOURCE_PERMISSIONS", () => {
  it("is read-only: list and watch, Secrets in the proxy's namespace only", () => {
    assert.deepEqual(
      KUBERNETES_SOURCE_PERMISSIONS.map(
        (p) => `${p.scope} ${p.apiGroup || "core"}/${p.resource}: ${p.verbs.join(",")}`,
      ),
      [
        "cluster networking.istio.io/gateways: list,watch",
        "cluster networking.istio.io/virtualservices: list,watch",
        "cluster networking.istio.io/destinationrules: list,watch",
        "cluster networking.istio.io/serviceentries: list,watch",
        "cluster security.istio.io/authorizationpolicies: list,watch",
        "cluster security.istio.io/requestauthentications: list,watch",
        "proxy-namespace core/secrets: list,watch",
        "cluster core/services: list,watch",
        "cluster discovery.k8s.io/endpointslices: list,watch",
        "cluster core/pods: list,watch",
      ],
    );
  });
});
