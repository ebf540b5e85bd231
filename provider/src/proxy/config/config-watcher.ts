/**
 * Watches configuration files and directories and calls back once per burst of changes
 * (debounced), as editors and `kubectl`-style tools write files in several steps. A file is
 * watched through its directory, so a file replaced by rename (how most editors and `sed -i` save)
 * is still seen. A directory is watched with every directory below it, each on its own watcher.
 *
 * Why not `fs.watch(dir, { recursive: true })`: on Linux, Node.js 20 builds it in JavaScript over a
 * watch per file, and a file replaced by rename drops out of it: the first such save is seen, the
 * next changes to that file are not.
 */
import { existsSync, readdirSync, statSync, watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Debounced watcher over configuration paths. */
export class ConfigWatcher {
  /** One watcher per directory of a watched tree, by absolute path. */
  private readonly watchers = new Map<string, FSWatcher>();
  /** The watched directories given as paths, whose trees are listed again as changes are taken. */
  private readonly roots: string[] = [];
  /** The watchers of the directories of watched files. */
  private readonly fileDirs: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private seen = 0;

  constructor(
    paths: readonly string[],
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly log: (line: string) => void,
  ) {
    for (const p of paths) {
      const abs = resolve(p);
      try {
        if (existsSync(abs) && statSync(abs).isDirectory()) this.watchTree(abs);
        else {
          // The file itself, or Kubernetes' atomic writer swapping the `..data` link a mounted
          // ConfigMap's files point through.
          const file = basename(abs);
          const w = this.watchDir(
            dirname(abs),
            (name) => name === null || name === file || name.startsWith(".."),
          );
          if (w !== undefined) this.fileDirs.push(w);
        }
      } catch (err) {
        log(`cannot watch ${JSON.stringify(p)}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * How many changes have been seen so far, counted as they happen rather than debounced. A reader
   * that finds it grown while it read the files knows it may have read one half written.
   */
  get changes(): number {
    return this.seen;
  }

  /**
   * Watches `root` and the directories below it. Any change in them may change the configuration
   * (a file, a directory of files, a link swapped); one that leaves it as it was is a reload that
   * changes nothing. Directories that come or go are found when the change is taken, once per burst.
   */
  private watchTree(root: string): void {
    this.roots.push(root);
    this.syncTree(root);
  }

  /** Watches every directory below `root` not yet watched, and stops watching those gone. */
  private syncTree(root: string): void {
    const present = new Set<string>();
    const walk = (dir: string): void => {
      present.add(dir);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    };
    walk(root);
    for (const [dir, w] of this.watchers) {
      if (!present.has(dir) && isWithin(root, dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of present) {
      if (this.watchers.has(dir)) continue;
      const w = this.watchDir(dir, () => true);
      if (w !== undefined) this.watchers.set(dir, w);
    }
  }

  /** A watcher of `dir` that schedules a reload for changes to `relevant` names; undefined if `dir` is gone. */
  private watchDir(dir: string, relevant: (name: string | null) => boolean): FSWatcher | undefined {
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => {
        if (this.closed || !relevant(name === null ? null : basename(String(name)))) return;
        this.seen++;
        this.schedule();
      });
    } catch (err) {
      // A directory that went away between listing and watching: the next change finds it gone.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        this.log(`cannot watch ${JSON.stringify(dir)}: ${(err as Error).message}`);
      }
      return undefined;
    }
    // A watched directory that is removed ends its watcher with an error; the next sync forgets it.
    w.on("error", () => w.close());
    return w;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      for (const root of this.roots) this.syncTree(root);
      this.onChange();
    }, this.debounceMs);
  }

  /** Stops watching. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    for (const w of this.fileDirs) w.close();
    this.watchers.clear();
  }
}

/** Whether `path` is `root` or below it (a directory named `..2024_01_01` is below it). */
function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
