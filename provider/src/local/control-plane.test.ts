import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitForEstablished } from "./control-plane";

describe("waitForEstablished", () => {
  // kubectl's own words when a definition's status has no conditions yet.
  const notYet = new Error(
    "kubectl wait --for=condition=Established failed: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}",
  );

  it("asks again while a definition has no conditions yet, then resolves", async () => {
    const calls: string[][] = [];
    await waitForEstablished(
      async (args) => {
        calls.push(args);
        if (calls.length < 3) throw notYet;
        return "customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met\n";
      },
      ["crd/widgets.example.com"],
    );
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[0]!.slice(0, 2), ["wait", "--for=condition=Established"]);
    assert.match(calls[0]![2]!, /^--timeout=\d+s$/);
    assert.deepEqual(calls[0]!.slice(3), ["crd/widgets.example.com"]);
  });

  it("fails at once on any other error", async () => {
    let calls = 0;
    const other = new Error('kubectl wait failed: error: customresourcedefinitions "nope" not found');
    await assert.rejects(
      waitForEstablished(async () => {
        calls++;
        throw other;
      }, ["crd/nope"]),
      other,
    );
    assert.equal(calls, 1);
  });

  it("gives up on the accessor error once the time is out", async () => {
    let calls = 0;
    await assert.rejects(
      waitForEstablished(
        async () => {
          calls++;
          throw notYet;
        },
        ["crd/slow.example.com"],
        300,
      ),
      notYet,
    );
    assert.ok(calls >= 2 && calls <= 4, `${calls} calls in 300 ms`);
  });
});
