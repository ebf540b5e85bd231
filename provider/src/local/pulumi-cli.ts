/**
 * The Pulumi CLI from the toolchain, run as a user runs it (`pulumi up` in the program's directory,
 * through the Node.js language host), against a throwaway local setup: a `file://` backend, a
 * passphrase secrets provider and a PULUMI_HOME whose plugin cache holds only the Kubernetes plugin
 * tools.sh built, so the engine never downloads anything. Every run's output goes to one log file;
 * a failed run's error carries its tail.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, renameSync, symlinkSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { hasExited, killByEnvironment, signalGroup, tail } from "./process-group";
import type { Toolchain } from "./toolchain";

/** Options for {@link PulumiCli}. */
export interface PulumiCliOptions {
  /** The toolchain whose CLI, language host and Kubernetes plugin are used. */
  readonly tools: Toolchain;
  /** A directory of the caller's that holds the backend state, PULUMI_HOME, the stack's settings and the log. */
  readonly dir: string;
  /** The project's directory (where Pulumi.yaml is). */
  readonly projectDir: string;
  /** The stack's name. */
  readonly stack: string;
  /** The secrets passphrase of the stack. */
  readonly passphrase: string;
  /** More environment for the CLI and its plugins, e.g. KUBECONFIG. */
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting stops a running command (its whole process group) and makes it reject. */
  readonly signal?: AbortSignal;
}

/** A value for `pulumi config set`. */
export interface ConfigEntry {
  /** The key, unqualified (the project's namespace) or `namespace:key`. */
  readonly key: string;
  /** The value as text (`"true"`, a PEM, ...). */
  readonly value: string;
  /** Stored encrypted. */
  readonly secret?: boolean;
}

/** The environment the CLI runs with: `base` plus the local backend, passphrase and plugin settings. */
export function pulumiEnvironment(
  base: NodeJS.ProcessEnv,
  options: { dir: string; passphrase: string; nodeDir: string; env?: Readonly<Record<string, string>> },
): NodeJS.ProcessEnv {
  return {
    ...base,
    // The language host runs `node`: the one running this command, whatever PATH says.
    PATH: [options.nodeDir, base.PATH ?? ""].filter((p) => p !== "").join(delimiter),
    PULUMI_HOME: join(options.dir, "home"),
    PULUMI_BACKEND_URL: `file://${join(options.dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: options.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // A provider found on PATH would win over the plugin cache; only the toolchain's may be used.
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    ...options.env,
  };
}

/** The Pulumi CLI bound to one stack of one project, with its state in a local directory. */
export class PulumiCli {
  /** The stack's settings file (kept in the caller's directory, not beside Pulumi.yaml). */
  readonly configFile: string;
  /** Where every command's output is appended. */
  readonly logPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly binary: string;

  constructor(private readonly options: PulumiCliOptions) {
    const { tools, dir } = options;
    const pluginDir = join(dir, "home", "plugins", `resource-kubernetes-v${tools.kubernetesPluginVersion}`);
    mkdirSync(pluginDir, { recursive: true });
    if (!existsSync(join(pluginDir, "pulumi-resource-kubernetes"))) {
      symlinkSync(tools.kubernetesPlugin, join(pluginDir, "pulumi-resource-kubernetes"));
    }
    mkdirSync(join(dir, "state"), { recursive: true });
    this.configFile = join(dir, `Pulumi.${options.stack}.yaml`);
    this.logPath = join(dir, "pulumi.log");
    this.binary = join(tools.pulumiRoot, "bin", "pulumi");
    this.env = pulumiEnvironment(process.env, {
      dir,
      passphrase: options.passphrase,
      nodeDir: dirname(process.execPath),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
  }

  /**
   * Creates the stack. The CLI writes a new stack's settings (its encryption salt) beside
   * Pulumi.yaml; they are moved to {@link configFile} at once, so the checkout stays clean.
   */
  async initStack(): Promise<void> {
    await this.run(["stack", "init", this.options.stack, "--secrets-provider", "passphrase"]);
    const written = join(this.options.projectDir, `Pulumi.${this.options.stack}.yaml`);
    if (existsSync(written)) renameSync(written, this.configFile);
  }

  /** Sets configuration: plain values in one command, each secret through stdin (never in a process's arguments). */
  async setConfig(entries: readonly ConfigEntry[]): Promise<void> {
    const plain = entries.filter((e) => e.secret !== true);
    if (plain.length > 0) {
      await this.run([
        "config",
        "set-all",
        ...this.stackArgs(),
        ...plain.flatMap((e) => ["--plaintext", `${e.key}=${e.value}`]),
      ]);
    }
    for (const e of entries.filter((x) => x.secret === true)) {
      await this.run(["config", "set", ...this.stackArgs(), "--secret", e.key], e.value);
    }
  }

  /** `pulumi up --yes --skip-preview`; resolves with its output. */
  async up(): Promise<string> {
    return await this.run(["up", ...this.stackArgs(), "--yes", "--skip-preview", "--suppress-progress"]);
  }

  /** The stack's outputs (secrets shown), as `pulumi stack output --json` prints them. */
  async outputs(): Promise<Record<string, unknown>> {
    const out = await this.run([
      "stack",
      "output",
      "--json",
      "--show-secrets",
      "--stack",
      this.options.stack,
    ]);
    return JSON.parse(out) as Record<string, unknown>;
  }

  private stackArgs(): string[] {
    return ["--stack", this.options.stack, "--config-file", this.configFile];
  }

  /**
   * Runs the CLI in the project's directory, as the leader of a new process group (the language
   * host, the program and the plugins join it, so aborting stops them all). Resolves with stdout;
   * rejects with the log's tail when the command fails.
   */
  async run(args: readonly string[], input?: string): Promise<string> {
    const { signal } = this.options;
    signal?.throwIfAborted();
    const full = [...args, "--non-interactive", "--color", "never"];
    appendFileSync(this.logPath, `$ pulumi ${args.join(" ")}\n`);
    const child = spawn(this.binary, full, {
      cwd: this.options.projectDir,
      env: this.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      appendFileSync(this.logPath, c);
    });
    child.stderr.on("data", (c: Buffer) => appendFileSync(this.logPath, c));
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
    // SIGINT is the CLI's cancel: it stops its plugins (which run in process groups of their own)
    // before it exits. If it has not exited after the grace period, the finally below kills the rest.
    const onAbort = (): void => {
      signalGroup(child, "SIGINT");
      setTimeout(() => signalGroup(child, "SIGKILL"), 10_000).unref();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const code = await new Promise<number | string>((done) => {
        child.once("error", (err) => done(err.message));
        child.once("close", (c, s) => done(c ?? s ?? "unknown"));
      });
      signal?.throwIfAborted();
      if (code !== 0) {
        throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed (${code}):\n${tail(this.logPath, 40)}`);
      }
      return stdout;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (hasExited(child)) signalGroup(child, "SIGKILL");
      // Plugins the CLI left behind (a cancelled or failed run) carry its PULUMI_HOME.
      killByEnvironment(`PULUMI_HOME=${this.env.PULUMI_HOME}`);
    }
  }
}
