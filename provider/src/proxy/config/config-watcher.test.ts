import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigWatcher } from "./config-watcher";

/** Resolves at the watcher's next callback; rejects after `ms`. */
function nextChange(changes: (() => void)[], ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no change seen")), ms);
    changes.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A mounted ConfigMap as Kubernetes' atomic writer lays it out: the data in a timestamped
 * directory, `..data` linking to it, and each file a link through `..data`. An update writes a new
 * directory, swaps `..data` by rename and removes the old directory.
 */
function configMapVersion(root: string, version: string, text: string): void {
  const data = join(root, `..${version}`);
  mkdirSync(data);
  writeFileSync(join(data, "gateway.yaml"), text);
  symlinkSync(`..${version}`, join(root, "..data_tmp"));
  renameSync(join(root, "..data_tmp"), join(root, "..data"));
}

describe("ConfigWatcher", () => {
  const root = mkdtempSync(join(tmpdir(), "igw-watch-"));
  const watchers: ConfigWatcher[] = [];
  after(() => {
    for (const w of watchers) w.close();
    rmSync(root, { recursive: true, force: true });
  });
  const start = (path: string): (() => void)[] => {
    const waiting: (() => void)[] = [];
    watchers.push(
      new ConfigWatcher(
        [path],
        20,
        () => waiting.shift()?.(),
        () => {},
      ),
    );
    return waiting;
  };

  it("sees a ConfigMap's file change when Kubernetes swaps its ..data link", async () => {
    const mount = join(root, "mount");
    mkdirSync(mount);
    configMapVersion(mount, "2026_11_27_1", "one");
    symlinkSync(join("..data", "gateway.yaml"), join(mount, "gateway.yaml"));
    const changes = start(join(mount, "gateway.yaml"));
    for (const version of ["2026_11_27_2", "2026_11_27_3"]) {
      const seen = nextChange(changes);
      configMapVersion(mount, version, version);
      await seen;
    }
  });

  it("watches a mounted ConfigMap directory through its timestamped directories", async () => {
    const mount = join(root, "dir-mount");
    mkdirSync(mount);
    configMapVersion(mount, "2026_11_27_1", "one");
    const changes = start(mount);
    let seen = nextChange(changes);
    configMapVersion(mount, "2026_11_27_2", "two");
    await seen;
    rmSync(join(mount, "..2026_11_27_1"), { recursive: true });
    await new Promise((r) => setTimeout(r, 100));
    // A file written into the newest data directory (its watcher came with the swap).
    seen = nextChange(changes);
    writeFileSync(join(mount, "..2026_11_27_2", "gateway.yaml"), "three");
    await seen;
  });

  it("does not call back for other files beside a watched file", async () => {
    const dir = join(root, "beside");
    mkdirSync(dir);
    writeFileSync(join(dir, "gateway.yaml"), "one");
    let calls = 0;
    watchers.push(
      new ConfigWatcher(
        [join(dir, "gateway.yaml")],
        20,
        () => calls++,
        () => {},
      ),
    );
    writeFileSync(join(dir, "notes.txt"), "unrelated");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls, 0);
    writeFileSync(join(dir, "gateway.yaml"), "two");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls, 1);
  });
});
