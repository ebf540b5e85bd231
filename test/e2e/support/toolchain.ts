// Finds the real toolchain that test/e2e/tools.sh builds and caches, and decides what a suite does
// without it: in CI (CI=true) the suite fails, so a missing toolchain can never pass as green;
// elsewhere it is skipped with the reason printed.
import assert from "node:assert/strict";
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

/** Where the cached tools are, as test/e2e/tools.sh lays them out. */
export interface Toolchain {
  /** The Pulumi CLI release, e.g. `3.248.0`. */
  readonly pulumiVersion: string;
  /** The installation root PulumiCommand.get expects: `<root>/bin/pulumi`. */
  readonly pulumiRoot: string;
  /** The Kubernetes resource plugin version the engine is asked for by @pulumi/kubernetes. */
  readonly kubernetesPluginVersion: string;
  /** The plugin binary itself. */
  readonly kubernetesPlugin: string;
  /** The Kubernetes release of kube-apiserver and kubectl, e.g. `1.36.3`. */
  readonly kubernetesVersion: string;
  readonly kubeApiserver: string;
  readonly kubectl: string;
  readonly etcd: string;
}

/** The directory of test/e2e, where tools.env lives. */
const e2eDir = resolve(__dirname, "..");

/** Parses tools.env: `NAME=value` lines, `#` comments. */
export function readToolsEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/** The cache root, as tools.sh computes it. */
function cacheRoot(): string {
  const env = process.env;
  if (env.ISTIO_GATEWAY_TOOLS_CACHE) return env.ISTIO_GATEWAY_TOOLS_CACHE;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "istio-gateway", "tools");
}

/** The toolchain's paths, whether or not the files exist. */
export function toolchainPaths(): Toolchain {
  const vars = readToolsEnv(readFileSync(join(e2eDir, "tools.env"), "utf8"));
  const version = (name: string): string => {
    const v = vars[name];
    assert.ok(v, `tools.env has no ${name}`);
    return v;
  };
  const root = cacheRoot();
  const pulumiRoot = join(root, `pulumi-${version("PULUMI_VERSION")}`);
  const plugin = join(root, `pulumi-resource-kubernetes-${version("PULUMI_KUBERNETES_VERSION")}`);
  const kubernetes = join(root, `kubernetes-${version("KUBERNETES_VERSION")}`);
  return {
    pulumiVersion: version("PULUMI_VERSION"),
    pulumiRoot,
    kubernetesPluginVersion: version("PULUMI_KUBERNETES_VERSION"),
    kubernetesPlugin: join(plugin, "bin", "pulumi-resource-kubernetes"),
    kubernetesVersion: version("KUBERNETES_VERSION"),
    kubeApiserver: join(kubernetes, "bin", "kube-apiserver"),
    kubectl: join(kubernetes, "bin", "kubectl"),
    etcd: join(root, `etcd-${version("ETCD_VERSION")}`, "bin", "etcd"),
  };
}

/** A tool of the toolchain, by the name tools.sh builds it under. */
export type ToolName = "pulumi" | "pulumi-resource-kubernetes" | "kubernetes" | "etcd";

/** Every tool. */
export const allTools: readonly ToolName[] = ["pulumi", "pulumi-resource-kubernetes", "kubernetes", "etcd"];

/** The executables of `names` in `tools` that are missing. */
export function missingTools(tools: Toolchain, names: readonly ToolName[] = allTools): string[] {
  const files: Record<ToolName, string[]> = {
    pulumi: [
      join(tools.pulumiRoot, "bin", "pulumi"),
      join(tools.pulumiRoot, "bin", "pulumi-language-nodejs"),
    ],
    "pulumi-resource-kubernetes": [tools.kubernetesPlugin],
    kubernetes: [tools.kubeApiserver, tools.kubectl],
    etcd: [tools.etcd],
  };
  return names
    .flatMap((n) => files[n])
    .filter((f) => {
      try {
        accessSync(f, constants.X_OK);
        return false;
      } catch {
        return true;
      }
    });
}

/**
 * Declares an end-to-end suite that needs the tools `needs`. With them in place `body` runs as a `describe` block;
 * without it the suite fails under CI=true and is skipped elsewhere, the reason printed either way.
 */
export function e2eSuite(
  name: string,
  body: (tools: Toolchain) => void,
  needs: readonly ToolName[] = allTools,
): void {
  const tools = toolchainPaths();
  const missing = missingTools(tools, needs);
  if (missing.length === 0) {
    describe(name, () => body(tools));
    return;
  }
  const reason = `the end-to-end toolchain is not built (run test/e2e/tools.sh); missing: ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has the end-to-end toolchain", () => assert.fail(reason));
    });
    return;
  }
  console.log(`skipping ${name}: ${reason}`);
  describe(name, { skip: reason }, () => body(tools));
}
