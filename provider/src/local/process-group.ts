/**
 * Long-running tools (etcd, kube-apiserver, the Pulumi CLI and its plugins) each run in a process
 * group of their own: Ctrl-C in a terminal then reaches only this command, which stops them in
 * order, and stopping a group also stops the plugins a tool started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

/** Options for {@link startProcess}. */
export interface StartProcessOptions {
  /** Environment of the process (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory (default: this process's). */
  readonly cwd?: string;
}

/** Starts `command` as the leader of a new process group, its stdout and stderr appended to `logPath`. */
export function startProcess(
  command: string,
  args: readonly string[],
  logPath: string,
  options: StartProcessOptions = {},
): ChildProcess {
  const log = openSync(logPath, "a");
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", log, log],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  closeSync(log);
  // A failed spawn also ends in "exit"/"close" handling by the caller; an unhandled "error" would crash.
  child.on("error", () => undefined);
  return child;
}

/** Whether `child` has exited (or was never started). */
export function hasExited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

/** Signals the process group `child` leads; a group already gone is not an error. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Sends SIGTERM to the process group `child` leads, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  signalGroup(child, "SIGTERM");
  const timer = new Promise<"timeout">((done) => setTimeout(() => done("timeout"), graceMs).unref());
  if ((await Promise.race([exited, timer])) === "timeout") {
    signalGroup(child, "SIGKILL");
    await exited;
  }
  // The leader is gone; anything it started and left in its group goes with it.
  signalGroup(child, "SIGKILL");
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Kills (SIGKILL) every process whose environment holds `entry` (`NAME=value`), and returns their
 * ids. Some tools start helpers in process groups of their own (the Pulumi CLI does with its
 * plugins), out of reach of a group signal; they inherit the environment, though. Linux only
 * (reads /proc); elsewhere it finds nothing.
 */
export function killByEnvironment(entry: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((f) => /^\d+$/.test(f) && Number(f) !== process.pid);
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(entry)) continue;
      process.kill(Number(pid), "SIGKILL");
      killed.push(Number(pid));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return killed;
}
