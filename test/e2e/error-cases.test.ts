// The broken twins through the real engine: each error case of the provider suites, as a program
// of its own, makes `pulumi preview` fail, and the CLI's output names every property path with its
// message. The mocks prove the components throw; this proves a user sees it.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { resetDeclarations } from "../../provider/src/components/declarations";
import { construct, expectedMessage, singleResourceCases, type ErrorCase } from "../provider/error-cases";
import { dropPropertyErrorRejections } from "./support/program";
import { createTestStack, type TestStack } from "./support/stack";
import { e2eSuite } from "./support/toolchain";

e2eSuite("broken programs fail pulumi preview", (tools) => {
  let current: ErrorCase | undefined;
  let test: TestStack;
  before(async () => {
    dropPropertyErrorRejections();
    test = await createTestStack(tools, {
      projectName: "e2e-broken",
      program: async () => {
        // One process runs every case's program: start each from an empty declaration table.
        resetDeclarations();
        if (current) construct(current);
      },
    });
  });
  after(() => test?.dispose());

  for (const c of singleResourceCases) {
    it(`${c.why}: preview exits non-zero and prints each path and message`, async () => {
      current = c;
      let output = "";
      const failure = await test.stack.preview({ onOutput: (out) => (output += out), color: "never" }).then(
        () => undefined,
        (err: Error) => err,
      );
      assert.ok(failure instanceof Error, "the preview succeeded");
      assert.match(failure.message, /Command failed with exit code 1: \S+\/bin\/pulumi preview /);
      // The engine's diagnostics block shows the component's InputPropertiesError: its message
      // line, then every `path: reason` line, indented under "error:".
      const [first, ...rest] = expectedMessage(c.kind, c.name, c.errors).split("\n");
      const block = [`    error: ${first}`, ...rest.map((line) => `    ${line}`)].join("\n");
      assert.ok(output.includes(`Diagnostics:\n`), output);
      assert.ok(output.includes(block), `the output lacks\n${block}\n--- output:\n${output}`);
    });
  }
});
