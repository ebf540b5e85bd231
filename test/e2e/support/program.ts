// Runs a Pulumi program directory (an example: Pulumi.yaml + index.ts) as an inline Automation API
// program, the way the CLI's Node.js language host would run it: the entry module is loaded afresh
// on every preview/up, its exports become the stack outputs, and an exported function is called
// and its result used instead.
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve, sep } from "node:path";
import { parse } from "yaml";

/** What a program directory declares about itself. */
export interface ProgramDir {
  /** The absolute directory. */
  readonly dir: string;
  /** `name` from Pulumi.yaml: unqualified config keys are read under it. */
  readonly projectName: string;
  /** The module the program starts from (`main` in Pulumi.yaml, else index.ts). */
  readonly entry: string;
  /** Pulumi.yaml as parsed. */
  readonly project: Record<string, unknown>;
}

/** Reads `dir/Pulumi.yaml`. */
export function readProgramDir(dir: string): ProgramDir {
  const abs = resolve(dir);
  const project = parse(readFileSync(join(abs, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  if (typeof project.name !== "string") throw new Error(`${abs}/Pulumi.yaml has no name`);
  const main = typeof project.main === "string" ? resolve(abs, project.main) : abs;
  const entry = existsSync(join(main, "index.ts")) ? join(main, "index.ts") : main;
  return { dir: abs, projectName: project.name, entry, project };
}

const load = createRequire(__filename);

/** This repository's provider package (the `istio-gateway` the examples import). */
const providerDir = resolve(__dirname, "../../../provider");

/** Options for {@link programOf}. */
export interface ProgramOptions {
  /** Registers {@link noControllersTransform} before the program runs ({@link registerNoControllers}). */
  readonly noControllers?: boolean;
}

/** The inline program that runs `program` afresh each time the engine asks for it. */
export function programOf(
  program: ProgramDir,
  options: ProgramOptions = {},
): () => Promise<Record<string, unknown>> {
  return async () => {
    if (options.noControllers) await registerNoControllers();
    // The program's modules and this repository's provider package are evaluated again, as in
    // the fresh process the CLI would start for each run: the components keep per-stack module
    // state. Installed packages (@pulumi/* above all, whose runtime the Automation API shares)
    // stay loaded.
    const prefixes = [program.dir + sep, providerDir + sep];
    for (const key of Object.keys(load.cache)) {
      if (key.includes(`${sep}node_modules${sep}`)) continue;
      if (prefixes.some((p) => key.startsWith(p))) delete load.cache[key];
    }
    const exported = load(program.entry) as unknown;
    const outputs = typeof exported === "function" ? await (exported as () => unknown)() : exported;
    return { ...(outputs as Record<string, unknown>) };
  };
}

/**
 * Annotations that suit a control plane with no kubelet and no controller manager:
 * - `pulumi.com/skipAwait`: a Deployment never becomes ready, and the provider would wait for it
 *   until its timeout;
 * - `pulumi.com/deletionPropagationPolicy: background`: the provider deletes in the foreground by
 *   default, which leaves each object behind a finalizer that only the garbage collector removes.
 */
export const noControllersAnnotations: Readonly<Record<string, string>> = {
  "pulumi.com/skipAwait": "true",
  "pulumi.com/deletionPropagationPolicy": "background",
};

/**
 * Registers {@link noControllersTransform} for the running program, and waits until the engine has
 * it. The registration is a call to the engine that Pulumi's runtime does not await: a program
 * that fails before its first resource (which would wait for it) lets the engine end the run with
 * the call in flight, and the failed call then rejects a promise of the runtime with no reason and
 * no handler, which the test runner blames on the test file after its tests have ended.
 */
export async function registerNoControllers(): Promise<void> {
  pulumi.runtime.registerResourceTransform(noControllersTransform);
  await pulumi.runtime.awaitStackRegistrations();
}

/** Adds {@link noControllersAnnotations} to every Kubernetes resource (not to components or providers). */
export const noControllersTransform: pulumi.ResourceTransform = (args) => {
  if (
    args.custom !== true ||
    !args.type.startsWith("kubernetes:") ||
    args.type.startsWith("pulumi:providers:")
  ) {
    return undefined;
  }
  const metadata = pulumi
    .output(args.props.metadata as pulumi.Input<Record<string, unknown> | undefined>)
    .apply((m) => ({
      ...m,
      annotations: { ...(m?.annotations as Record<string, string> | undefined), ...noControllersAnnotations },
    }));
  return { props: { ...args.props, metadata }, opts: args.opts };
};

/**
 * A broken program's component rejects promises nobody awaits once the engine has already failed
 * the run with the error. Pulumi's Node.js language host reports such rejections as the program's
 * error; run inline, they reach the test runner, which would blame the test file for them after
 * the test that asserted on them has ended. Call from a `before` hook (the runner installs its own
 * listener when the first suite starts): InputPropertiesErrors are dropped, anything else still
 * goes to the runner.
 */
export function dropPropertyErrorRejections(): void {
  const runner = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (reason, promise) => {
    if (pulumi.InputPropertiesError.isInstance(reason)) return;
    for (const listener of runner) listener(reason, promise);
  });
}
