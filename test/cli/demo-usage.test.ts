// `istio-gateway demo` before it starts anything: flags that belong to the other mode are usage
// errors, and without the toolchain it names the command that builds it and exits 2.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readToolsEnv } from "../../provider/src/local/toolchain";
import { repoRoot, runCli, type CliResult } from "./run-cli";

function runDemo(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return runCli(["demo", ...args], { env });
}

describe("istio-gateway demo: usage", () => {
  const cases: { name: string; args: string[]; stderr: string }[] = [
    {
      name: "--listen-port without --no-cluster",
      args: ["--listen-port", "9000"],
      stderr: "error: --listen-port applies to --no-cluster; the Bookinfo Gateway listens on --https-port\n",
    },
    {
      name: "--https-port with --no-cluster",
      args: ["--no-cluster", "--https-port", "9443"],
      stderr: "error: --https-port does not apply to --no-cluster; use --listen-port\n",
    },
    {
      name: "a port out of range",
      args: ["--https-port", "70000"],
      stderr:
        "error: option '--https-port <n>' argument '70000' is invalid. must be a port from 0 to 65535 (got \"70000\")\n",
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} (exit 2)`, async () => {
      const result = await runDemo(c.args);
      // Commander prints the command's help after the error; the first line is the error itself.
      assert.deepEqual(
        { code: result.code, stdout: result.stdout, firstLine: result.stderr.split("\n")[0] + "\n" },
        { code: 2, stdout: "", firstLine: c.stderr },
      );
    });
  }

  it("refuses a port in use before it starts anything (exit 2)", async () => {
    const taken = net.createServer();
    await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      assert.deepEqual(await runDemo(["--https-port", `${port}`]), {
        code: 2,
        stdout: "",
        stderr: `istio-gateway demo: port ${port} is in use: choose another with --https-port (0 picks a free one)\n`,
      });
    } finally {
      taken.close();
    }
  });

  it("names the command that builds a missing toolchain and exits 2", async () => {
    const cache = "/nonexistent/istio-gateway-tools";
    const pins = readToolsEnv(readFileSync(join(repoRoot, "test/e2e/tools.env"), "utf8"));
    const result = await runDemo(["--https-port", "0", "--status-port", "0"], {
      ...process.env,
      ISTIO_GATEWAY_TOOLS_CACHE: cache,
    });
    const missing = [
      `${cache}/pulumi-${pins.PULUMI_VERSION}/bin/pulumi`,
      `${cache}/pulumi-${pins.PULUMI_VERSION}/bin/pulumi-language-nodejs`,
      `${cache}/pulumi-resource-kubernetes-${pins.PULUMI_KUBERNETES_VERSION}/bin/pulumi-resource-kubernetes`,
      `${cache}/kubernetes-${pins.KUBERNETES_VERSION}/bin/kube-apiserver`,
      `${cache}/kubernetes-${pins.KUBERNETES_VERSION}/bin/kubectl`,
      `${cache}/etcd-${pins.ETCD_VERSION}/bin/etcd`,
    ];
    assert.deepEqual(result, {
      code: 2,
      stdout: "",
      stderr:
        "istio-gateway demo: the local toolchain is not built: run `bash test/e2e/tools.sh` in the repository " +
        `once (or use --no-cluster); missing: ${missing.join(", ")}\n`,
    });
  });
});
