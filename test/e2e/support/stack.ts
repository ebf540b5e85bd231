// Pulumi stacks for end-to-end tests: the real CLI from the cached toolchain, a local file://
// backend and a passphrase secrets provider in a temporary directory, and a PULUMI_HOME whose plugin
// cache holds only the Kubernetes plugin built by tools.sh, so the engine never downloads anything.
//
// Programs run inline (in the test process, through the Automation API's language server), so a
// suite can swap programs and watch the engine's events per test; the engine, the state, the
// plugin protocol and the Kubernetes provider are the real ones. root-program.test.ts runs the
// root Pulumi.yaml from its directory through the CLI's language host instead, as users do.
import {
  LocalWorkspace,
  PulumiCommand,
  type ConfigValue,
  type EngineEvent,
  type ProjectSettings,
  type Stack,
} from "@pulumi/pulumi/automation";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Toolchain } from "./toolchain";

/** The passphrase of every test stack: the state is thrown away with its directory. */
export const testPassphrase = "e2e-passphrase";

/** A stack and what it lives in; {@link TestStack.dispose} removes every file. */
export interface TestStack {
  readonly stack: Stack;
  /** The directory holding the backend state, PULUMI_HOME and the workspace. */
  readonly dir: string;
  /** Removes the stack's directory (state included). */
  dispose(): void;
}

/** Options for {@link createTestStack}. */
export interface TestStackOptions {
  /** The project name: config keys without a namespace are read under it. */
  readonly projectName: string;
  readonly stackName?: string;
  /** The program, run in this process on every preview and up. */
  readonly program: () => Promise<Record<string, unknown> | void>;
  /** Environment for the CLI and its plugins, e.g. KUBECONFIG. */
  readonly env?: Record<string, string>;
  /** Stack configuration, `key` as `pulumi config set` takes it (unqualified: the project's). */
  readonly config?: Record<string, string | ConfigValue>;
  /** Pulumi.yaml settings besides name and backend (its `config` schema gives types and defaults). */
  readonly project?: Partial<ProjectSettings>;
}

/** Creates a fresh stack in a temporary directory, backed by the cached CLI and plugin. */
export async function createTestStack(tools: Toolchain, options: TestStackOptions): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), "igw-e2e-stack-"));
  try {
    const home = join(dir, "home");
    const pluginDir = join(home, "plugins", `resource-kubernetes-v${tools.kubernetesPluginVersion}`);
    mkdirSync(pluginDir, { recursive: true });
    symlinkSync(tools.kubernetesPlugin, join(pluginDir, "pulumi-resource-kubernetes"));
    mkdirSync(join(dir, "state"));
    mkdirSync(join(dir, "work"));

    const pulumiCommand = await PulumiCommand.get({ root: tools.pulumiRoot });
    const stack = await LocalWorkspace.createOrSelectStack(
      { projectName: options.projectName, stackName: options.stackName ?? "e2e", program: options.program },
      {
        pulumiCommand,
        pulumiHome: home,
        workDir: join(dir, "work"),
        projectSettings: {
          ...options.project,
          name: options.projectName,
          runtime: "nodejs",
          backend: { url: `file://${join(dir, "state")}` },
        },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: testPassphrase,
          PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          // A provider found on PATH would win over the plugin cache; only ours may be used.
          PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
          ...options.env,
        },
      },
    );
    for (const [key, value] of Object.entries(options.config ?? {})) {
      await stack.setConfig(key, typeof value === "string" ? { value } : value);
    }
    return { stack, dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** One resource step the engine reported: what would happen (or happened) to which resource. */
export interface Step {
  readonly op: string;
  readonly type: string;
  readonly name: string;
}

/** Collects the engine's resource steps from a preview/up/destroy's event stream. */
export function stepRecorder(): { onEvent: (event: EngineEvent) => void; steps: Step[] } {
  const steps: Step[] = [];
  return {
    steps,
    onEvent: (event) => {
      const metadata = event.resourcePreEvent?.metadata;
      if (!metadata) return;
      steps.push({ op: metadata.op, type: metadata.type, name: nameOf(metadata.urn) });
    },
  };
}

/** The resource name at the end of a URN (`urn:pulumi:stack::project::type$type::name`). */
export function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}
