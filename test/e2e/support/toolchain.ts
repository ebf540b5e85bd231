// Finds the real toolchain that test/e2e/tools.sh builds and caches (provider/src/local/toolchain,
// which `istio-gateway demo` uses too), and decides what a suite does without it: in CI (CI=true)
// the suite fails, so a missing toolchain can never pass as green; elsewhere it is skipped with the
// reason printed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allTools,
  missingTools,
  toolchainPaths,
  type Toolchain,
  type ToolName,
} from "../../../provider/src/local/toolchain";

export {
  allTools,
  missingTools,
  readToolsEnv,
  toolchainPaths,
  type Toolchain,
  type ToolName,
} from "../../../provider/src/local/toolchain";

/**
 * Declares an end-to-end suite that needs the tools `needs`. With them in place `body` runs as a `describe` block;
 * without it the suite fails under CI=true and is skipped elsewhere, the reason printed either way.
 */
export function e2eSuite(
  name: string,
  body: (tools: Toolchain) => void,
  needs: readonly ToolName[] = allTools,
): void {
  const tools = toolchainPaths();
  const missing = missingTools(tools, needs);
  if (missing.length === 0) {
    describe(name, () => body(tools));
    return;
  }
  const reason = `the end-to-end toolchain is not built (run test/e2e/tools.sh); missing: ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has the end-to-end toolchain", () => assert.fail(reason));
    });
    return;
  }
  console.log(`skipping ${name}: ${reason}`);
  describe(name, { skip: reason }, () => body(tools));
}
