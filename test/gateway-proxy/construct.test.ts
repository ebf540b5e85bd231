// The multi-language path without the CLI: `ComponentProvider.construct` is what the plugin runs
// when a Python, Go, .NET, Java or YAML program declares istio-gateway:index:GatewayProxy. It
// returns exactly the schema's outputs and rejects bad input with the same property errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { resetDeclarations } from "../../provider/src/components/declarations";
import { GatewayProxy } from "../../provider/src/components/gateway-proxy";
import { valueOf } from "../provider/mocks";
import { installProxyMocks } from "./mocks";

const provider = new ComponentProvider({
  name: "istio-gateway",
  dirname: join(__dirname, "..", "..", "provider"),
  components: [GatewayProxy],
});

before(async () => {
  await installProxyMocks(true);
  resetDeclarations();
});

describe("ComponentProvider.construct (GatewayProxy)", { timeout: 600_000 }, () => {
  it("builds a proxy from plain inputs and returns exactly its schema outputs", async () => {
    const result = await provider.construct(
      "ml-proxy",
      "istio-gateway:index:GatewayProxy",
      {
        namespace: "gateways",
        ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
        image: "example/igw:1",
      },
      {},
    );
    assert.deepEqual(Object.keys(result.state).sort(), [
      "address",
      "deployment",
      "labels",
      "namespace",
      "service",
      "serviceName",
      "servicePorts",
    ]);
    assert.deepEqual(await valueOf(result.state.servicePorts as pulumi.Output<unknown>), [
      { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
    ]);
  });

  it("rejects bad input with the same property errors", async () => {
    await assert.rejects(
      provider.construct(
        "ml-bad",
        "istio-gateway:index:GatewayProxy",
        { serviceType: "Ingress", replicas: 1.5 },
        {},
      ),
      (e: unknown) => {
        assert.ok(pulumi.InputPropertiesError.isInstance(e));
        assert.deepEqual(
          e.errors.map((x) => `${x.propertyPath}: ${x.reason}`),
          [
            'serviceType: must be one of "LoadBalancer", "NodePort", "ClusterIP" (got "Ingress")',
            "replicas: must be a non-negative integer (got 1.5)",
          ],
        );
        return true;
      },
    );
  });
});
