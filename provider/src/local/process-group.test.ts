import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hasExited, killByEnvironment, startProcess, stopProcess, tail } from "./process-group";

/** Whether `pid` runs: a zombie (exited, not yet reaped by whatever adopted it) does not. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("process group", () => {
  const dir = mkdtempSync(join(tmpdir(), "igw-process-group-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("logs a process's output and stops its whole group, children included", async () => {
    const log = join(dir, "group.log");
    // The shell starts a child of its own and reports its pid; stopping the group must end both.
    const child = startProcess("sh", ["-c", 'sleep 60 & echo "child $!"; wait'], log);
    let childPid = 0;
    for (let i = 0; i < 100 && childPid === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      childPid = Number(/child (\d+)/.exec(readFileSync(log, "utf8"))?.[1] ?? 0);
    }
    assert.ok(childPid > 0 && alive(childPid), "the grandchild runs");
    await stopProcess(child, 5_000);
    assert.equal(hasExited(child), true);
    for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(childPid), false, "the grandchild is gone too");
  });

  it("kills a group that ignores SIGTERM once the grace period is over", async () => {
    const log = join(dir, "stubborn.log");
    const child = startProcess("sh", ["-c", 'trap "" TERM; echo trapped; while :; do sleep 0.1; done'], log);
    for (let i = 0; i < 100 && !readFileSync(log, "utf8").includes("trapped"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const start = Date.now();
    await stopProcess(child, 300);
    assert.equal(child.signalCode, "SIGKILL");
    assert.ok(Date.now() - start >= 300, "waited for the grace period first");
  });

  it("kills the processes whose environment holds an entry, and only those", async () => {
    const mark = `IGW_PROCESS_GROUP_TEST=${process.pid}-${Date.now()}`;
    const [name, value] = mark.split("=") as [string, string];
    const marked = startProcess("sleep", ["60"], join(dir, "marked.log"), {
      env: { ...process.env, [name]: value },
    });
    const other = startProcess("sleep", ["60"], join(dir, "other.log"));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const exited = new Promise((done) => marked.once("exit", done));
      assert.deepEqual(killByEnvironment(mark), [marked.pid]);
      await exited;
      assert.equal(marked.signalCode, "SIGKILL");
      assert.equal(hasExited(other), false);
    } finally {
      await stopProcess(other, 1_000);
    }
  });

  it("shows the last lines of a log, or says there is none", () => {
    const log = join(dir, "tail.log");
    const child = startProcess("sh", ["-c", "seq 1 50"], log);
    return new Promise<void>((done) =>
      child.once("exit", () => {
        assert.equal(tail(log, 3), "48\n49\n50");
        assert.equal(tail(join(dir, "absent.log")), "(no log)");
        done();
      }),
    );
  });
});
