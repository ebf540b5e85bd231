/**
 * The files a `--config` argument names: a file as given, a directory walked recursively for
 * `*.yaml`, `*.yml` and `*.json` (hidden entries skipped, as kubectl does), sorted so a directory
 * always loads in the same order. Symbolic links are followed, as kubectl follows them: a mounted
 * ConfigMap's files are links through its hidden `..data` directory, which is skipped itself.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** Whether a file name is a configuration file. */
export function isConfigFile(name: string): boolean {
  return CONFIG_FILE.test(name);
}

/** Lists the configuration files under `paths`; rejects when a path does not exist. */
export async function listConfigFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) out.push(...(await walk(p, 0)));
    else out.push(p);
  }
  return [...new Set(out)];
}

async function walk(dir: string, depth: number): Promise<string[]> {
  if (depth > 32) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    let kind: "dir" | "file" | undefined = e.isDirectory() ? "dir" : e.isFile() ? "file" : undefined;
    if (e.isSymbolicLink()) {
      // A link left dangling mid-swap names nothing yet: the swap's own event reloads again.
      const target = await stat(path).catch(() => undefined);
      kind = target?.isDirectory() ? "dir" : target?.isFile() ? "file" : undefined;
    }
    if (kind === "dir") out.push(...(await walk(path, depth + 1)));
    else if (kind === "file" && isConfigFile(e.name)) out.push(path);
  }
  return out;
}
