// The proxy's manifests as the real kube-apiserver judges them (the local control plane of
// test/e2e): every object accepted without a warning, the pod admitted by PodSecurity in a
// namespace that enforces the restricted profile (and a privileged twin refused there, so the
// check is live), and the ServiceAccount allowed exactly what the Kubernetes source reads.
import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Manifest, ProxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { proxyBundle } from "../../provider/src/components/gateway-proxy/proxy-bundle";
import { startCluster, type LocalCluster } from "../e2e/support/cluster";
import { toolchainPaths } from "../e2e/support/toolchain";
import { bookinfoSettings } from "./fixtures";

const tools = toolchainPaths();
// Only the control plane is needed here, not the Pulumi CLI.
const missing = [tools.kubeApiserver, tools.kubectl, tools.etcd].filter((f) => {
  try {
    accessSync(f, constants.X_OK);
    return false;
  } catch {
    return true;
  }
});
const reason = `the local control plane is not built (run test/e2e/tools.sh); missing: ${missing.join(", ")}`;
if (missing.length > 0 && process.env.CI !== "true")
  console.log(`skipping GatewayProxy on kube-apiserver: ${reason}`);

const NAMESPACE = "gateways";
const list = (items: Manifest[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });
const objects = (m: ProxyManifests) => Object.values(m).filter((o): o is Manifest => o !== undefined);

describe(
  "GatewayProxy on kube-apiserver",
  { skip: missing.length > 0 && process.env.CI !== "true" ? reason : false, timeout: 600_000 },
  () => {
    let cluster: LocalCluster;
    let manifests: ProxyManifests;
    before(async () => {
      assert.deepEqual(missing, [], reason);
      const bundle = await proxyBundle();
      manifests = proxyManifests(
        bookinfoSettings({ bundle: { sha256: bundle.sha256, base64: bundle.compressed.toString("base64") } }),
      );
      cluster = await startCluster(tools);
      const restricted = Object.fromEntries(
        ["enforce", "warn", "audit"].map((mode) => [`pod-security.kubernetes.io/${mode}`, "restricted"]),
      );
      await cluster.kubectl(
        ["apply", "--server-side", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: NAMESPACE, labels: restricted },
        }),
      );
    });
    after(async () => {
      await cluster?.stop();
    });

    it("accepts every object of the zero-build proxy without a warning", async () => {
      const out = await cluster.kubectl(
        [
          "apply",
          "--server-side",
          "--field-manager=istio-gateway-test",
          "--warnings-as-errors",
          "-o",
          "name",
          "-f",
          "-",
        ],
        list(objects(manifests)),
      );
      assert.deepEqual(out.trim().split("\n").sort(), [
        "clusterrole.rbac.authorization.k8s.io/istio-gateway:gateways:ingress",
        "clusterrolebinding.rbac.authorization.k8s.io/istio-gateway:gateways:ingress",
        `configmap/${manifests.configMap!.metadata.name}`,
        "deployment.apps/ingress",
        "poddisruptionbudget.policy/ingress",
        "role.rbac.authorization.k8s.io/ingress",
        "rolebinding.rbac.authorization.k8s.io/ingress",
        "service/ingress",
        "serviceaccount/ingress",
      ]);
    });

    it("accepts the custom-image proxy (server-side dry run)", async () => {
      const custom = proxyManifests(
        bookinfoSettings({
          name: "custom",
          image: "registry.example.com/istio-gateway:0.1.0",
          bundle: undefined,
          serviceType: "ClusterIP",
        }),
      );
      const out = await cluster.kubectl(
        ["create", "--dry-run=server", "--warnings-as-errors", "-o", "name", "-f", "-"],
        list(objects(custom)),
      );
      assert.equal(out.trim().split("\n").length, objects(custom).length);
    });

    it("admits the proxy's pod where the restricted profile is enforced", async () => {
      const template = (manifests.deployment.spec as { template: { metadata: object; spec: object } })
        .template;
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { ...template.metadata, name: "ingress-pod", namespace: NAMESPACE },
        spec: template.spec,
      };
      const out = await cluster.kubectl(
        ["create", "--warnings-as-errors", "-o", "name", "-f", "-"],
        JSON.stringify(pod),
      );
      assert.equal(out.trim(), "pod/ingress-pod");
    });

    it("refuses a privileged twin of that pod there (PodSecurity is enforcing)", async () => {
      const template = (
        manifests.deployment.spec as {
          template: { metadata: object; spec: { containers: { securityContext: object }[] } };
        }
      ).template;
      const spec = structuredClone(template.spec);
      spec.containers[0].securityContext = {
        ...spec.containers[0].securityContext,
        allowPrivilegeEscalation: true,
      };
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "escalating-pod", namespace: NAMESPACE },
        spec,
      };
      await assert.rejects(
        cluster.kubectl(["create", "-f", "-"], JSON.stringify(pod)),
        /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
      );
    });

    const user = `system:serviceaccount:${NAMESPACE}:ingress`;
    // [verb, API group, resource, namespace ("" = all namespaces), allowed]
    const cases: [string, string, string, string, boolean][] = [
      ["list", "networking.istio.io", "gateways", "", true],
      ["watch", "networking.istio.io", "virtualservices", "", true],
      ["list", "networking.istio.io", "destinationrules", "default", true],
      ["watch", "networking.istio.io", "serviceentries", "", true],
      ["list", "security.istio.io", "authorizationpolicies", "", true],
      ["watch", "security.istio.io", "requestauthentications", "", true],
      ["list", "discovery.k8s.io", "endpointslices", "", true],
      ["watch", "", "services", "", true],
      ["list", "", "pods", "", true],
      ["watch", "", "secrets", NAMESPACE, true],
      ["list", "", "secrets", "default", false],
      ["list", "", "secrets", "", false],
      ["get", "", "secrets", NAMESPACE, false],
      ["get", "networking.istio.io", "gateways", "default", false],
      ["create", "networking.istio.io", "virtualservices", NAMESPACE, false],
      ["update", "", "configmaps", NAMESPACE, false],
      ["list", "", "configmaps", NAMESPACE, false],
      ["list", "", "nodes", "", false],
    ];
    it("lets the proxy's ServiceAccount do what the Kubernetes source does, and nothing else", async () => {
      const review = (verb: string, group: string, resource: string, namespace: string) =>
        JSON.stringify({
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user,
            groups: ["system:serviceaccounts", `system:serviceaccounts:${NAMESPACE}`, "system:authenticated"],
            resourceAttributes: { verb, group, resource, namespace },
          },
        });
      const answers: string[] = [];
      for (const [verb, group, resource, namespace] of cases) {
        const out = await cluster.kubectl(
          ["create", "-o", "json", "-f", "-"],
          review(verb, group, resource, namespace),
        );
        answers.push(String((JSON.parse(out) as { status: { allowed: boolean } }).status.allowed));
      }
      const line = (c: (typeof cases)[number]) =>
        `${c[0]} ${c[2]}${c[1] === "" ? "" : `.${c[1]}`} in ${c[3] || "all namespaces"}`;
      assert.deepEqual(
        cases.map((c, i) => `${line(c)}: ${answers[i]}`),
        cases.map((c) => `${line(c)}: ${c[4]}`),
      );
    });
  },
);
