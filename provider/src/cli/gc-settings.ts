/**
 * How V8 collects garbage in a proxy process. A proxy's heap is not the kind V8's defaults are
 * tuned for: nearly everything it allocates belongs to one request and is garbage within
 * milliseconds, and the tail latency of those requests is what a gateway is judged on. Two
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
 *
 * V8 reads both settings each time it collects, so setting them after start-up takes effect. An
 * explicit V8 flag wins: either spelling of a setting in the node command line or NODE_OPTIONS
 * (`--concurrent-marking`, `--no-concurrent_marking`, ...) leaves that setting alone.
 */
import { availableParallelism } from "node:os";
import v8 from "node:v8";

/** One setting the proxy may choose. */
interface GcSetting {
  /** The V8 flag that turns it off, as the proxy sets it. */
  readonly flag: string;
  /** What it means, for the proxy's log. */
  readonly description: string;
  /** Whether the proxy wants it with this many CPUs. */
  readonly wanted: (cpus: number) => boolean;
}

const SETTINGS: readonly GcSetting[] = [
  {
    flag: "--no-allocation-site-pretenuring",
    description: "every object is born young (no allocation-site pretenuring)",
    wanted: () => true,
  },
  {
    flag: "--no-concurrent-marking",
    description: "one CPU: the heap is marked on the event loop's thread",
    wanted: (cpus) => cpus <= 1,
  },
];

/** Whether `args` (node's own options) already give the V8 flag that `flag` turns off. */
function chooses(args: readonly string[], flag: string): boolean {
  const words = flag.replace(/^--no-/, "").split("-");
  const name = new RegExp(`^--(no-)?${words.join("[-_]")}(=|$)`);
  return args.some((a) => name.test(a));
}

/**
 * The V8 flags the proxy sets in a process that can use `cpus` CPUs, started with node options
 * `args`, each with what it means.
 */
export function gcSettingsFor(
  cpus: number,
  args: readonly string[],
): { flag: string; description: string }[] {
  return SETTINGS.filter((s) => s.wanted(cpus) && !chooses(args, s.flag)).map(({ flag, description }) => ({
    flag,
    description,
  }));
}

/** Node's options for this process: its command line's and NODE_OPTIONS'. */
function nodeOptions(): string[] {
  const fromEnv = (process.env["NODE_OPTIONS"] ?? "").split(/\s+/).filter((a) => a !== "");
  return [...process.execArgv, ...fromEnv];
}

/** Sets this process's V8 flags as above; what it set, described for the log. */
export function applyGcSettings(): string[] {
  const settings = gcSettingsFor(availableParallelism(), nodeOptions());
  for (const s of settings) v8.setFlagsFromString(s.flag);
  return settings.map((s) => s.description);
}
