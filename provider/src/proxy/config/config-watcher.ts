/**
 * Watches configuration files and directories and calls back once per burst of changes
 * (debounced), as editors and `kubectl`-style tools write files in several steps. A file is
 * watched through its directory, so a file replaced by rename (how most editors save) is still
 * seen; directories are watched recursively.
 */
import { existsSync, statSync, watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { isConfigFile } from "./config-files";

/** Debounced watcher over configuration paths. */
export class ConfigWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    paths: readonly string[],
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    log: (line: string) => void,
  ) {
    for (const p of paths) {
      const abs = resolve(p);
      try {
        if (existsSync(abs) && statSync(abs).isDirectory()) {
          this.add(abs, true, (name) => name === null || isConfigFile(name) || !name.includes("."));
        } else {
          const file = basename(abs);
          this.add(dirname(abs), false, (name) => name === null || name === file);
        }
      } catch (err) {
        log(`cannot watch ${JSON.stringify(p)}: ${(err as Error).message}`);
      }
    }
  }

  private add(dir: string, recursive: boolean, relevant: (name: string | null) => boolean): void {
    const w = watch(dir, { recursive, persistent: false }, (_event, name) => {
      if (relevant(name === null ? null : basename(String(name)))) this.schedule();
    });
    w.on("error", () => {});
    this.watchers.push(w);
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.onChange();
    }, this.debounceMs);
  }

  /** Stops watching. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}
