// The cached toolchain itself: the CLI the Automation API drives is the release tools.env names,
// and kubectl is the Kubernetes release the API server comes from.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { e2eSuite, readToolsEnv } from "./support/toolchain";

describe("tools.env", () => {
  it("reads NAME=value lines and ignores comments and blank lines", () => {
    assert.deepEqual(
      readToolsEnv("# versions\nPULUMI_VERSION=3.248.0\n\n  ETCD_VERSION=3.6.16  \nlower=x\n"),
      {
        PULUMI_VERSION: "3.248.0",
        ETCD_VERSION: "3.6.16",
      },
    );
  });
});

e2eSuite(
  "cached toolchain",
  (tools) => {
    it("pulumi version prints the CLI release", async () => {
      const pulumi = await PulumiCommand.get({ root: tools.pulumiRoot });
      assert.equal(pulumi.command, join(tools.pulumiRoot, "bin", "pulumi"));
      const printed = execFileSync(pulumi.command, ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      });
      assert.equal(printed, `v${tools.pulumiVersion}\n`);
      assert.equal(pulumi.version?.version, tools.pulumiVersion);
    });

    it("kubectl is the Kubernetes release of the API server", () => {
      const out = execFileSync(tools.kubectl, ["version", "--client", "--output=json"], { encoding: "utf8" });
      const version = (JSON.parse(out) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
      assert.equal(version, `v${tools.kubernetesVersion}`);
    });

    it("the Kubernetes plugin is installed under the version @pulumi/kubernetes asks for", () => {
      const manifest = resolve(__dirname, "../../node_modules/@pulumi/kubernetes/package.json");
      const wanted = (JSON.parse(readFileSync(manifest, "utf8")) as { pulumi: { version: string } }).pulumi
        .version;
      assert.equal(tools.kubernetesPluginVersion, wanted);
    });
  },
  ["pulumi", "kubernetes"],
);
