// GatewayProxy under `pulumi preview` (mocks in preview mode): the plan shows every resource with
// its final inputs when the Gateways are known; a Gateway whose values are not known yet is said
// to be pending rather than guessed at, and nothing is reported wrong for it; a broken input fails
// the preview before anything is planned.
import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Gateway } from "../../provider/src/components";
import { resetDeclarations } from "../../provider/src/components/declarations";
import { GatewayProxy } from "../../provider/src/components/gateway-proxy";
import type { ProxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { proxyBundle } from "../../provider/src/components/gateway-proxy/proxy-bundle";
import type { LogLine } from "../provider/mocks";
import { captureLogs, valueOf } from "../provider/mocks";
import { bookinfoSettings } from "./fixtures";
import type { Registered } from "./mocks";
import { installProxyMocks, MANIFEST_OF, PROXY_RESOURCE_TYPES, until } from "./mocks";

let registered: Registered[];
let logs: LogLine[];

before(async () => {
  registered = await installProxyMocks(true);
  logs = captureLogs();
});
beforeEach(() => {
  resetDeclarations();
  logs.length = 0;
});

const children = (name: string) =>
  new Map(registered.filter((r) => r.name === name).map((r) => [r.type, r] as const));

describe("GatewayProxy (preview)", { timeout: 600_000 }, () => {
  it("plans every resource with its final inputs when the Gateways are known", async () => {
    const proxy = new GatewayProxy("ingress", { namespace: "gateways" });
    new Gateway("bookinfo-gateway", {
      metadata: { namespace: "bookinfo" },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [
          { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["bookinfo.com"] },
          {
            port: { number: 443, name: "https", protocol: "HTTPS" },
            hosts: ["bookinfo.com"],
            tls: { mode: "SIMPLE", credentialName: "bookinfo-secret" },
          },
        ],
      },
    });
    await until("the proxy's resources", () => children("ingress").size === PROXY_RESOURCE_TYPES.length);
    const bundle = await proxyBundle();
    const expected = proxyManifests(
      bookinfoSettings({ bundle: { sha256: bundle.sha256, base64: bundle.compressed.toString("base64") } }),
    );
    for (const [type, r] of children("ingress")) {
      if (type.endsWith("GatewayProxy")) continue;
      assert.deepEqual(r.inputs, expected[MANIFEST_OF[type] as keyof ProxyManifests], type);
    }
    assert.deepEqual(await valueOf(proxy.servicePorts), [
      { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
    ]);
  });

  it("says a Gateway whose values are unknown is pending, and plans the ports it knows", async () => {
    new Gateway("later", {
      metadata: { namespace: pulumi.output(pulumi.unknown as unknown as string) },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      },
    });
    const proxy = new GatewayProxy("pending", { ports: [{ number: 15443, name: "tls", protocol: "TLS" }] });
    assert.deepEqual(await valueOf(proxy.servicePorts), [
      { name: "tls", port: 15443, targetPort: 15443, protocol: "TLS" },
    ]);
    assert.deepEqual(
      logs.filter((l) => l.resource === "pending"),
      [
        {
          severity: "info",
          resource: "pending",
          message: 'Gateways selecting {"istio":"ingressgateway"}: none; Service ports 15443->15443',
        },
        {
          severity: "info",
          resource: "pending",
          message:
            "1 Gateway(s) of this program are not known yet; their ports are added when their values are",
        },
      ],
    );
    assert.deepEqual(
      logs.filter((l) => l.severity === "warning"),
      [],
    );
  });

  it("fails the preview on a broken input before planning anything", () => {
    const count = registered.length;
    assert.throws(
      () => new GatewayProxy("broken", { ports: [{ number: 0, name: "http", protocol: "" }] }),
      (e: unknown) =>
        pulumi.InputPropertiesError.isInstance(e) &&
        e.message ===
          [
            'GatewayProxy "broken" has 2 invalid properties:',
            "  ports[0].number: must be an integer from 1 to 65535 (got 0)",
            '  ports[0].protocol: required (got "")',
          ].join("\n") &&
        JSON.stringify(e.errors) ===
          JSON.stringify([
            { propertyPath: "ports[0].number", reason: "must be an integer from 1 to 65535 (got 0)" },
            { propertyPath: "ports[0].protocol", reason: 'required (got "")' },
          ]),
    );
    assert.equal(registered.length, count);
  });
});
