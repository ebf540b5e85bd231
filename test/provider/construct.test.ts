// The multi-language path without the CLI: `ComponentProvider.construct` is what the plugin runs
// when a Python, Go, .NET, Java or YAML program declares istio-gateway:index:Gateway. It must
// reject bad input with the same property errors as a TypeScript program gets, and treat the
// unknowns the engine sends at preview as unknown, not wrong.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { componentProvider } from "../../provider/src/components/package-schema";
import { httpsServer, singleResourceCases } from "./error-cases";
import type { LogLine } from "./mocks";
import { captureLogs, installMocks, settle, valueOf } from "./mocks";

const provider = componentProvider();
let logs: LogLine[];

before(async () => {
  await installMocks(true);
  logs = captureLogs();
});

describe("ComponentProvider.construct", () => {
  it("builds a Gateway from plain inputs and returns exactly its schema outputs", async () => {
    const result = await provider.construct(
      "ml-gw",
      "istio-gateway:index:Gateway",
      { metadata: { namespace: "istio-system" }, spec: { servers: [httpsServer(["a.example.com"])] } },
      {},
    );
    assert.deepEqual(Object.keys(result.state).sort(), [
      "credentialSecrets",
      "customResource",
      "name",
      "namespace",
      "qualifiedName",
    ]);
    assert.equal(await valueOf(result.state.qualifiedName as pulumi.Output<string>), "istio-system/ml-gw");
  });

  for (const c of singleResourceCases) {
    it(`rejects with the same property errors: ${c.why}`, async () => {
      await assert.rejects(
        provider.construct(c.name, `istio-gateway:index:${c.kind}`, c.args as pulumi.Inputs, {}),
        (e: unknown) => {
          assert.ok(pulumi.InputPropertiesError.isInstance(e));
          assert.deepEqual(
            e.errors.map((x) => `${x.propertyPath}: ${x.reason}`),
            c.errors,
          );
          return true;
        },
      );
    });
  }

  it("does not report values the engine marks unknown at preview", async () => {
    const result = await provider.construct(
      "ml-unknown",
      "istio-gateway:index:Gateway",
      {
        spec: {
          servers: [httpsServer(["a.example.com"], { mode: "SIMPLE", credentialName: pulumi.unknown })],
        },
      },
      {},
    );
    assert.equal(await valueOf(result.state.name as pulumi.Output<string>), undefined);
    await settle();
    assert.deepEqual(logs, [
      {
        severity: "info",
        resource: "ml-unknown",
        message:
          'Gateway "ml-unknown": validation of values unknown before deployment deferred until they are known',
      },
    ]);
  });

  it("rejects a type token whose module is not index", async () => {
    await assert.rejects(provider.construct("x", "istio-gateway:gw:Gateway", {}, {}), {
      message:
        "Invalid module 'gw' in resource type 'istio-gateway:gw:Gateway', expected 'index' or empty string",
    });
  });
});
