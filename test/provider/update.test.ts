// The components under `pulumi up` (mocks in update mode): every value is known, so what preview
// deferred is validated now; TLS material stays secret in every input the engine records; the
// CRDs are created as the core builds them.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, IstioCrds, VirtualService } from "../../provider/src/components";
import { resetDeclarations } from "../../provider/src/components/declarations";
import type { GatewaySpec } from "../../provider/src/istio/model";
import { buildCustomResourceDefinition } from "../../provider/src/istio/schema/crd";
import type { ErrorCase } from "./error-cases";
import { construct, expectedMessage, httpsServer, singleResourceCases } from "./error-cases";
import type { LogLine, Registered } from "./mocks";
import { SECRET_SIG, captureLogs, dependencies, installMocks, settle, valueOf } from "./mocks";

// Internal to the SDK (absent from its typings): the runtime's record of pending promises,
// checked at exit.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { leakedPromises } = require("@pulumi/pulumi/runtime/debuggable") as {
  leakedPromises(): [Set<Promise<unknown>>, string];
};

let registered: Registered[];
let logs: LogLine[];
// A validation error found once values resolve rejects the Output that feeds the children, and
// their registrations then fail as unhandled rejections: that is how the Pulumi runtime fails the
// run. The test runner would report them as failures of whichever test is running, so this file
// collects them instead (and checks them), and gives the runner its listeners back at the end.
const rejections: unknown[] = [];
const onRejection = (e: unknown) => void rejections.push(e);
const runnerListeners = process.listeners("unhandledRejection");

before(async () => {
  registered = await installMocks(false);
  logs = captureLogs();
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", onRejection);
});
after(() => {
  process.off("unhandledRejection", onRejection);
  for (const l of runnerListeners) process.on("unhandledRejection", l);
  // The registrations a failed validation stopped never finish, and the runtime would fail the
  // process at exit for them ("promises were still active"). Only those may be pending.
  const leaked = [...leakedPromises()[0]].map((p) => (p as unknown as { _debugCtx: string })._debugCtx);
  assert.deepEqual(
    leaked.filter((ctx) => !/resource:(late-gw|late3-vs)\[/.test(ctx)),
    [],
  );
});
beforeEach(() => {
  resetDeclarations();
  logs.length = 0;
  rejections.length = 0;
});
afterEach(settle);

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBserver\n-----END CERTIFICATE-----\n";
const KEY =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-not-a-real-key\n-----END PRIVATE KEY-----\n";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBclientca\n-----END CERTIFICATE-----\n";

/** Every string that contains `needle` outside a secret envelope, with its path. */
function plaintext(value: unknown, needle: string, path = ""): string[] {
  if (typeof value === "string") return value.includes(needle) ? [path] : [];
  if (value === null || typeof value !== "object") return [];
  const sig = Object.entries(SECRET_SIG)[0];
  if ((value as Record<string, unknown>)[sig[0]] === sig[1]) return [];
  return Object.entries(value).flatMap(([k, v]) => plaintext(v, needle, `${path}/${k}`));
}

function secret(value: unknown): object {
  return { ...SECRET_SIG, value };
}

describe("errors in update mode", () => {
  for (const c of singleResourceCases) {
    it(c.why, () => {
      assert.throws(
        () => construct(c),
        (e: unknown) =>
          pulumi.InputPropertiesError.isInstance(e) &&
          e.message === expectedMessage(c.kind, c.name, c.errors),
      );
    });
  }
});

describe("values that resolve later", () => {
  it("are validated when they resolve: a bad port fails the Output the children are made from", async () => {
    const spec: pulumi.Output<GatewaySpec> = pulumi.output({
      servers: [{ port: { number: 70000, name: "http", protocol: "HTTP" }, hosts: ["a.example.com"] }],
    });
    const gw = new Gateway("late-gw", { spec });
    const errors = ["spec.servers[0].port.number: must be an integer from 1 to 65535 (got 70000)"];
    await assert.rejects(valueOf(gw.name), (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      assert.deepEqual(
        e.errors.map((x) => `${x.propertyPath}: ${x.reason}`),
        errors,
      );
      // The runtime prefixes the message of an error it meets while serializing a property
      // ("error serializing property ...: "); the house-style list is what follows.
      assert.ok(e.message.endsWith(expectedMessage("Gateway", "late-gw", errors)), e.message);
      return true;
    });
    await settle();
    assert.deepEqual(
      registered.filter((r) => r.name === "late-gw").map((r) => r.type),
      ["istio-gateway:index:Gateway"],
      "the custom resource is never registered from a spec that fails",
    );
    assert.ok(rejections.length > 0);
    assert.ok(rejections.every((e) => pulumi.InputPropertiesError.isInstance(e)));
  });

  it("are created once valid, with the resolved spec", async () => {
    const spec: pulumi.Output<GatewaySpec> = pulumi.output("late-cred").apply((credentialName) => ({
      servers: [httpsServer(["a.example.com"], { mode: "SIMPLE", credentialName })],
    }));
    const gw = new Gateway("late2-gw", { spec });
    assert.equal(await valueOf(gw.qualifiedName), "default/late2-gw");
    await settle();
    const cr = registered.find(
      (r) => r.type === "kubernetes:networking.istio.io/v1:Gateway" && r.name === "late2-gw",
    );
    assert.deepEqual(cr?.inputs, {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "late2-gw", namespace: "default" },
      spec: { servers: [httpsServer(["a.example.com"], { mode: "SIMPLE", credentialName: "late-cred" })] },
    });
    assert.deepEqual(logs, []);
  });

  it("a binding error found when a VirtualService resolves fails it, naming the Gateway", async () => {
    new Gateway("late3-gw", { spec: { servers: [httpsServer(["a.example.com"])] } });
    const vs = new VirtualService("late3-vs", {
      spec: pulumi.output({
        hosts: ["b.example.com"],
        gateways: ["late3-gw"],
        http: [{ route: [{ destination: { host: "b" } }] }],
      }),
    });
    await assert.rejects(valueOf(vs.name), (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      assert.deepEqual(e.errors, [
        {
          propertyPath: "spec.hosts",
          reason:
            'none matches a host of Gateway default/late3-gw visible to namespace "default" (got ["b.example.com"])',
        },
      ]);
      return true;
    });
  });
});

