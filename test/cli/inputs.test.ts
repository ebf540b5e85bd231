// The command-line contract for inputs and exit codes: what scripts and CI depend on.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "./run-cli";

const gateway = (name: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`;

describe("istio-gateway inputs and exit codes", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "igw-cli-"));
    mkdirSync(join(dir, "nested/deeper"), { recursive: true });
    writeFileSync(join(dir, "a.yaml"), gateway("a"));
    writeFileSync(join(dir, "nested/b.yml"), gateway("b"));
    writeFileSync(join(dir, "nested/deeper/c.json"), JSON.stringify({ apiVersion: "v1", kind: "ConfigMap" }));
    writeFileSync(join(dir, "nested/notes.txt"), "not configuration: [");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads directories recursively (*.yaml, *.yml, *.json only) and counts skipped kinds", async () => {
    const r = await runCli(["validate", dir]);
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "\u2714 No validation issues found in 2 resources; 1 object of other kinds skipped (1 ConfigMap).\n",
      stderr: "",
    });
  });

  it("names a skipped kind by its API group where an Istio or core kind has its name", async () => {
    const stdin = [
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {gatewayClassName: istio}",
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}",
    ].join("\n---\n");
    const r = await runCli(["validate", "-"], { stdin });
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "\u2714 No validation issues found in 0 resources; 2 objects of other kinds skipped (1 HTTPRoute, 1 gateway.networking.k8s.io/Gateway).\n",
      stderr: "",
    });
  });

  it("checks AuthorizationPolicies (security.istio.io) instead of skipping them", async () => {
    // authz-ingress, snip_ipbased_allow_list_and_deny_list_2, with a CIDR block Istio refuses.
    const stdin = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingress-policy
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: istio-ingressgateway
  action: ALLOW
  rules:
  - from:
    - source:
        remoteIpBlocks: ["1.2.3.4", "5.6.7.0/33"]
`;
    const r = await runCli(["analyze", "-"], { stdin });
    assert.deepEqual(r, {
      code: 1,
      stdout:
        'Error [IGW5211] (AuthorizationPolicy istio-system/ingress-policy -:14) spec.rules[0].from[0].source.remoteIpBlocks[1]: must be a CIDR block such as "10.0.0.0/8" (got "5.6.7.0/33")\n1 error and 0 warnings in 1 resource.\n',
      stderr: "",
    });
  });

  it("reads standard input for -, with multiple documents and kind: List", async () => {
    const list = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      ...gateway("l1")
        .trimEnd()
        .split("\n")
        .map((line, i) => (i === 0 ? `- ${line}` : `  ${line}`)),
      "",
    ].join("\n");
    const r = await runCli(["validate", "--format", "json", "-"], { stdin: `${list}---\n${gateway("s2")}` });
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), {
      findings: [],
      summary: { checked: { Gateway: 2 }, skipped: {} },
    });
  });

  it("gives malformed YAML its file, line and column, exit 2, and still checks the rest", async () => {
    const r = await runCli(["validate", "-"], { stdin: `${gateway("ok")}---\nkind: Gateway\nspec: [1,\n` });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^-:15:1: flow sequence in block collection must be sufficiently indented/);
    assert.equal(
      r.stdout,
      "0 errors and 0 warnings in 1 resource; 1 input error, on stderr: what they hold was not checked.\n",
    );
  });

  it("names a document without kind or name as such", async () => {
    const r = await runCli(["validate", "-"], { stdin: "apiVersion: v1\nmetadata: {}\n" });
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout.split("\n")[0],
      "Error [IGW0102] (<no kind> default/<no name> -:1) apiVersion and kind are required: not a Kubernetes object",
    );
  });

  it("reports an unreadable input and exits 2", async () => {
    const r = await runCli(["analyze", join(dir, "missing.yaml")]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stdout,
      "0 errors and 0 warnings in 0 resources; 1 input error, on stderr: what they hold was not checked.\n",
    );
    assert.equal(
      r.stderr,
      `istio-gateway: cannot read ${JSON.stringify(join(dir, "missing.yaml"))}: no such file or directory\n`,
    );
  });

  it("exits 2 on usage errors", async () => {
    for (const args of [
      ["validate"],
      ["validate", "--format", "xml", "-"],
      ["frobnicate"],
      ["validate", "--nope", "-"],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.notEqual(r.stderr, "");
    }
  });

  it("exits 0 for --help", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: istio-gateway/);
  });

  it("reports a document without apiVersion or kind", async () => {
    const r = await runCli(["validate", "--format", "json", "-"], { stdin: "metadata:\n  name: x\n" });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).findings, [
      {
        severity: "error",
        code: "IGW0102",
        resource: { kind: "", namespace: "default", name: "x" },
        path: "",
        message: "apiVersion and kind are required: not a Kubernetes object",
      },
    ]);
  });
});
