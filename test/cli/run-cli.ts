/** Runs the real `istio-gateway` command in a child process, as users and CI scripts do. */
import { spawn } from "node:child_process";
import { resolve } from "node:path";

/** The repository root. */
export const repoRoot = resolve(__dirname, "../..");

/** Istio's sample YAML, kept beside the repository. */
export const samplesDir = resolve(repoRoot, "../shared/samples");

/** What a run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `istio-gateway ...args` from `cwd` (default the repository root), feeding `stdin`, with `env` (default this process's). */
export function runCli(
  args: string[],
  options: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(repoRoot, "provider/bin/istio-gateway.js"), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
