// The components under `pulumi preview` (mocks in preview mode): the resources they register, the
// errors that fail a preview, binding checks in either declaration order, and values that are not
// known before deployment. The update suite runs the same error table in update mode.
import assert from "node:assert/strict";
import { afterEach, before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, VirtualService } from "../../provider/src/components";
import { resetDeclarations } from "../../provider/src/components/declarations";
import type { GatewaySpec } from "../../provider/src/istio/model";
import { construct, expectedMessage, httpsServer, singleResourceCases } from "./error-cases";
import type { LogLine, Registered } from "./mocks";
import { captureLogs, installMocks, settle, valueOf } from "./mocks";

let registered: Registered[];
let logs: LogLine[];

before(async () => {
  registered = await installMocks(true);
  logs = captureLogs();
});
beforeEach(() => {
  resetDeclarations();
  logs.length = 0;
});
// Warnings about undeclared Gateways are logged after the program's synchronous part: let them
// land in the test that caused them.
afterEach(settle);

/**
 * A value unknown until deployment, as an output of a resource not created yet is at preview.
 * Typed as the plain value: the spec types take plain fields (TypeScript programs pass a whole
 * spec Output instead), but a multi-language `construct` delivers unknowns nested anywhere.
 */
function unknown<T>(): T {
  return pulumi.output(pulumi.unknown) as unknown as T;
}

/** Asserts that constructing throws exactly this InputPropertiesError. */
function assertRejected(build: () => unknown, kind: string, name: string, errors: string[]): void {
  assert.throws(build, (e: unknown) => {
    assert.ok(pulumi.InputPropertiesError.isInstance(e), `not an InputPropertiesError: ${String(e)}`);
    assert.deepEqual(
      e.errors.map((x) => `${x.propertyPath}: ${x.reason}`),
      errors,
    );
    assert.equal(e.message, expectedMessage(kind, name, errors));
    return true;
  });
}

const bookinfoGateway = {
  selector: { istio: "ingressgateway" },
  servers: [httpsServer(["bookinfo.com"], { mode: "SIMPLE", credentialName: "bookinfo-secret" })],
};
const bookinfoRoutes = {
  hosts: ["bookinfo.com"],
  gateways: ["bookinfo-gateway"],
  http: [
    {
      match: [{ uri: { prefix: "/reviews" } }],
      route: [{ destination: { host: "reviews", port: { number: 9080 } } }],
    },
  ],
};

describe("resources at preview", () => {
  it("registers each component and its networking.istio.io/v1 custom resource with exactly these inputs", async () => {
    const gw = new Gateway("pv-gw", { metadata: { name: "bookinfo-gateway" }, spec: bookinfoGateway });
    const vs = new VirtualService("pv-vs", {
      metadata: { namespace: "default", labels: { app: "bookinfo" } },
      spec: bookinfoRoutes,
    });
    assert.deepEqual(
      [await valueOf(gw.name), await valueOf(gw.namespace), await valueOf(gw.qualifiedName)],
      ["bookinfo-gateway", "default", "default/bookinfo-gateway"],
    );
    assert.deepEqual([await valueOf(vs.name), await valueOf(vs.namespace)], ["pv-vs", "default"]);
    await settle();
    const mine = registered.filter((r) => r.name.startsWith("pv-"));
    assert.deepEqual(
      mine.sort((a, b) => (a.type + a.name).localeCompare(b.type + b.name)),
      [
        {
          type: "istio-gateway:index:Gateway",
          name: "pv-gw",
          inputs: { metadata: { name: "bookinfo-gateway" }, spec: bookinfoGateway },
        },
        {
          type: "istio-gateway:index:VirtualService",
          name: "pv-vs",
          inputs: { metadata: { namespace: "default", labels: { app: "bookinfo" } }, spec: bookinfoRoutes },
        },
        {
          type: "kubernetes:networking.istio.io/v1:Gateway",
          name: "pv-gw",
          inputs: {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "bookinfo-gateway", namespace: "default" },
            spec: bookinfoGateway,
          },
        },
        {
          type: "kubernetes:networking.istio.io/v1:VirtualService",
          name: "pv-vs",
          inputs: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "pv-vs", namespace: "default", labels: { app: "bookinfo" } },
            spec: bookinfoRoutes,
          },
        },
      ],
    );
    assert.deepEqual(logs, []);
  });
});

describe("errors that fail a preview", () => {
  for (const c of singleResourceCases) {
    it(c.why, async () => {
      assertRejected(() => construct(c), c.kind, c.name, c.errors);
      await settle();
      assert.deepEqual(
        registered.filter((r) => r.name === c.name),
        [],
        "nothing is registered for a rejected component",
      );
    });
  }
});

describe("warnings", () => {
  it("go to pulumi.log.warn on the component, one line per finding, and do not fail the preview", async () => {
    new Gateway("warn-gw", {
      spec: {
        servers: [
          httpsServer(["a.example.com"], {
            mode: "SIMPLE",
            credentialName: "cred",
            cipherSuites: ["NOT-A-CIPHER"],
          }),
        ],
      },
    });
    await settle();
    assert.deepEqual(logs, [
      {
        severity: "warning",
        resource: "warn-gw",
        message:
          'spec.servers[0].tls.cipherSuites[0]: is not a cipher suite Istio knows and is ignored (got "NOT-A-CIPHER")',
      },
    ]);
  });
});

