// The real engine and the real Kubernetes provider against the local API server, with a program of
// our own: the toolchain's plumbing (plugin cache, backend, passphrase, kubeconfig, no readiness
// waits) works before any example is involved.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { startCluster, type LocalCluster } from "./support/cluster";
import { registerNoControllers } from "./support/program";
import { createTestStack, stepRecorder, type TestStack } from "./support/stack";
import { e2eSuite } from "./support/toolchain";

/** The program: a CRD, a custom resource of it, a ConfigMap and a Deployment nothing will run. */
function program(cluster: LocalCluster, size: number) {
  return async () => {
    await registerNoControllers();
    const provider = new k8s.Provider("local", { kubeconfig: cluster.kubeconfig });
    const opts = { provider };
    const crd = new k8s.apiextensions.v1.CustomResourceDefinition(
      "widgets",
      {
        metadata: { name: "widgets.e2e.example.com" },
        spec: {
          group: "e2e.example.com",
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: {
                      type: "object",
                      required: ["size"],
                      properties: { size: { type: "integer", minimum: 1, maximum: 10 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
      opts,
    );
    new k8s.apiextensions.CustomResource(
      "widget",
      {
        apiVersion: "e2e.example.com/v1",
        kind: "Widget",
        metadata: { name: "gear", namespace: "default" },
        spec: { size },
      },
      { provider, dependsOn: [crd] },
    );
    const settings = new k8s.core.v1.ConfigMap(
      "settings",
      { metadata: { name: "settings", namespace: "default" }, data: { mode: "strict" } },
      opts,
    );
    new k8s.apps.v1.Deployment(
      "idle",
      {
        // No kubelet runs it: the provider must not wait for the rollout (see noControllersTransform).
        metadata: { name: "idle", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "idle" } },
          template: {
            metadata: { labels: { app: "idle" } },
            spec: { containers: [{ name: "idle", image: "registry.invalid/idle:1" }] },
          },
        },
      },
      opts,
    );
    return { configMap: settings.metadata.name, secret: pulumi.secret("kept-secret") };
  };
}

e2eSuite("Kubernetes provider against the local API server", (tools) => {
  let cluster: LocalCluster;
  let test: TestStack;
  let size = 3;
  before(async () => {
    cluster = await startCluster(tools);
    test = await createTestStack(tools, {
      projectName: "e2e-provider",
      program: () => program(cluster, size)(),
    });
  });
  after(async () => {
    test?.dispose();
    await cluster?.stop();
  });

  it("up creates every resource, and kubectl sees them", async () => {
    const recorder = stepRecorder();
    const result = await test.stack.up({ onEvent: recorder.onEvent });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(result.summary.resourceChanges, { create: 6 });
    assert.deepEqual(
      recorder.steps.map((s) => `${s.op} ${s.type} ${s.name}`).sort(),
      [
        "create kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition widgets",
        "create kubernetes:apps/v1:Deployment idle",
        "create kubernetes:core/v1:ConfigMap settings",
        "create kubernetes:e2e.example.com/v1:Widget widget",
        "create pulumi:pulumi:Stack e2e-provider-e2e",
        "create pulumi:providers:kubernetes local",
      ].sort(),
    );
    assert.equal(result.outputs.configMap.value, "settings");
    assert.equal(result.outputs.secret.secret, true);
    const widget = JSON.parse(
      await cluster.kubectl(["get", "widget", "gear", "-n", "default", "-o", "json"]),
    ) as {
      spec: unknown;
    };
    assert.deepEqual(widget.spec, { size: 3 });
    assert.equal(
      (
        await cluster.kubectl([
          "get",
          "configmap",
          "settings",
          "-n",
          "default",
          "-o",
          "jsonpath={.data.mode}",
        ])
      ).trim(),
      "strict",
    );
    assert.equal(
      (await cluster.kubectl(["get", "deployment", "idle", "-n", "default", "-o", "name"])).trim(),
      "deployment.apps/idle",
    );
  });

  it("a second up changes nothing", async () => {
    const preview = await test.stack.preview({ expectNoChanges: true });
    assert.deepEqual(preview.changeSummary, { same: 6 });
    const result = await test.stack.up({ expectNoChanges: true });
    assert.deepEqual(result.summary.resourceChanges, { same: 6 });
  });

  it("the API server's CRD validation rejects a custom resource, and up fails with its message", async () => {
    size = 11;
    await assert.rejects(test.stack.up(), (err: Error) => {
      assert.match(
        err.message,
        /spec\.size: Invalid value: 11: spec\.size in body should be less than or equal to 10/,
      );
      return true;
    });
    size = 3;
    const widget = JSON.parse(
      await cluster.kubectl(["get", "widget", "gear", "-n", "default", "-o", "json"]),
    ) as {
      spec: unknown;
    };
    assert.deepEqual(widget.spec, { size: 3 });
  });

  it("destroy removes everything", async () => {
    const result = await test.stack.destroy();
    assert.deepEqual(result.summary.resourceChanges, { delete: 6 });
    assert.equal(
      (await cluster.kubectl(["get", "configmaps,deployments", "-n", "default", "-o", "name"])).includes(
        "settings",
      ),
      false,
    );
    assert.equal((await cluster.kubectl(["get", "deployments", "-n", "default", "-o", "name"])).trim(), "");
    await assert.rejects(cluster.kubectl(["get", "crd", "widgets.e2e.example.com"]), /NotFound|not found/);
  });
});
