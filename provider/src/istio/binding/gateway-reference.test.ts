import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { effectiveGateways, resolveGatewayName } from "./gateway-reference";
import type { VirtualService } from "../model";

describe("resolveGatewayName", () => {
  // [reference, VirtualService namespace, resolved]; Istio's own table plus the mesh and legacy FQDN forms.
  const cases: Array<[string, string, string]> = [
    ["mesh", "default", "mesh"],
    ["gateway", "default", "default/gateway"],
    ["./gateway", "default", "default/gateway"],
    ["default/gateway", "foo", "default/gateway"],
    ["istio-system/public-gw", "bookinfo", "istio-system/public-gw"],
    ["gateway.default", "default", "default/gateway"],
    ["gateway.default", "foo", "default/gateway"],
    ["private.ingress.svc.cluster.local", "foo", "ingress/private"],
  ];
  for (const [ref, ns, want] of cases) {
    it(`${ref} in ${ns} is ${want}`, () => assert.equal(resolveGatewayName(ref, ns), want));
  }
});

describe("effectiveGateways", () => {
  const vs = (gateways?: string[]): VirtualService => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "r" },
    spec: { hosts: ["a.com"], ...(gateways === undefined ? {} : { gateways }) },
  });
  const cases: Array<[string[] | undefined, string[]]> = [
    [undefined, ["mesh"]],
    [[], ["mesh"]],
    [["gw"], ["gw"]],
    [
      ["gw", "mesh"],
      ["gw", "mesh"],
    ],
  ];
  for (const [gateways, want] of cases) {
    it(`${JSON.stringify(gateways)} is ${JSON.stringify(want)}`, () =>
      assert.deepEqual(effectiveGateways(vs(gateways)), want));
  }
});
