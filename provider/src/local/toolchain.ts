/**
 * The toolchain `test/e2e/tools.sh` builds and caches: the Pulumi CLI with its Node.js language
 * host, the Kubernetes resource plugin, kube-apiserver, kubectl and etcd. This module only finds
 * them (paths from the version pins in tools.env and the cache root tools.sh uses); it never
 * builds or downloads anything.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { toolsEnvPath } from "./checkout";

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
  /** The kube-apiserver binary. */
  readonly kubeApiserver: string;
  /** The kubectl binary. */
  readonly kubectl: string;
  /** The etcd binary. */
  readonly etcd: string;
}

/** Parses tools.env: `NAME=value` lines, `#` comments. */
export function readToolsEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/**
 * The cache root, as tools.sh computes it: `$ISTIO_GATEWAY_TOOLS_CACHE`, else
 * `${XDG_CACHE_HOME:-~/.cache}/istio-gateway/tools`.
 */
export function toolsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ISTIO_GATEWAY_TOOLS_CACHE) return env.ISTIO_GATEWAY_TOOLS_CACHE;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "istio-gateway", "tools");
}

/** The toolchain's paths for the pins in `vars` under the cache `root`, whether or not the files exist. */
export function toolchainAt(vars: Record<string, string>, root: string): Toolchain {
  const version = (name: string): string => {
    const v = vars[name];
    if (!v) throw new Error(`tools.env has no ${name}`);
    return v;
  };
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

/** The toolchain's paths from the checkout's tools.env and the cache root, whether or not the files exist. */
export function toolchainPaths(): Toolchain {
  return toolchainAt(readToolsEnv(readFileSync(toolsEnvPath, "utf8")), toolsCacheRoot());
}

/** A tool of the toolchain, by the name tools.sh builds it under. */
export type ToolName = "pulumi" | "pulumi-resource-kubernetes" | "kubernetes" | "etcd";

/** Every tool. */
export const allTools: readonly ToolName[] = ["pulumi", "pulumi-resource-kubernetes", "kubernetes", "etcd"];

/** The executables of `names` in `tools` that are missing (or not executable). */
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
