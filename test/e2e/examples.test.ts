// Every example under examples/ through the real engine against the local API server: its preview
// succeeds and lists exactly the resources the example declares; bookinfo's `up` creates the CRDs
// and custom resources (validated by the API server against our CRD schemas), a second `up` is a
// no-op, and `destroy` removes everything.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { bookinfoPlannedResources } from "./support/bookinfo";
import { startCluster, type LocalCluster } from "./support/cluster";
import { dropPropertyErrorRejections, programOf, readProgramDir } from "./support/program";
import { createTestStack, stepRecorder, type TestStack } from "./support/stack";
import { e2eSuite, type Toolchain } from "./support/toolchain";
import { expectedMessage } from "../provider/error-cases";
import type { ConfigValue, ProjectSettings } from "@pulumi/pulumi/automation";

const root = resolve(__dirname, "../..");
const examplesDir = join(root, "examples");
const brokenDir = join(root, "test", "provider", "broken");

/** The examples, by directory name. */
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** What one example and its broken twin (test/provider/broken/<name>) must do. */
interface ExampleCase {
  /** Stack configuration, keys unqualified. */
  readonly config?: Record<string, string | ConfigValue>;
  /** `type name` of every resource the preview creates, with this configuration. */
  readonly preview: string[];
  /** The broken twin's failing component and its `path: reason` errors. */
  readonly broken: { kind: string; name: string; errors: string[] };
}

/** PEM-shaped placeholders: the components check the shape; no TLS handshake happens here. */
const mutualTlsConfig = {
  serverCertificate: "-----BEGIN CERTIFICATE-----\nMIIBserver\n-----END CERTIFICATE-----\n",
  serverKey: { value: "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n", secret: true },
  clientCA: "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n",
};

/**
 * Every example. One without an entry fails the suite: a new example gets its expectation here.
 * The broken twins' errors are the ones the mock suites (test/provider/examples) expect: the
 * engine must show the user the same.
 */
const cases: Record<string, ExampleCase> = {
  bookinfo: {
    preview: bookinfoPlannedResources("bookinfo-e2e"),
    broken: {
      kind: "Gateway",
      name: "bookinfo-gateway",
      errors: [
        'spec.servers[0].tls.serverCertificate: required when tls.mode is "SIMPLE" and credentialName is not set',
        'spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set',
      ],
    },
  },
  canary: {
    preview: [
      "istio-gateway:index:Gateway reviews-gateway",
      "istio-gateway:index:VirtualService reviews",
      "kubernetes:networking.istio.io/v1:Gateway reviews-gateway",
      "kubernetes:networking.istio.io/v1:VirtualService reviews",
      "pulumi:providers:kubernetes default_4_34_2",
      "pulumi:pulumi:Stack canary-e2e",
    ],
    broken: {
      kind: "VirtualService",
      name: "reviews",
      errors: [
        'spec.hosts: none matches a host of Gateway istio-system/reviews-gateway visible to namespace "bookinfo" (got ["reviews.example.org"])',
      ],
    },
  },
  "mutual-tls": {
    config: mutualTlsConfig,
    preview: [
      "istio-gateway:index:Gateway mygateway",
      "istio-gateway:index:VirtualService httpbin",
      "kubernetes:core/v1:Secret mygateway-credential-0",
      "kubernetes:networking.istio.io/v1:Gateway mygateway",
      "kubernetes:networking.istio.io/v1:VirtualService httpbin",
      "pulumi:providers:kubernetes default_4_34_2",
      "pulumi:pulumi:Stack mutual-tls-e2e",
    ],
    broken: {
      kind: "Gateway",
      name: "mygateway",
      errors: [
        'credentials[0].caCertificates: required when spec.servers[0].tls names this credential with mode "MUTUAL" and no caCertCredentialName',
      ],
    },
  },
  "sni-passthrough": {
    preview: [
      "istio-gateway:index:Gateway mygateway",
      "istio-gateway:index:VirtualService nginx",
      "kubernetes:networking.istio.io/v1:Gateway mygateway",
      "kubernetes:networking.istio.io/v1:VirtualService nginx",
      "pulumi:providers:kubernetes default_4_34_2",
      "pulumi:pulumi:Stack sni-passthrough-e2e",
    ],
    broken: {
      kind: "VirtualService",
      name: "nginx",
      errors: [
        'spec.http: do not apply on server spec.servers[0] of Gateway default/mygateway, which passes TLS through and routes only tls rules (got protocol "HTTPS", tls.mode "PASSTHROUGH")',
      ],
    },
  },
};

/** Runs `body` with a fresh stack of the program in `dir`, disposed afterwards. */
async function withStack<T>(
  tools: Toolchain,
  cluster: LocalCluster,
  dir: string,
  config: Record<string, string | ConfigValue>,
  body: (test: TestStack) => Promise<T>,
): Promise<T> {
  const test = await createTestStack(tools, stackOptions(cluster, dir, config));
  try {
    return await body(test);
  } finally {
    test.dispose();
  }
}

/** The stack options that run the program in `dir` against `cluster`. */
function stackOptions(cluster: LocalCluster, dir: string, config: Record<string, string | ConfigValue>) {
  const program = readProgramDir(dir);
  const { description, runtime, config: schema } = program.project;
  return {
    projectName: program.projectName,
    project: { description, runtime, config: schema } as Partial<ProjectSettings>,
    program: programOf(program, { noControllers: true }),
    env: { KUBECONFIG: cluster.kubeconfigPath },
    config,
  };
}

