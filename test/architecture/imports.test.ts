// Keeps the dependency direction of DESIGN.md true: components -> istio <- proxy, local -> istio,
// cli -> istio, proxy, local, and provider/src/istio pure (no Pulumi, no sockets, no file system).
// provider/src/local (the toolchain, control plane and Pulumi CLI on this machine) runs Pulumi as a
// process and never loads the components, the Pulumi SDK or the proxy's runtime: the CLI is the one
// place that wires them together. It reads every import of every source file with the TypeScript
// compiler's own pre-processor, so a new file cannot slip past it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const src = resolve(__dirname, "../../provider/src");

type Layer = "istio" | "components" | "proxy" | "local" | "cli";

/** The layers each layer may import from (besides itself). */
const allowedLayers: Record<Layer, Layer[]> = {
  istio: [],
  components: ["istio"],
  proxy: ["istio"],
  local: ["istio"],
  cli: ["istio", "proxy", "local"],
};

/** Packages the pure core may use: data parsing and computation only. */
const pureCorePackages = new Set(["zod", "yaml", "re2js", "node:crypto"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

function layerOf(file: string): Layer | undefined {
  const top = relative(src, file).split("/")[0];
  return (["istio", "components", "proxy", "local", "cli"] as const).find((l) => l === top);
}

/** Every (file, import) pair that breaks a rule, as readable lines. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const layer = layerOf(file);
    if (layer === undefined) continue;
    const isTest = file.endsWith(".test.ts");
    for (const spec of importsOf(file)) {
      const where = `${relative(src, file)} imports "${spec}"`;
      if (spec.startsWith(".")) {
        const target = layerOf(resolve(dirname(file), spec));
        if (target === undefined) found.push(`${where}: outside provider/src layers`);
        else if (target !== layer && !allowedLayers[layer].includes(target)) {
          found.push(`${where}: ${layer} may not depend on ${target}`);
        }
        continue;
      }
      if (layer === "local" && spec.startsWith("@pulumi/")) {
        found.push(`${where}: local runs the Pulumi CLI as a process and may not load the Pulumi SDK`);
      }
      // Tests of the pure core may use test-only packages; the code under test may not.
      if (layer === "istio" && !isTest && !pureCorePackages.has(spec)) {
        found.push(`${where}: the pure core may only use ${[...pureCorePackages].join(", ")}`);
      }
    }
  }
  return found;
}

describe("architecture", () => {
  it("keeps provider/src/istio pure and dependencies one-way", () => {
    assert.deepEqual(violations(), []);
  });

  it("finds every layer's sources (the check above is not vacuous)", () => {
    const layers = new Set(sourceFiles(src).map(layerOf));
    for (const l of ["istio", "local", "cli"] as const) assert.ok(layers.has(l), `no sources found for ${l}`);
  });
});
