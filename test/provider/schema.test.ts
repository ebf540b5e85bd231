// sdk/schema.json is what `pulumi package add ./provider` infers from the Args interfaces; this
// suite regenerates it in-process and fails on any difference (regenerate with
// `node --import tsx test/provider/write-schema.ts` and review the diff).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { packageSchemaText } from "../../provider/src/components/package-schema";

const committed = readFileSync(join(__dirname, "..", "..", "sdk", "schema.json"), "utf8");
const REGENERATE =
  "sdk/schema.json is stale: run `node --import tsx test/provider/write-schema.ts` and review the diff";

/** JSON paths where `a` and `b` differ, with both values. */
function differences(a: unknown, b: unknown, path = "$"): string[] {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return a === b ? [] : [`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`];
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((k) =>
    differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
  );
}

describe("sdk/schema.json", () => {
  it("is exactly what the Args interfaces infer", async () => {
    const inferred = await packageSchemaText();
    // Name the first places that differ: the whole file is too long to read in a diff.
    assert.deepEqual(differences(JSON.parse(committed), JSON.parse(inferred)).slice(0, 10), [], REGENERATE);
    assert.ok(inferred === committed, REGENERATE);
  });

  it("has the four components under their tokens, with the inputs users write", () => {
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
      "istio-gateway:index:GatewayProxy": {
        isComponent: true,
        inputs: [
          "forwardClientCertDetails",
          "image",
          "labels",
          "limits",
          "name",
          "namespace",
          "numTrustedProxies",
          "ports",
          "proxyProtocol",
          "replicas",
          "requests",
          "serviceAnnotations",
          "serviceType",
          "skipAwait",
        ],
        required: [],
      },
    });
  });
});
