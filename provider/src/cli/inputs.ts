/**
 * Reads the inputs named on the command line: files, directories (recursively, `*.yaml`, `*.yml`
 * and `*.json`, in sorted order so output is stable) and `-` for standard input.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** The text of one input. */
export interface InputText {
  /** The name findings and errors refer to: the path as given, or `-`. */
  name: string;
  /** The whole text. */
  text: string;
}

/** An input that could not be read. */
export interface InputError {
  /** The path as given. */
  name: string;
  /** Why, in the house style. */
  message: string;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** Reads every input; unreadable ones are reported, the rest still read. */
export async function readInputs(
  paths: readonly string[],
  readStdin: () => Promise<string>,
): Promise<{ inputs: InputText[]; errors: InputError[] }> {
  const inputs: InputText[] = [];
  const errors: InputError[] = [];
  for (const path of paths) {
    if (path === "-") {
      inputs.push({ name: "-", text: await readStdin() });
      continue;
    }
    try {
      for (const file of await expand(path)) inputs.push({ name: file, text: await readFile(file, "utf8") });
    } catch (e) {
      errors.push({ name: path, message: describeFsError(e) });
    }
  }
  return { inputs, errors };
}

/** A file stands for itself; a directory for its configuration files, recursively. */
async function expand(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await expand(child)));
    else if (entry.isFile() && CONFIG_FILE.test(entry.name)) files.push(child);
  }
  return files;
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

/** Reads all of standard input as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
