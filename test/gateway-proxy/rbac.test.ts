// The proxy's RBAC is exactly what its Kubernetes source declares it reads: the same rules, no
// other verb, no wildcard, Secrets only in its own namespace.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import {
  proxyRules,
  sourcePermissions,
} from "../../provider/src/components/gateway-proxy/source-permissions";
import { KUBERNETES_SOURCE_PERMISSIONS } from "../../provider/src/proxy/kubernetes/rbac";
import { bookinfoSettings, expectedRules } from "./fixtures";

describe("proxy RBAC", () => {
  it("reads the source's permissions from its source file", () => {
    assert.deepEqual(sourcePermissions(), KUBERNETES_SOURCE_PERMISSIONS);
  });

  it("grants exactly the source's permissions, one rule each", () => {
    assert.deepEqual(proxyRules(sourcePermissions()), expectedRules());
  });

  it("grants only list and watch, on named resources", () => {
    const { cluster, namespaced } = proxyRules(sourcePermissions());
    for (const rule of [...cluster, ...namespaced]) {
      assert.deepEqual(rule.verbs, ["list", "watch"]);
      assert.ok(!rule.resources.includes("*") && !rule.apiGroups.includes("*"));
    }
  });

  it("reads Secrets only in the proxy's namespace, with a Role bound there", () => {
    const m = proxyManifests(bookinfoSettings());
    const secrets = (rules: unknown) =>
      (rules as { resources: string[] }[]).filter((r) => r.resources.includes("secrets")).length;
    assert.equal(secrets(m.clusterRole?.rules), 0);
    assert.equal(secrets(m.role?.rules), 1);
    assert.deepEqual(m.role?.metadata.namespace, "gateways");
    assert.deepEqual(m.roleBinding?.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "ingress",
    });
    assert.deepEqual(m.clusterRoleBinding?.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "istio-gateway:gateways:ingress",
    });
    const subjects = [{ kind: "ServiceAccount", name: "ingress", namespace: "gateways" }];
    assert.deepEqual(m.roleBinding?.subjects, subjects);
    assert.deepEqual(m.clusterRoleBinding?.subjects, subjects);
  });

  it("refuses a scope it does not know rather than guess", () => {
    assert.throws(() => proxyRules([{ apiGroup: "", resource: "nodes", verbs: ["list"], scope: "node" }]), {
      message: 'permission for "nodes" has an unknown scope "node"',
    });
  });
});
