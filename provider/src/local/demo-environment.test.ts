import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bookinfoConfig, createdCount } from "./demo-environment";

describe("demo environment", () => {
  it("configures the root program for a control plane without nodes, key material as secrets", () => {
    assert.deepEqual(bookinfoConfig("CERT", "KEY"), [
      { key: "installCrds", value: "true" },
      { key: "createNamespace", value: "true" },
      { key: "skipAwait", value: "true" },
      { key: "serviceType", value: "ClusterIP" },
      { key: "tlsCertificate", value: "CERT", secret: true },
      { key: "tlsPrivateKey", value: "KEY", secret: true },
    ]);
  });

  it("reads how many resources pulumi up created from its summary", () => {
    const cases: [string, number | undefined][] = [
      ["Resources:\n    + 20 created\n\nDuration: 25s\n", 20],
      ["Resources:\n    + 1 created\n    3 unchanged\n", 1],
      ["Resources:\n    20 unchanged\n", undefined],
      ["", undefined],
    ];
    for (const [output, count] of cases) assert.equal(createdCount(output), count, JSON.stringify(output));
  });
});
