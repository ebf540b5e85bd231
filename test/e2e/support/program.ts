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
}

/** Reads `dir/Pulumi.yaml`. */
export function readProgramDir(dir: string): ProgramDir {
  const abs = resolve(dir);
  const project = parse(readFileSync(join(abs, "Pulumi.yaml"), "utf8")) as { name?: unknown; main?: unknown };
  if (typeof project.name !== "string") throw new Error(`${abs}/Pulumi.yaml has no name`);
  const main = typeof project.main === "string" ? resolve(abs, project.main) : abs;
  const entry = existsSync(join(main, "index.ts")) ? join(main, "index.ts") : main;
  return { dir: abs, projectName: project.name, entry };
}

const load = createRequire(__filename);

/** Options for {@link programOf}. */
export interface ProgramOptions {
  /**
   * Annotates every Kubernetes resource with `pulumi.com/skipAwait: "true"`: with no kubelet and no
   * controllers, a Deployment never becomes ready and the provider would wait for it until timeout.
   */
  readonly skipAwait?: boolean;
}

/** The inline program that runs `program` afresh each time the engine asks for it. */
export function programOf(
  program: ProgramDir,
  options: ProgramOptions = {},
): () => Promise<Record<string, unknown>> {
  return async () => {
    if (options.skipAwait) pulumi.runtime.registerResourceTransform(skipAwaitTransform);
    // Modules of the program directory are evaluated again, as in a fresh process; shared
    // libraries (the provider package, @pulumi/*) stay loaded, as their state is per-run anyway.
    const prefix = program.dir + sep;
    for (const key of Object.keys(load.cache)) {
      if (key.startsWith(prefix) && !key.includes(`${sep}node_modules${sep}`)) delete load.cache[key];
    }
    const exported = load(program.entry) as unknown;
    const outputs = typeof exported === "function" ? await (exported as () => unknown)() : exported;
    return { ...(outputs as Record<string, unknown>) };
  };
}

/** Adds the skipAwait annotation to Kubernetes resources (not to components or providers). */
export const skipAwaitTransform: pulumi.ResourceTransform = (args) => {
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
      annotations: {
        ...(m?.annotations as Record<string, string> | undefined),
        "pulumi.com/skipAwait": "true",
      },
    }));
  return { props: { ...args.props, metadata }, opts: args.opts };
};
