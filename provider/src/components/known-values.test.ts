import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isSettled, knownPart, parentPath } from "./known-values";

describe("knownPart", () => {
  it("leaves out Outputs, promises and unknowns, and says where they were", () => {
    const value = {
      spec: {
        servers: [
          { hosts: [pulumi.output("a.example.com"), "b.example.com"], port: { number: 443 } },
          { hosts: ["c.example.com"], tls: { credentialName: Promise.resolve("cred") } },
        ],
        selector: { "app.kubernetes.io/name": pulumi.unknown },
      },
    };
    assert.deepEqual(knownPart(value, ""), {
      value: {
        spec: {
          servers: [
            { hosts: [undefined, "b.example.com"], port: { number: 443 } },
            { hosts: ["c.example.com"], tls: {} },
          ],
          selector: {},
        },
      },
      unknownPaths: [
        "spec.servers[0].hosts[0]",
        "spec.servers[1].tls.credentialName",
        'spec.selector["app.kubernetes.io/name"]',
      ],
    });
  });

  it("treats a wholly pending value as unknown at the root path", () => {
    assert.deepEqual(knownPart(pulumi.output({ a: 1 }), "spec"), {
      value: undefined,
      unknownPaths: ["spec"],
    });
  });
});

describe("parentPath", () => {
  const cases: Array<[string, string]> = [
    ["spec.servers[0].tls.mode", "spec.servers[0].tls"],
    ["spec.servers[0]", "spec.servers"],
    ['spec.selector["app.kubernetes.io/name"]', "spec.selector"],
    ["spec", ""],
    ["", ""],
  ];
  for (const [path, parent] of cases)
    it(`${JSON.stringify(path)} -> ${JSON.stringify(parent)}`, () => assert.equal(parentPath(path), parent));
});

describe("isSettled", () => {
  const cases: Array<[string, string[], boolean, string]> = [
    ["spec.servers[0].tls.privateKey", [], true, "nothing unknown"],
    ["spec.servers[0].tls.privateKey", ["spec.servers[0].tls.credentialName"], false, "an unknown sibling"],
    ["spec.servers[0].tls.privateKey", ["spec.servers[0].tls"], false, "an unknown holder"],
    ["spec.servers[0].hosts[1]", ["spec.servers[0].hosts[10]"], false, "an unknown element of the same list"],
    ["spec.servers[1].port.number", ["spec.servers[0].hosts[0]"], true, "an unknown in another server"],
    [
      "spec.servers[1]",
      ["spec.servers[10].hosts"],
      false,
      "an unknown under the list that holds the finding",
    ],
    ["metadata.name", ["spec"], true, "an unknown spec does not touch metadata"],
    ["spec", ["metadata.labels"], false, "a top-level finding waits for everything"],
  ];
  for (const [path, unknowns, settled, why] of cases) {
    it(`${path} with ${JSON.stringify(unknowns)}: ${settled} (${why})`, () =>
      assert.equal(isSettled(path, unknowns), settled));
  }
});