e2eSuite("examples through the real engine", (tools) => {
  let cluster: LocalCluster;
  before(async () => {
    dropPropertyErrorRejections();
    cluster = await startCluster(tools);
  });
  after(async () => {
    await cluster?.stop();
  });

  describe("preview", () => {
    it("finds the examples", () => {
      assert.ok(examples.includes("bookinfo"), `examples: ${examples.join(", ")}`);
    });

    for (const example of examples) {
      it(`${example}: succeeds and lists the resources it declares`, async () => {
        const c = cases[example];
        assert.ok(c, `no expectation for examples/${example}: add one to examples.test.ts`);
        await withStack(tools, cluster, join(examplesDir, example), c.config ?? {}, async (test) => {
          const recorder = stepRecorder();
          const result = await test.stack.preview({ onEvent: recorder.onEvent });
          assert.deepEqual(
            recorder.steps.map((s) => `${s.op} ${s.type} ${s.name}`).sort(),
            c.preview.map((r) => `create ${r}`).sort(),
          );
          // The engine leaves default providers out of its summary.
          const counted = c.preview.filter((r) => !r.startsWith("pulumi:providers:"));
          assert.deepEqual(result.changeSummary, { create: counted.length });
        });
      });

      it(`${example}: its broken twin fails, printing each path and message`, async () => {
        const c = cases[example];
        assert.ok(c, `no expectation for examples/${example}: add one to examples.test.ts`);
        await withStack(tools, cluster, join(brokenDir, example), c.config ?? {}, async (test) => {
          let output = "";
          const failure = await test.stack
            .preview({ onOutput: (out) => (output += out), color: "never" })
            .then(
              () => undefined,
              (err: Error) => err,
            );
          assert.ok(failure instanceof Error, "the preview succeeded");
          assert.match(failure.message, /Command failed with exit code 1: \S+\/bin\/pulumi preview /);
          const { kind, name, errors } = c.broken;
          const [first, ...rest] = expectedMessage(kind, name, errors).split("\n");
          const block = [`    error: ${first}`, ...rest.map((line) => `    ${line}`)].join("\n");
          assert.ok(output.includes(block), `the output lacks\n${block}\n--- output:\n${output}`);
        });
      });
    }
  });

  describe("bookinfo lifecycle", () => {
    let test: TestStack;
    before(async () => {
      test = await createTestStack(
        tools,
        stackOptions(cluster, join(examplesDir, "bookinfo"), {
          installCrds: "true",
          // istio-system holds the proxy; a bare API server has none.
          createNamespace: "true",
          skipAwait: "true",
        }),
      );
    });
    after(() => test?.dispose());

    it("up creates the CRDs and the custom resources, and kubectl sees them", async () => {
      const result = await test.stack.up();
      assert.equal(result.summary.result, "succeeded");
      assert.equal(result.outputs.gatewayName.value, "default/bookinfo-gateway");
      const crds = await cluster.kubectl(["get", "crds", "-o", "name"]);
      assert.deepEqual(crds.trim().split("\n").sort(), [
        "customresourcedefinition.apiextensions.k8s.io/gateways.networking.istio.io",
        "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io",
      ]);
      const gateway = JSON.parse(
        await cluster.kubectl([
          "get",
          "gateways.networking.istio.io",
          "bookinfo-gateway",
          "-n",
          "default",
          "-o",
          "json",
        ]),
      ) as { apiVersion: string; spec: unknown };
      assert.equal(gateway.apiVersion, "networking.istio.io/v1");
      assert.deepEqual(gateway.spec, {
        selector: { istio: "ingressgateway" },
        servers: [
          {
            port: { number: 443, name: "https", protocol: "HTTPS" },
            hosts: ["bookinfo.com"],
            tls: { mode: "SIMPLE", credentialName: "bookinfo-secret" },
          },
        ],
      });
      const virtualService = JSON.parse(
        await cluster.kubectl([
          "get",
          "virtualservices.networking.istio.io",
          "bookinfo",
          "-n",
          "default",
          "-o",
          "json",
        ]),
      ) as { spec: { hosts: string[]; gateways: string[]; http: unknown[] } };
      assert.deepEqual(virtualService.spec.hosts, ["bookinfo.com"]);
      assert.deepEqual(virtualService.spec.gateways, ["bookinfo-gateway"]);
      assert.equal(virtualService.spec.http.length, 2);
    });

    it("a second up is a no-op", async () => {
      const result = await test.stack.up({ expectNoChanges: true });
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["same"]);
    });

    it("the API server rejects a Gateway that our CRD schema forbids", async () => {
      const invalid = {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "no-port", namespace: "default" },
        spec: {
          servers: [{ hosts: ["example.com"], port: { number: "eighty", name: "http", protocol: "HTTP" } }],
        },
      };
      await assert.rejects(cluster.kubectl(["apply", "-f", "-"], JSON.stringify(invalid)), {
        message: [
          'kubectl apply -f - failed: The Gateway "no-port" is invalid: ',
          '* spec.servers[0].port.number: Invalid value: "string": spec.servers[0].port.number in body must be of type integer: "string"',
          "* <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ].join("\n"),
      });
      await assert.rejects(
        cluster.kubectl(["get", "gateways.networking.istio.io", "no-port", "-n", "default"]),
        /NotFound|not found/,
      );
    });

    it("destroy removes everything", async () => {
      const result = await test.stack.destroy();
      assert.equal(result.summary.result, "succeeded");
      assert.equal((await cluster.kubectl(["get", "crds", "-o", "name"])).trim(), "");
    });
  });
});
