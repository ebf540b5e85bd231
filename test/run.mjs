// The one test runner: finds every *.test.ts under provider/src and test/ (or under the paths
// given as arguments) and runs them with node's test runner, TypeScript loaded through tsx.
// Node 20's --test does not expand globs, so the file list is built here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["provider/src", "test"];

/** @param {string} dir @returns {string[]} */
function findTests(dir) {
  const stat = statSync(dir);
  if (stat.isFile()) return dir.endsWith(".test.ts") ? [dir] : [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    found.push(...findTests(join(dir, entry.name)));
  }
  return found;
}

const files = roots
  .flatMap((r) => findTests(join(root, r)))
  .map((f) => relative(root, f))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(2);
}

const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
