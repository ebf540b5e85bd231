import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { gcSettingsFor } from "./gc-settings";

const PRETENURING = "--no-allocation-site-pretenuring";
const MARKING = "--no-concurrent-marking";
const flagsFor = (cpus: number, args: string[] = []) => gcSettingsFor(cpus, args).map((s) => s.flag);

describe("gcSettingsFor", () => {
  it("turns pretenuring off always, and concurrent marking off with one CPU", () => {
    assert.deepEqual(flagsFor(1), [PRETENURING, MARKING]);
    assert.deepEqual(flagsFor(2), [PRETENURING]);
    assert.deepEqual(flagsFor(64, ["--max-old-space-size=512"]), [PRETENURING]);
  });

  it("leaves each setting to an explicit V8 flag, in either spelling", () => {
    for (const flag of [
      "--concurrent-marking",
      "--no-concurrent-marking",
      "--concurrent_marking",
      "--no-concurrent_marking",
    ]) {
      assert.deepEqual(flagsFor(1, ["--enable-source-maps", flag]), [PRETENURING], flag);
    }
    for (const flag of ["--allocation-site-pretenuring", "--no-allocation_site_pretenuring"]) {
      assert.deepEqual(flagsFor(1, [flag]), [MARKING], flag);
    }
    // A flag that only begins the same way is not the setting's.
    assert.deepEqual(flagsFor(1, ["--concurrent-marking-high-priority-threads"]), [PRETENURING, MARKING]);
  });

  it("describes each setting for the log", () => {
    assert.deepEqual(
      gcSettingsFor(1, []).map((s) => s.description),
      [
        "every object is born young (no allocation-site pretenuring)",
        "one CPU: the heap is marked on the event loop's thread",
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
    "sets both in a process pinned to one CPU, and neither that node's command line gives",
    { skip: noTaskset },
    () => {
      const r = node([], `${APPLY} process.stdout.write(JSON.stringify(set))`, true);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, JSON.stringify(gcSettingsFor(1, []).map((s) => s.description)));
      const chosen = node(
        ["--concurrent-marking", "--allocation-site-pretenuring"],
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
  // 1 MB reaches its maximum, where V8 takes pretenuring decisions, within the burst.
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
  const v8Args = ["--allow-natives-syntax", "--max-semi-space-size=1"];

  it("keeps short-lived objects young where V8 would have pretenured them", () => {
    const by = node(v8Args, workload);
    assert.equal(by.stderr, "");
    assert.equal(by.stdout, "0", "V8's own pretenuring allocates them old (else this test shows nothing)");
    const set = node(v8Args, `${APPLY} ${workload}`);
    assert.equal(set.stderr, "");
    assert.equal(set.stdout, "1000");
  });
});
