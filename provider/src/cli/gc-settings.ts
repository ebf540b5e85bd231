/**
 * Where V8 marks the old generation in a proxy process that can run on one CPU only.
 *
 * V8 marks concurrently by default: background threads do most of a major collection's marking
 * while JavaScript runs. With a second CPU that is free work. On one CPU (a process pinned with
 * taskset or a cpuset, as a gateway per core is) those threads can only take the event loop's CPU,
 * and the kernel hands it to them in slices of several milliseconds: measured under 64 keep-alive
 * connections, the turns of the event loop during a major collection took 30 to 45 ms, and every
 * request in flight waited that long. Marking incrementally on the event loop's own thread does
 * the same work in steps of a few milliseconds between turns: the longest turns fell to about
 * 20 ms, and the p99 by about a third (test/bench/proxy-builds.sh against `--concurrent-marking`),
 * for about 5% fewer requests a second: the tail is what a gateway is judged on.
 *
 * An explicit V8 flag wins: `--concurrent-marking` or `--no-concurrent-marking` in the node command
 * line or NODE_OPTIONS leaves the choice alone.
 */
import { availableParallelism } from "node:os";
import v8 from "node:v8";

/** Whether `args` (node's own options) already choose the marking mode. */
function choosesMarking(args: readonly string[]): boolean {
  return args.some((a) => /^--(no-)?concurrent[-_]marking(=|$)/.test(a));
}

/**
 * Whether a process that can use `cpus` CPUs, started with node options `args`, should mark on its
 * event loop thread.
 */
export function shouldMarkOnEventLoop(cpus: number, args: readonly string[]): boolean {
  return cpus <= 1 && !choosesMarking(args);
}

/** Node's options for this process: its command line's and NODE_OPTIONS'. */
function nodeOptions(): string[] {
  const fromEnv = (process.env["NODE_OPTIONS"] ?? "").split(/\s+/).filter((a) => a !== "");
  return [...process.execArgv, ...fromEnv];
}

/**
 * Turns V8's concurrent marking off when this process can run on one CPU only (see above); true
 * when it did. V8 reads the setting each time a major collection starts marking, so setting it
 * after start-up takes effect.
 */
export function markOnEventLoopWhenOneCpu(): boolean {
  if (!shouldMarkOnEventLoop(availableParallelism(), nodeOptions())) return false;
  v8.setFlagsFromString("--no-concurrent-marking");
  return true;
}
