// The command loads what a subcommand needs and no more: validate and analyze never load the
// proxy's runtime, and a proxy on files never loads the Kubernetes client (start-up time and
// idle memory both paid for it).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { test } from "node:test";
import { freePort } from "../../provider/src/local/free-port";
import { repoRoot, samplesDir } from "./run-cli";

const preload = resolve(__dirname, "report-loaded-modules.cjs");
const bin = resolve(repoRoot, "provider/bin/istio-gateway.js");

interface Loaded {
  proxyRuntime: boolean;
  kubernetesClient: boolean;
}

/** Runs the command with the preload; `until` (a stderr pattern) makes it send SIGTERM when seen. */
async function loadedBy(args: string[], until?: RegExp): Promise<Loaded> {
  // Not a test process itself: with node:test's context variable inherited, Node sets the command
  // up as a test child, and a SIGTERM right after start-up can arrive before its handlers exist.
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  const child = spawn(process.execPath, ["--require", preload, bin, ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  let stopped = false;
  // Bounded, but generous: under a full parallel test run the first start can be slow.
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (!stopped && until !== undefined && until.test(stderr)) {
      stopped = true; // once: a second SIGTERM would end the drain at once
      child.kill("SIGTERM");
    }
  });
  const [code, signal] = (await once(child, "close")) as [number | null, string | null];
  clearTimeout(timer);
  const line = /^LOADED (.*)$/m.exec(stderr);
  assert.ok(line, `no LOADED line (exit ${code}, signal ${signal}) in:\n${stderr}`);
  return JSON.parse(line[1]!) as Loaded;
}

test("validate and analyze load neither the proxy runtime nor the Kubernetes client", async () => {
  const sample = resolve(samplesDir, "bookinfo-gateway.yaml");
  for (const command of ["validate", "analyze"]) {
    assert.deepEqual(
      await loadedBy([command, sample]),
      { proxyRuntime: false, kubernetesClient: false },
      command,
    );
  }
});

test("a proxy on files loads its runtime but not the Kubernetes client", async () => {
  const [http, status] = [await freePort(), await freePort()];
  const loaded = await loadedBy(
    [
      "proxy",
      "--config",
      resolve(samplesDir, "bookinfo-gateway.yaml"),
      "--bind",
      "127.0.0.1",
      "--port",
      `8080=${http}`,
      "--status-port",
      String(status),
      "--drain-timeout",
      "1",
    ],
    /status on :/,
  );
  assert.deepEqual(loaded, { proxyRuntime: true, kubernetesClient: false });
});
