/**
 * How V8 collects garbage in a proxy process. A proxy's heap is not the kind V8's defaults are
 * tuned for: nearly everything it allocates belongs to one request and is garbage within
 * milliseconds, and the tail latency of those requests is what a gateway is judged on. Three
 * defaults work against that, and the proxy changes them when it starts.
 *
 * - **Allocation-site pretenuring, always off.** V8 watches where objects are allocated, and when
 *   most objects from one place in the code survive a young collection it allocates that place's
 *   objects in the old generation from then on. A proxy trips it: 64 new connections, or the first
 *   requests on them, are all alive when a collection comes, so the code that makes a request's
 *   objects (its head, its body stream, its exchange) looked long-lived, and every later request's
 *   objects were born old, to be found only by a major collection. Measured under 64 keep-alive
 *   connections (`node --trace-gc-nvp`): 217 KB promoted to the old generation per young collection
 *   against 14 KB without pretenuring, 341 KB copied against 138 KB, young collections of 2.7 ms
 *   against 1.4 ms, and a major collection every few seconds against none in the run. In
 *   alternating runs (test/bench/proxy-builds.sh), wrk's p99 was 11.7 ms against 13.1 ms, and
 *   13.3 ms against 19.1 ms.
 * - **Concurrent marking, off on one CPU.** V8 marks concurrently by default: background threads do
 *   most of a major collection's marking while JavaScript runs. With a second CPU that is free
 *   work. On one CPU (a process pinned with taskset or a cpuset, as a gateway per core is) those
 *   threads can only take the event loop's CPU, and the kernel hands it to them in slices of
 *   several milliseconds: measured under 64 keep-alive connections, the turns of the event loop
 *   during a major collection took 30 to 45 ms, and every request in flight waited that long.
 *   Marking incrementally on the event loop's own thread does the same work in steps of a few
 *   milliseconds between turns: the longest turns fell to about 20 ms, and the p99 by about a
 *   third, for about 5% fewer requests a second.
 * - **No helper threads, on one CPU.** Beyond marking, V8 hands parts of every young collection
 *   (parallel scavenging, sweeping the ArrayBuffers that died) and of a major collection's pause
 *   (sweeping, compaction, pointer updates) to background threads. On one CPU they too can only
 *   take the event loop's CPU: `perf sched` counted 150 to 200 such preemptions of the event loop a
 *   second under the benchmark's load, of up to 5 ms each, and a collection waits for all its
 *   helpers. Done on the event loop's thread alone, as V8's `--single-threaded-gc` would (less its
 *   parallel marking, which V8 aborts on when it changes after start-up), a collection-heavy
 *   workload pinned to one CPU took about a tenth less CPU in all. Under wrk's 64 connections, five
 *   alternating runs (test/bench/proxy-builds.sh; two with `--single-threaded-gc` itself, one with
 *   the young collections' two flags alone) measured the p99 at 0.89x, 0.93x, 0.92x, 1.07x and 0.94x the default's, at the same requests a
 *   second: a gain of a few percent at most, within this machine's noise, for work that on one CPU
 *   can only be done by taking turns with the event loop.
 *
 * V8 reads these settings each time it collects, so setting them after start-up takes effect. An
 * explicit V8 flag wins: either spelling of a flag in the node command line or NODE_OPTIONS
 * (`--concurrent-marking`, `--no-concurrent_marking`, ...) leaves that flag alone, and
 * `--single-threaded-gc` (or `--single-threaded`), either way, leaves both one-CPU settings alone.
 */
import { availableParallelism } from "node:os";
import v8 from "node:v8";

/** One setting the proxy may choose. */
interface GcSetting {
  /** The V8 flags that turn it off, as the proxy sets them. */
  readonly flags: readonly string[];
  /** What it means, for the proxy's log. */
  readonly description: string;
  /** Whether the proxy wants it with this many CPUs. */
  readonly wanted: (cpus: number) => boolean;
  /** V8 flags that decide it too (`--single-threaded-gc` implies it): given, the setting is left alone. */
  readonly decidedBy?: readonly string[];
}

/** The flags that turn V8's GC threads off wholesale. */
const SINGLE_THREADED = ["--single-threaded-gc", "--single-threaded"];

const SETTINGS: readonly GcSetting[] = [
  {
    flags: ["--no-allocation-site-pretenuring"],
    description: "every object is born young (no allocation-site pretenuring)",
    wanted: () => true,
  },
  {
    flags: ["--no-concurrent-marking"],
    description: "one CPU: the heap is marked on the event loop's thread",
    wanted: (cpus) => cpus <= 1,
    decidedBy: SINGLE_THREADED,
  },
  {
    // Not --no-parallel-marking: V8 aborts when it changes after start-up.
    flags: [
      "--no-parallel-scavenge",
      "--no-concurrent-array-buffer-sweeping",
      "--no-concurrent-sweeping",
      "--no-parallel-compaction",
      "--no-parallel-pointer-update",
    ],
    description: "one CPU: collections run on the event loop's thread, without helper threads",
    wanted: (cpus) => cpus <= 1,
    decidedBy: SINGLE_THREADED,
  },
];

/** Whether `args` (node's own options) already give V8 flag `flag`, or its opposite (`--no-...`). */
function chooses(args: readonly string[], flag: string): boolean {
  const words = flag.replace(/^--(no-)?/, "").split("-");
  const name = new RegExp(`^--(no-)?${words.join("[-_]")}(=|$)`);
  return args.some((a) => name.test(a));
}

/**
 * The settings the proxy makes in a process that can use `cpus` CPUs, started with node options
 * `args`: each with the V8 flags to set (those `args` do not give already) and what it means.
 */
export function gcSettingsFor(
  cpus: number,
  args: readonly string[],
): { flags: string[]; description: string }[] {
  return SETTINGS.filter((s) => s.wanted(cpus) && !(s.decidedBy ?? []).some((f) => chooses(args, f)))
    .map(({ flags, description }) => ({ flags: flags.filter((f) => !chooses(args, f)), description }))
    .filter((s) => s.flags.length > 0);
}

/** Node's options for this process: its command line's and NODE_OPTIONS'. */
function nodeOptions(): string[] {
  const fromEnv = (process.env["NODE_OPTIONS"] ?? "").split(/\s+/).filter((a) => a !== "");
  return [...process.execArgv, ...fromEnv];
}

/** Sets this process's V8 flags as above; what it set, described for the log. */
export function applyGcSettings(): string[] {
  const settings = gcSettingsFor(availableParallelism(), nodeOptions());
  for (const s of settings) for (const flag of s.flags) v8.setFlagsFromString(flag);
  return settings.map((s) => s.description);
}
