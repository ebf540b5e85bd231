// sdk/schema.json is what `pulumi package add ./provider` infers from the Args interfaces; this
// suite regenerates it in-process and fails on any difference (regenerate with
// `node --import tsx test/provider/write-schema.ts` and review the diff).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { packageSchemaText } from "../../provider/src/components/package-schema";

const committed = readFileSync(join(__dirname, "..", "..", "sdk", "schema.json"), "utf8");

describe("sdk/schema.json", () => {
  it("is exactly what the Args interfaces infer", async () => {
    assert.equal(await packageSchemaText(), committed);
  });

  it("has the three components under their tokens, with the inputs users write", () => {
    const schema = JSON.parse(committed) as {
      name: string;
      resources: Record<string, { isComponent: boolean; inputProperties: object; requiredInputs: string[] }>;
    };
    assert.equal(schema.name, "istio-gateway");
    const summary = Object.fromEntries(
      Object.entries(schema.resources).map(([token, r]) => [
        token,
        {
          isComponent: r.isComponent,
          inputs: Object.keys(r.inputProperties).sort(),
          required: r.requiredInputs,
        },
      ]),
    );
    assert.deepEqual(summary, {
      "istio-gateway:index:Gateway": {
        isComponent: true,
        inputs: ["crds", "credentials", "metadata", "spec"],
        required: ["spec"],
      },
      "istio-gateway:index:VirtualService": {
        isComponent: true,
        inputs: ["crds", "metadata", "spec"],
        required: ["spec"],
      },
      "istio-gateway:index:IstioCrds": { isComponent: true, inputs: ["labels"], required: [] },
    });
  });
});