describe("TLS material", () => {
  const mutual = (credentialName: string) => ({
    servers: [httpsServer(["a.example.com"], { mode: "MUTUAL", credentialName })],
  });

  it("becomes a kubernetes.io/tls Secret whose content, and the component's recorded input, are secret", async () => {
    const gw = new Gateway("sec-gw", {
      metadata: { namespace: "istio-system" },
      spec: mutual("a-cred"),
      credentials: [{ name: "a-cred", certificate: CERT, privateKey: KEY, caCertificates: CA }],
    });
    const secrets = await valueOf(gw.credentialSecrets);
    assert.equal(secrets?.length, 1);
    assert.equal(await pulumi.isSecret(secrets![0].stringData), true);
    await settle();
    const mine = registered.filter((r) => r.name.startsWith("sec-gw"));
    assert.deepEqual(
      mine.map((r) => [r.type, r.name]),
      [
        ["istio-gateway:index:Gateway", "sec-gw"],
        ["kubernetes:core/v1:Secret", "sec-gw-credential-0"],
        ["kubernetes:networking.istio.io/v1:Gateway", "sec-gw"],
      ],
    );
    assert.deepEqual(mine[1].inputs, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "a-cred", namespace: "istio-system" },
      type: "kubernetes.io/tls",
      stringData: secret({ "tls.crt": CERT, "tls.key": KEY, "ca.crt": CA }),
    });
    assert.deepEqual(
      mine[0].inputs.credentials,
      secret([{ name: "a-cred", certificate: CERT, privateKey: KEY, caCertificates: CA }]),
    );
    assert.deepEqual(plaintext(registered, "not-a-real-key"), []);
  });

  it("puts the CA in the <name>-cacert companion Secret when asked", async () => {
    new Gateway("sec2-gw", {
      spec: mutual("b-cred"),
      credentials: [
        { name: "b-cred", certificate: CERT, privateKey: KEY, caCertificates: CA, separateCaSecret: true },
      ],
    });
    await settle();
    assert.deepEqual(
      registered
        .filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith("sec2-gw"))
        .sort((a, b) => a.name.localeCompare(b.name)),
      [
        {
          type: "kubernetes:core/v1:Secret",
          name: "sec2-gw-credential-0",
          inputs: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "b-cred", namespace: "default" },
            type: "kubernetes.io/tls",
            stringData: secret({ "tls.crt": CERT, "tls.key": KEY }),
          },
        },
        {
          type: "kubernetes:core/v1:Secret",
          name: "sec2-gw-credential-0-cacert",
          inputs: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "b-cred-cacert", namespace: "default" },
            type: "Opaque",
            stringData: secret({ "ca.crt": CA }),
          },
        },
      ],
    );
  });

  it("stays secret when the whole list arrives as a secret Output (another language's SDK)", async () => {
    const gw = new Gateway("sec3-gw", {
      spec: mutual("c-cred"),
      credentials: pulumi.secret([
        { name: "c-cred", certificate: CERT, privateKey: KEY, caCertificates: CA },
      ]),
    });
    assert.equal((await valueOf(gw.credentialSecrets))?.length, 1);
    await settle();
    const secretInputs = registered.find((r) => r.name === "sec3-gw-credential-0")?.inputs;
    assert.deepEqual(secretInputs?.stringData, secret({ "tls.crt": CERT, "tls.key": KEY, "ca.crt": CA }));
    assert.deepEqual(plaintext(registered, "not-a-real-key"), []);
  });

  it("a MUTUAL server naming a credential without a CA fails before any Secret exists", () => {
    const c: ErrorCase = {
      why: "",
      kind: "Gateway",
      name: "sec4-gw",
      args: { spec: mutual("d-cred"), credentials: [{ name: "d-cred", certificate: CERT, privateKey: KEY }] },
      errors: [
        'credentials[0].caCertificates: required when spec.servers[0].tls names this credential with mode "MUTUAL" and no caCertCredentialName',
      ],
    };
    assert.throws(
      () => construct(c),
      (e: unknown) =>
        pulumi.InputPropertiesError.isInstance(e) &&
        e.message === expectedMessage("Gateway", c.name, c.errors) &&
        !e.message.includes("not-a-real-key"),
    );
    assert.deepEqual(
      registered.filter((r) => r.name.startsWith("sec4-gw")),
      [],
    );
  });
});

