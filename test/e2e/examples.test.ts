// Every example under examples/ through the real engine against the local API server: its preview
// succeeds and lists exactly the resources the example declares; bookinfo's `up` creates the CRDs
// and custom resources (validated by the API server against our CRD schemas), a second `up` is a
// no-op, and `destroy` removes everything.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { startCluster, type LocalCluster } from "./support/cluster";
import { programOf, readProgramDir } from "./support/program";
import { createTestStack, stepRecorder, type TestStack } from "./support/stack";
import { e2eSuite, type Toolchain } from "./support/toolchain";

const examplesDir = resolve(__dirname, "../../examples");

/** The examples, by directory name. */
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/**
 * What each example's preview creates, as `type name`, with its default configuration. An example
 * without an entry fails the suite: a new example gets its expectation written here.
 */
const expectedPreview: Record<string, string[]> = {
  bookinfo: [
    "istio-gateway:index:Gateway bookinfo-gateway",
    "istio-gateway:index:VirtualService bookinfo",
    "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
    "pulumi:providers:kubernetes default_4_34_2",
    "pulumi:pulumi:Stack bookinfo-e2e",
  ],
};

/** Runs `body` with a fresh stack of `example`, disposed afterwards. */
async function withStack<T>(
  tools: Toolchain,
  cluster: LocalCluster,
  example: string,
  config: Record<string, string>,
  body: (test: TestStack) => Promise<T>,
): Promise<T> {
  const program = readProgramDir(join(examplesDir, example));
  const test = await createTestStack(tools, {
    projectName: program.projectName,
    program: programOf(program, { noControllers: true }),
    env: { KUBECONFIG: cluster.kubeconfigPath },
    config,
  });
  try {
    return await body(test);
  } finally {
    test.dispose();
  }
}

e2eSuite("examples through the real engine", (tools) => {
  let cluster: LocalCluster;
  before(async () => {
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
        const expected = expectedPreview[example];
        assert.ok(expected, `no expected preview for examples/${example}: add one to examples.test.ts`);
        await withStack(tools, cluster, example, {}, async (test) => {
          const recorder = stepRecorder();
          const result = await test.stack.preview({ onEvent: recorder.onEvent });
          assert.deepEqual(
            recorder.steps.map((s) => `${s.op} ${s.type} ${s.name}`).sort(),
            expected.map((r) => `create ${r}`).sort(),
          );
          assert.deepEqual(result.changeSummary, { create: expected.length });
        });
      });
    }
  });

  describe("bookinfo lifecycle", () => {
    let test: TestStack;
    before(async () => {
      const program = readProgramDir(join(examplesDir, "bookinfo"));
      test = await createTestStack(tools, {
        projectName: program.projectName,
        program: programOf(program, { noControllers: true }),
        env: { KUBECONFIG: cluster.kubeconfigPath },
        config: { "bookinfo:installCrds": "true" },
      });
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
      await assert.rejects(cluster.kubectl(["apply", "-f", "-"], JSON.stringify(invalid)), (err: Error) => {
        assert.match(err.message, /The Gateway "no-port" is invalid: .*spec\.servers\[0\]\.port\.number/);
        return true;
      });
    });

    it("destroy removes everything", async () => {
      const result = await test.stack.destroy();
      assert.equal(result.summary.result, "succeeded");
      assert.equal((await cluster.kubectl(["get", "crds", "-o", "name"])).trim(), "");
    });
  });
});