describe("binding between components of one program", () => {
  const passthrough: GatewaySpec = {
    servers: [
      {
        port: { number: 443, name: "tls", protocol: "TLS" },
        hosts: ["nginx.example.com"],
        tls: { mode: "PASSTHROUGH" },
      },
    ],
  };

  it("a VirtualService declared after its Gateway reports a host the Gateway does not serve", async () => {
    new Gateway("bind-gw", { spec: bookinfoGateway });
    assertRejected(
      () =>
        new VirtualService("bind-vs", {
          spec: { ...bookinfoRoutes, hosts: ["bookinfo.org"], gateways: ["bind-gw"] },
        }),
      "VirtualService",
      "bind-vs",
      [
        'spec.hosts: none matches a host of Gateway default/bind-gw visible to namespace "default" (got ["bookinfo.org"])',
      ],
    );
  });

  it("a Gateway declared after the VirtualService reports it, naming the VirtualService", async () => {
    new VirtualService("bind2-vs", {
      spec: { ...bookinfoRoutes, hosts: ["bookinfo.org"], gateways: ["bind2-gw"] },
    });
    assertRejected(() => new Gateway("bind2-gw", { spec: bookinfoGateway }), "Gateway", "bind2-gw", [
      'spec.servers: VirtualService "default/bind2-vs" (resource "bind2-vs") spec.hosts: none matches a host of Gateway default/bind2-gw visible to namespace "default" (got ["bookinfo.org"])',
    ]);
  });

  it("http rules for a server that passes TLS through fail (route kind vs protocol)", async () => {
    new Gateway("kind-gw", { spec: passthrough });
    assertRejected(
      () =>
        new VirtualService("kind-vs", {
          spec: {
            hosts: ["nginx.example.com"],
            gateways: ["kind-gw"],
            http: [{ route: [{ destination: { host: "my-nginx", port: { number: 443 } } }] }],
          },
        }),
      "VirtualService",
      "kind-vs",
      [
        'spec.http: do not apply on server spec.servers[0] of Gateway default/kind-gw, which passes TLS through and routes only tls rules (got protocol "TLS", tls.mode "PASSTHROUGH")',
      ],
    );
  });

  it("a matching pair passes in either order, and a Gateway declared later is not called missing", async () => {
    new VirtualService("ok-vs", { spec: { ...bookinfoRoutes, gateways: ["ok-gw"] } });
    new Gateway("ok-gw", { spec: bookinfoGateway });
    new Gateway("ok2-gw", { spec: bookinfoGateway });
    new VirtualService("ok2-vs", { spec: { ...bookinfoRoutes, gateways: ["ok2-gw"] } });
    await settle();
    assert.deepEqual(logs, []);
  });

  it("a Gateway the program does not declare is a warning, never an error", async () => {
    new VirtualService("lone-vs", { spec: { ...bookinfoRoutes, gateways: ["istio-system/public", "mesh"] } });
    await settle();
    assert.deepEqual(logs, [
      {
        severity: "warning",
        resource: "lone-vs",
        message:
          'spec.gateways[0]: the program declares no Gateway "istio-system/public", so the binding to it is not checked',
      },
    ]);
  });
});

describe("values unknown at preview", () => {
  it("an unknown credentialName is not reported missing; validation is deferred and said so", async () => {
    const gw = new Gateway("unk-gw", {
      spec: {
        servers: [httpsServer(["a.example.com"], { mode: "SIMPLE", credentialName: unknown<string>() })],
      },
    });
    assert.equal(await valueOf(gw.name), undefined);
    await settle();
    assert.deepEqual(logs, [
      {
        severity: "info",
        resource: "unk-gw",
        message:
          'Gateway "unk-gw": validation of values unknown before deployment deferred until they are known',
      },
    ]);
    assert.deepEqual(
      registered.filter((r) => r.name === "unk-gw").map((r) => r.type),
      ["istio-gateway:index:Gateway", "kubernetes:networking.istio.io/v1:Gateway"],
    );
  });

  it("known errors still fail while other values are unknown; the unknown one is not among them", () => {
    assertRejected(
      () =>
        new Gateway("unk2-gw", {
          spec: {
            servers: [
              {
                port: { number: 70000, name: "https", protocol: "HTTPS" },
                hosts: ["a.example.com"],
                tls: { mode: "SIMPLE", credentialName: unknown<string>() },
              },
            ],
          },
        }),
      "Gateway",
      "unk2-gw",
      ["spec.servers[0].port.number: must be an integer from 1 to 65535 (got 70000)"],
    );
  });

  it("a VirtualService with unknown hosts is not reported unbound from a declared Gateway", async () => {
    new Gateway("unk3-gw", { spec: bookinfoGateway });
    new VirtualService("unk3-vs", {
      spec: { ...bookinfoRoutes, hosts: unknown<string[]>(), gateways: ["unk3-gw"] },
    });
    await settle();
    assert.deepEqual(
      logs.map((l) => `${l.severity} ${l.resource}: ${l.message}`),
      [
        'info unk3-vs: VirtualService "unk3-vs": validation of values unknown before deployment deferred until they are known',
      ],
    );
  });

  it("while a Gateway's name is unknown, no reference is called missing", async () => {
    new Gateway("unk4-gw", { metadata: { name: unknown<string>() }, spec: bookinfoGateway });
    new VirtualService("unk4-vs", { spec: { ...bookinfoRoutes, gateways: ["somewhere"] } });
    await settle();
    assert.deepEqual(
      logs.map((l) => `${l.severity} ${l.resource}: ${l.message}`),
      [
        'info unk4-gw: Gateway "unk4-gw": validation of values unknown before deployment deferred until they are known',
      ],
    );
  });
});
