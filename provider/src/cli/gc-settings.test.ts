import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { shouldMarkOnEventLoop } from "./gc-marking";

describe("shouldMarkOnEventLoop", () => {
  it("marks on the event loop with one CPU, concurrently with more", () => {
    assert.equal(shouldMarkOnEventLoop(1, []), true);
    assert.equal(shouldMarkOnEventLoop(2, []), false);
    assert.equal(shouldMarkOnEventLoop(64, ["--max-old-space-size=512"]), false);
  });

  it("leaves the choice to an explicit V8 flag, in either spelling", () => {
    for (const flag of [
      "--concurrent-marking",
      "--no-concurrent-marking",
      "--concurrent_marking",
      "--no-concurrent_marking",
    ]) {
      assert.equal(shouldMarkOnEventLoop(1, ["--enable-source-maps", flag]), false, flag);
    }
    // A flag that only begins the same way is not the marking flag.
    assert.equal(shouldMarkOnEventLoop(1, ["--concurrent-marking-high-priority-threads"]), true);
  });
});

describe("markOnEventLoopWhenOneCpu", () => {
  // The CPU count is the process's own (its affinity), so this runs a child pinned to one CPU.
  const taskset = spawnSync("taskset", ["--version"]);
  const skip = taskset.error !== undefined ? "taskset is not installed" : false;
  const run = (args: string[]) =>
    spawnSync(
      "taskset",
      [
        "-c",
        "0",
        process.execPath,
        ...args,
        "--import",
        "tsx",
        "-e",
        'const m = require("./provider/src/cli/gc-marking.ts"); process.stdout.write(String(m.markOnEventLoopWhenOneCpu()))',
      ],
      { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
    );

  it("turns concurrent marking off in a process pinned to one CPU", { skip }, () => {
    const r = run([]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "true");
  });

  it("does not when the node command line chose", { skip }, () => {
    const r = run(["--concurrent-marking"]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "false");
  });
});
