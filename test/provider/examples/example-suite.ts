// One suite per example program (setMocks is per process, and each program declares its own
// resources): the example previews cleanly with exactly the expected resources, and its broken
// twin under test/provider/broken fails with the expected property errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { resetDeclarations } from "../../../provider/src/components/declarations";
import { expectedMessage } from "../error-cases";
import type { LogLine, Registered } from "../mocks";
import { captureLogs, installMocks, settle, valueOf } from "../mocks";

/** What one example must do. */
export interface ExampleExpectation {
  /** Directory name under examples/ (and test/provider/broken/). */
  name: string;
  /** Stack configuration the program reads, by key without the project prefix. */
  config?: Record<string, string>;
  /** `<type> <name>` of every resource the program registers, sorted. */
  resources: string[];
  /** Stack outputs the program exports, resolved. */
  outputs: Record<string, unknown>;
  /** The component of the broken twin that fails, and its `path: reason` errors. */
  broken: { kind: string; name: string; errors: string[] };
}

const root = join(__dirname, "..", "..", "..");

/** Declares the suite of one example. */
export function exampleSuite(expected: ExampleExpectation): void {
  let registered: Registered[];
  let logs: LogLine[];

  before(async () => {
    registered = await installMocks(true);
    logs = captureLogs();
    for (const [key, value] of Object.entries(expected.config ?? {})) {
      pulumi.runtime.setConfig(`${pulumi.getProject()}:${key}`, value);
    }
  });

  describe(`examples/${expected.name}`, () => {
    it("previews with exactly the expected resources and outputs, and logs nothing", async () => {
      const program = (await import(join(root, "examples", expected.name, "index.ts"))) as Record<
        string,
        pulumi.Output<unknown>
      >;
      const outputs: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) outputs[key] = await valueOf(value);
      }
      await settle();
      assert.deepEqual(outputs, expected.outputs);
      assert.deepEqual(registered.map((r) => `${r.type} ${r.name}`).sort(), expected.resources);
      assert.deepEqual(logs, []);
    });

    it("its broken twin fails at preview with the expected property errors", async () => {
      resetDeclarations();
      const { kind, name, errors } = expected.broken;
      await assert.rejects(
        import(join(root, "test", "provider", "broken", expected.name, "index.ts")),
        (e: unknown) => {
          assert.ok(pulumi.InputPropertiesError.isInstance(e), String(e));
          assert.equal(e.message, expectedMessage(kind, name, errors));
          return true;
        },
      );
    });
  });
}
