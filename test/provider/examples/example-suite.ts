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
import { captureLogs, dependencies, installMocks, settle, valueOf } from "../mocks";

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
  /** What the components log, in order. Default: nothing. */
  logs?: LogLine[];
  /**
   * The resources (`<type> <name>`) some registrations must depend on, by the registration's
   * `<type> <name>`: each list is compared whole, as sorted `<type> <name>`s of the URNs.
   */
  dependencies?: Record<string, string[]>;
  /** The component of the broken twin that fails, and its `path: reason` errors. */
  broken: { kind: string; name: string; errors: string[] };
}

const root = join(__dirname, "..", "..", "..");

/** `<type> <name>` of a URN (`urn:pulumi:stack::project::parent$type::name`). */
function typeAndName(urn: string): string {
  const [, , types = "", ...name] = urn.split("::");
  return `${types.slice(types.lastIndexOf("$") + 1)} ${name.join("::")}`;
}

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
    it("previews with exactly the expected resources, outputs, logs and dependencies", async () => {
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
      assert.deepEqual(logs, expected.logs ?? []);
      for (const [key, want] of Object.entries(expected.dependencies ?? {})) {
        const got = (dependencies.get(key) ?? []).map(typeAndName).sort();
        assert.deepEqual(got, [...want].sort(), key);
      }
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
