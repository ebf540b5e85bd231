import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { gcSettingsFor } from "./gc-settings";

const PRETENURING = "--no-allocation-site-pretenuring";
const MARKING = "--no-concurrent-marking";
const HELPERS = [
  "--no-parallel-scavenge",
  "--no-concurrent-array-buffer-sweeping",
  "--no-concurrent-sweeping",
  "--no-parallel-compaction",
  "--no-parallel-pointer-update",
];
const flagsFor = (cpus: number, args: string[] = []) => gcSettingsFor(cpus, args).flatMap((s) => s.flags);

describe("gcSettingsFor", () => {
  it("turns pretenuring off always, and concurrent marking and helper threads off with one CPU", () => {
    assert.deepEqual(flagsFor(1), [PRETENURING, MARKING, ...HELPERS]);
    assert.deepEqual(flagsFor(2), [PRETENURING]);
    assert.deepEqual(flagsFor(64, ["--max-old-space-size=512"]), [PRETENURING]);
  });

  it("leaves each flag to an explicit V8 flag, in either spelling", () => {
    for (const flag of [
      "--concurrent-marking",
      "--no-concurrent-marking",
      "--concurrent_marking",
      "--no-concurrent_marking",
    ]) {
      assert.deepEqual(flagsFor(1, ["--enable-source-maps", flag]), [PRETENURING, ...HELPERS], flag);
    }
    for (const flag of ["--allocation-site-pretenuring", "--no-allocation_site_pretenuring"]) {
      assert.deepEqual(flagsFor(1, [flag]), [MARKING, ...HELPERS], flag);
    }
    // V8's switches for all its GC threads decide both one-CPU settings.
    for (const flag of ["--single-threaded-gc", "--no-single_threaded_gc", "--single-threaded"]) {
      assert.deepEqual(flagsFor(1, [flag]), [PRETENURING], flag);
    }
    // One helper flag given leaves the others to the setting.
    assert.deepEqual(flagsFor(1, ["--parallel_scavenge"]), [PRETENURING, MARKING, ...HELPERS.slice(1)]);
    // A flag that only begins the same way is not the setting's.
    assert.deepEqual(flagsFor(1, ["--concurrent-marking-high-priority-threads"]), [
      PRETENURING,
      MARKING,
      ...HELPERS,
    ]);
  });

  it("describes each setting for the log", () => {
    assert.deepEqual(
      gcSettingsFor(1, []).map((s) => s.description),
      [
        "every object is born young (no allocation-site pretenuring)",
        "one CPU: the heap is marked on the event loop's thread",
        "one CPU: collections run on the event loop's thread, without helper threads",
      ],
    );
  });
});

describe("applyGcSettings", () => {
  // What V8 does with the settings, seen in child processes: node's options and the CPUs a process
  // may use are its own.
  const taskset = spawnSync("taskset", ["--version"]);
  const noTaskset = taskset.error !== undefined ? "taskset is not installed" : false;
  const node = (args: string[], script: string, pin = false) =>
    spawnSync(
      pin ? "taskset" : process.execPath,
      [...(pin ? ["-c", "0", process.execPath] : []), ...args, "--import", "tsx", "-e", script],
      { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
    );
  const APPLY = 'const set = require("./provider/src/cli/gc-settings.ts").applyGcSettings();';

  it(
    "makes every setting in a process pinned to one CPU, and none whose flags node's command line gives",
    { skip: noTaskset },
    () => {
      const r = node([], `${APPLY} process.stdout.write(JSON.stringify(set))`, true);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, JSON.stringify(gcSettingsFor(1, []).map((s) => s.description)));
      const chosen = node(
        ["--concurrent-marking", "--allocation-site-pretenuring", "--single-threaded-gc"],
        `${APPLY} process.stdout.write(JSON.stringify(set))`,
        true,
      );
      assert.equal(chosen.stderr, "");
      assert.equal(chosen.stdout, "[]");
    },
  );

  // Objects from one place in the code all survive young collections (a burst of new connections'
  // first requests), then die at once (every request after). With pretenuring V8 now allocates
  // that place's objects in the old generation; the settings keep them young. A semi-space of
  // 1 MB reaches its maximum, where V8 takes pretenuring decisions, within the burst. The process
  // is single-threaded so that those decisions do not hang on when background threads happen to
  // run: with them, about one run in eight saw V8 not pretenure at all.
  const workload = `
    function make(i) { return { a: i, b: [i, i], c: { d: i } }; }
    let burst = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20000; i++) burst.push(make(i));
      for (let i = 0; i < 200000; i++) new Array(8);
    }
    burst = null;
    for (let i = 0; i < 300000; i++) new Array(8);
    let young = 0;
    for (let i = 0; i < 1000; i++) if (%InYoungGeneration(make(i))) young++;
    process.stdout.write(String(young));`;
  const v8Args = ["--allow-natives-syntax", "--max-semi-space-size=1", "--single-threaded"];

  it("keeps short-lived objects young where V8 would have pretenured them", () => {
    const by = node(v8Args, workload);
    assert.equal(by.stderr, "");
    assert.equal(by.stdout, "0", "V8's own pretenuring allocates them old (else this test shows nothing)");
    const set = node(v8Args, `${APPLY} ${workload}`);
    assert.equal(set.stderr, "");
    assert.equal(set.stdout, "1000");
  });

  // Young collections of a heap with many survivors, in a process pinned to one CPU: by default
  // V8's helper threads do much of the work, with the settings the event loop's thread does it.
  // CPU time per thread comes from /proc (clock ticks), the event loop's thread being the one whose
  // id is the process's.
  const collections = `
    const fs = require("node:fs");
    const ticks = () => {
      let main = 0, helpers = 0;
      for (const t of fs.readdirSync("/proc/self/task")) {
        const f = fs.readFileSync("/proc/self/task/" + t + "/stat", "utf8").split(") ")[1].split(" ");
        const n = Number(f[11]) + Number(f[12]);
        if (t === String(process.pid)) main += n; else helpers += n;
      }
      return { main, helpers };
    };
    const before = ticks();
    let kept = [];
    for (let round = 0; round < 200; round++) {
      const a = [];
      for (let i = 0; i < 50000; i++) a.push({ i, s: "x" + i, b: Buffer.allocUnsafe(16) });
      kept.push(a);
      if (kept.length > 3) kept.shift();
    }
    const after = ticks();
    process.stdout.write(JSON.stringify({ main: after.main - before.main, helpers: after.helpers - before.helpers }));`;

  it("runs collections on the event loop's thread alone on one CPU", { skip: noTaskset }, () => {
    const by = node([], collections, true);
    assert.equal(by.stderr, "");
    const byV8 = JSON.parse(by.stdout) as { main: number; helpers: number };
    assert.ok(
      byV8.helpers * 4 > byV8.main,
      `V8's helpers do a share of the work (else this shows nothing): ${by.stdout}`,
    );
    const set = node([], `${APPLY} ${collections}`, true);
    assert.equal(set.stderr, "");
    const bySettings = JSON.parse(set.stdout) as { main: number; helpers: number };
    assert.ok(bySettings.helpers * 20 < bySettings.main, `helpers stay idle: ${set.stdout}`);
  });
});
