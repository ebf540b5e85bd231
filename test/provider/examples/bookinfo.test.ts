import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { parse } from "yaml";
import { exampleSuite } from "./example-suite";

exampleSuite({
  name: "bookinfo",
  resources: [
    "istio-gateway:index:Gateway bookinfo-gateway",
    "istio-gateway:index:VirtualService bookinfo",
    "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
  ],
  outputs: { gatewayName: "default/bookinfo-gateway", virtualServiceName: "bookinfo" },
  broken: {
    kind: "Gateway",
    name: "bookinfo-gateway",
    errors: [
      'spec.servers[0].tls.serverCertificate: required when tls.mode is "SIMPLE" and credentialName is not set',
      'spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set',
    ],
  },
});

it("the root Pulumi.yaml runs this example", () => {
  const project = parse(readFileSync(join(__dirname, "..", "..", "..", "Pulumi.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  assert.deepEqual([project.runtime, project.main], ["nodejs", "examples/bookinfo/"]);
});
