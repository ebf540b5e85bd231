// `pulumi preview` of the repository root, as a user runs it: the CLI starts the Node.js program
// that Pulumi.yaml names (the bookinfo example) through its language host, from the directory,
// not inline.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, it } from "node:test";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import type { Stack } from "@pulumi/pulumi/automation";
import { bookinfoPlannedResources } from "./support/bookinfo";
import { stepRecorder, testPassphrase } from "./support/stack";
import { e2eSuite } from "./support/toolchain";

const repoRoot = resolve(__dirname, "../..");

e2eSuite(
  "pulumi preview of the repository root",
  (tools) => {
    let dir: string;
    let stack: Stack;
    const stackName = `e2e-root-${process.pid}`;
    const stackFiles = () => readdirSync(repoRoot).filter((f) => f === `Pulumi.${stackName}.yaml`);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "igw-e2e-root-"));
      const home = join(dir, "home");
      const pluginDir = join(home, "plugins", `resource-kubernetes-v${tools.kubernetesPluginVersion}`);
      mkdirSync(pluginDir, { recursive: true });
      symlinkSync(tools.kubernetesPlugin, join(pluginDir, "pulumi-resource-kubernetes"));
      mkdirSync(join(dir, "state"));
      const backend = `file://${join(dir, "state")}`;
      const workspace = await LocalWorkspace.create({
        workDir: repoRoot,
        pulumiCommand: await PulumiCommand.get({ root: tools.pulumiRoot }),
        pulumiHome: home,
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: testPassphrase,
          PULUMI_BACKEND_URL: backend,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        },
      });
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName, workDir: repoRoot },
        {
          pulumiCommand: workspace.pulumiCommand,
          pulumiHome: home,
          envVars: workspace.envVars,
        },
      );
    });

    after(() => {
      // The CLI may leave the stack's settings file beside Pulumi.yaml; the checkout stays clean.
      for (const f of stackFiles()) rmSync(join(repoRoot, f));
      rmSync(dir, { recursive: true, force: true });
    });

    it("runs the bookinfo example and plans its Gateway, VirtualService and gateway proxy", async () => {
      const recorder = stepRecorder();
      const result = await stack.preview({ onEvent: recorder.onEvent });
      assert.deepEqual(
        recorder.steps
          .filter((s) => s.op === "create")
          .map((s) => `${s.type} ${s.name}`)
          .sort(),
        bookinfoPlannedResources(`istio-gateway-${stackName}`),
      );
      assert.equal(result.changeSummary?.create, 15);
    });
  },
  ["pulumi", "pulumi-resource-kubernetes"],
);
