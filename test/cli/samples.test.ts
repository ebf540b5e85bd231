// The command line on Istio's own sample YAML (../shared/samples), and on broken variants of it:
// exact output and exit codes, as a CI pipeline would see them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, samplesDir } from "./run-cli";

const sample = (name: string) => readFileSync(join(samplesDir, name), "utf8");

describe("istio-gateway on Istio's samples", () => {
  for (const file of [
    "bookinfo-gateway.yaml",
    "docs-secure-ingress-simple.yaml",
    "httpbin-gateway.yaml",
    "tcp-echo-all-v1.yaml",
    "virtual-service-reviews-80-20.yaml",
  ]) {
    it(`finds nothing wrong in ${file}, even with --strict`, async () => {
      const r = await runCli(["analyze", "--strict", join(samplesDir, file)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^\u2714 No validation issues found in \d+ resources?\.\n$/);
    });
  }

  it("notices the two VirtualServices named httpbin when the samples are read together", async () => {
    const r = await runCli(["analyze", "../shared/samples"]);
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "Warning [IGW0101] (VirtualService default/httpbin ../shared/samples/docs-secure-ingress-simple.yaml:25) " +
        "metadata.name: defined again at ../shared/samples/httpbin-gateway.yaml:16; the later definition is used\n" +
        "0 errors and 1 warning in 10 resources.\n",
      stderr: "",
    });
  });

  it("reports a VirtualService naming a Gateway that does not exist (IST0101), with its line", async () => {
    const broken = sample("bookinfo-gateway.yaml").replace("- bookinfo-gateway", "- bookinfo-gw");
    const r = await runCli(["analyze", "-"], { stdin: broken });
    assert.deepEqual(r, {
      code: 1,
      stdout:
        'Error [IST0101] (VirtualService default/bookinfo -:26) spec.gateways[0]: references Gateway default/bookinfo-gw, which does not exist (got "bookinfo-gw")\n' +
        "1 error and 0 warnings in 2 resources.\n",
      stderr: "",
    });
  });

  it("warns that an HTTPS server without tls.mode passes TLS through, and fails with --strict", async () => {
    const broken = sample("docs-secure-ingress-simple.yaml").replace(/^ +mode: SIMPLE\n/m, "");
    const lenient = await runCli(["analyze", "--format", "json", "-"], { stdin: broken });
    assert.equal(lenient.code, 0);
    const findings = JSON.parse(lenient.stdout).findings as Array<Record<string, unknown>>;
    assert.deepEqual(
      findings.map((f) => [f.severity, f.code, f.istioCode, f.path]),
      [
        ["warning", "IGW2511", "IST0133", "spec.servers[0].tls.mode"],
        ["warning", "IGW4010", undefined, "spec.http"],
      ],
    );
    const strict = await runCli(["analyze", "--strict", "--format", "json", "-"], { stdin: broken });
    assert.equal(strict.code, 1);
    assert.deepEqual(
      (JSON.parse(strict.stdout).findings as Array<{ severity: string }>).map((f) => f.severity),
      ["error", "error"],
    );
  });

  it("reports shape and cross-resource errors together in JSON", async () => {
    const broken = sample("docs-secure-ingress-simple.yaml").replace(
      "mode: SIMPLE",
      "mode: SIMPLE\n      credentialNames: [other]",
    );
    const r = await runCli(["analyze", "--format", "json", "-"], { stdin: broken });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).findings, [
      {
        severity: "error",
        code: "IGW1009",
        istioCode: "IST0106",
        resource: { kind: "Gateway", namespace: "default", name: "mygateway" },
        path: "spec.servers[0].tls",
        message: "only one of credentialName or credentialNames may be set",
      },
      {
        severity: "error",
        code: "IGW4001",
        istioCode: "IST0101",
        resource: { kind: "VirtualService", namespace: "default", name: "httpbin" },
        path: "spec.gateways[0]",
        message: 'references Gateway default/mygateway, which does not exist (got "mygateway")',
      },
    ]);
  });
});