describe("IstioCrds", () => {
  it("creates the Gateway and VirtualService definitions as the core builds them, v1 stored", async () => {
    const crds = new IstioCrds("crds", { labels: { team: "edge" } });
    assert.deepEqual(await valueOf(crds.names), [
      "gateways.networking.istio.io",
      "virtualservices.networking.istio.io",
    ]);
    await settle();
    const definitions = registered.filter(
      (r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    );
    const expected = (["Gateway", "VirtualService"] as const).map((kind) => {
      const built = buildCustomResourceDefinition(kind);
      return {
        ...built,
        metadata: { ...built.metadata, labels: { ...built.metadata.labels, team: "edge" } },
      };
    });
    assert.deepEqual(
      definitions.map((d) => d.name),
      ["crds-gateways", "crds-virtualservices"],
    );
    assert.deepEqual(
      definitions.map((d) => d.inputs),
      JSON.parse(JSON.stringify(expected)),
    );
    assert.deepEqual(
      definitions.map((d) =>
        (d.inputs.spec.versions as { name: string; served: boolean; storage: boolean }[]).map(
          (v) => `${v.name}${v.served ? " served" : ""}${v.storage ? " stored" : ""}`,
        ),
      ),
      [
        ["v1 served stored", "v1beta1 served", "v1alpha3 served"],
        ["v1 served stored", "v1beta1 served", "v1alpha3 served"],
      ],
    );
  });

  it("Gateways and VirtualServices given its definitions wait for them", async () => {
    const crds = new IstioCrds("crds2", {});
    const gw = new Gateway("dep-gw", {
      spec: { servers: [httpsServer(["a.example.com"])] },
      crds: crds.definitions,
    });
    const vs = new VirtualService("dep-vs", {
      spec: {
        hosts: ["a.example.com"],
        gateways: ["dep-gw"],
        http: [{ route: [{ destination: { host: "a" } }] }],
      },
      crds: crds.definitions,
    });
    await Promise.all([valueOf(gw.customResource.urn), valueOf(vs.customResource.urn)]);
    const crdUrns = await Promise.all(crds.definitions.map((d) => valueOf(d.urn)));
    for (const key of [
      "kubernetes:networking.istio.io/v1:Gateway dep-gw",
      "kubernetes:networking.istio.io/v1:VirtualService dep-vs",
    ]) {
      assert.deepEqual([...(dependencies.get(key) ?? [])].sort(), [...crdUrns].sort(), key);
    }
  });
});
