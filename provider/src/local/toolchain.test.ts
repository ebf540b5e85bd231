import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { missingTools, readToolsEnv, toolchainAt, toolsCacheRoot } from "./toolchain";

const pins = {
  PULUMI_VERSION: "3.248.0",
  PULUMI_KUBERNETES_VERSION: "4.34.2",
  KUBERNETES_VERSION: "1.36.3",
  ETCD_VERSION: "3.6.16",
};

describe("toolchain", () => {
  it("reads NAME=value lines of tools.env, skipping comments, blanks and lower-case names", () => {
    assert.deepEqual(
      readToolsEnv("# pins\nPULUMI_VERSION=3.248.0\n\n  ETCD_VERSION=3.6.16  \nlower=x\nA_B=\n"),
      {
        PULUMI_VERSION: "3.248.0",
        ETCD_VERSION: "3.6.16",
        A_B: "",
      },
    );
  });

  it("finds the cache where tools.sh puts it", () => {
    const cases: { env: NodeJS.ProcessEnv; root: string }[] = [
      { env: { ISTIO_GATEWAY_TOOLS_CACHE: "/cache", XDG_CACHE_HOME: "/xdg" }, root: "/cache" },
      { env: { XDG_CACHE_HOME: "/xdg" }, root: "/xdg/istio-gateway/tools" },
      { env: {}, root: join(homedir(), ".cache", "istio-gateway", "tools") },
    ];
    for (const c of cases) assert.equal(toolsCacheRoot(c.env), c.root, JSON.stringify(c.env));
  });

  it("lays the tools out by their pinned versions", () => {
    assert.deepEqual(toolchainAt(pins, "/c"), {
      pulumiVersion: "3.248.0",
      pulumiRoot: "/c/pulumi-3.248.0",
      kubernetesPluginVersion: "4.34.2",
      kubernetesPlugin: "/c/pulumi-resource-kubernetes-4.34.2/bin/pulumi-resource-kubernetes",
      kubernetesVersion: "1.36.3",
      kubeApiserver: "/c/kubernetes-1.36.3/bin/kube-apiserver",
      kubectl: "/c/kubernetes-1.36.3/bin/kubectl",
      etcd: "/c/etcd-3.6.16/bin/etcd",
    });
  });

  it("names a pin tools.env lacks", () => {
    assert.throws(() => toolchainAt({ ...pins, ETCD_VERSION: "" }, "/c"), {
      message: "tools.env has no ETCD_VERSION",
    });
  });

  it("lists the executables that are missing or not executable, for the tools asked about", () => {
    const root = mkdtempSync(join(tmpdir(), "igw-toolchain-test-"));
    try {
      const tools = toolchainAt(pins, root);
      const put = (file: string, mode: number) => {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, "#!/bin/sh\n");
        chmodSync(file, mode);
      };
      put(join(tools.pulumiRoot, "bin", "pulumi"), 0o755);
      put(tools.etcd, 0o755);
      put(tools.kubectl, 0o644);
      assert.deepEqual(missingTools(tools), [
        join(tools.pulumiRoot, "bin", "pulumi-language-nodejs"),
        tools.kubernetesPlugin,
        tools.kubeApiserver,
        tools.kubectl,
      ]);
      assert.deepEqual(missingTools(tools, ["etcd"]), []);
      assert.deepEqual(missingTools(tools, ["kubernetes"]), [tools.kubeApiserver, tools.kubectl]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
