// The local control plane: kube-apiserver serves with our certificate and token, stores and
// validates custom resources against their CRD's schema, and leaves nothing behind when stopped.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, it } from "node:test";
import { startCluster, waitForEstablished, type LocalCluster } from "./support/cluster";
import { e2eSuite } from "./support/toolchain";

/** A CRD of our own, so this suite does not depend on the project's generated CRDs. */
const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
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
};

function widget(name: string, size: number): string {
  return JSON.stringify({
    apiVersion: "e2e.example.com/v1",
    kind: "Widget",
    metadata: { name, namespace: "default" },
    spec: { size },
  });
}

e2eSuite(
  "local control plane",
  (tools) => {
    let cluster: LocalCluster;
    before(async () => {
      cluster = await startCluster(tools);
    });
    after(async () => {
      await cluster?.stop();
    });

    it("serves the Kubernetes release of the toolchain over TLS with a token", async () => {
      const version = JSON.parse(await cluster.kubectl(["get", "--raw", "/version"])) as {
        gitVersion: string;
      };
      assert.equal(version.gitVersion, `v${tools.kubernetesVersion}`);
      await assert.rejects(
        cluster.kubectl(["--token=not-the-token", "get", "namespaces"]),
        /error: You must be logged in to the server \(the server has asked for the client to provide credentials\)$/,
      );
    });

    it("accepts a CRD and a custom resource that its schema allows", async () => {
      await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(widgetCrd));
      await waitForEstablished((args) => cluster.kubectl(args), ["crd/widgets.e2e.example.com"]);
      assert.equal(
        (await cluster.kubectl(["apply", "-f", "-"], widget("small", 3))).trim(),
        "widget.e2e.example.com/small created",
      );
      const stored = JSON.parse(
        await cluster.kubectl(["get", "widget", "small", "-n", "default", "-o", "json"]),
      ) as {
        spec: unknown;
      };
      assert.deepEqual(stored.spec, { size: 3 });
    });

    it("rejects a custom resource that the CRD schema forbids, naming the field", async () => {
      await assert.rejects(cluster.kubectl(["apply", "-f", "-"], widget("huge", 11)), {
        message:
          'kubectl apply -f - failed: The Widget "huge" is invalid: spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
      });
      await assert.rejects(cluster.kubectl(["get", "widget", "huge", "-n", "default"]), /NotFound|not found/);
    });

    it("stops every process and removes its directory", async () => {
      const dir = dirname(cluster.kubeconfigPath);
      assert.ok(existsSync(dir));
      await cluster.stop();
      assert.equal(existsSync(dir), false);
      for (const pid of cluster.pids) {
        assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
      }
    });
  },
  ["kubernetes", "etcd"],
);
