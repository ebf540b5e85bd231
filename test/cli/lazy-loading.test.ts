// The command loads what a subcommand needs and no more: validate and analyze never load the
// proxy's runtime, a proxy on files never loads the Kubernetes client (start-up time and idle
// memory both paid for it), and a proxy serving keeps nothing that loading took.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
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

/** The live (not yet reaped) child processes of `pid`, by command name, from /proc. */
function liveChildren(pid: number): string[] {
  const names: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ")".
    const close = stat.lastIndexOf(")");
    const [state, ppid] = stat.slice(close + 2).split(" ");
    if (Number(ppid) === pid && state !== "Z") names.push(stat.slice(stat.indexOf("(") + 1, close));
  }
  return names;
}

test("a proxy serving has stopped the esbuild service tsx compiled its modules with", async () => {
  const [http, status] = [await freePort(), await freePort()];
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  // No transform cache: every module goes through esbuild, so its service surely starts.
  env["TSX_DISABLE_CACHE"] = "1";
  const args = ["--config", resolve(samplesDir, "bookinfo-gateway.yaml"), "--bind", "127.0.0.1"];
  args.push("--port", `8080=${http}`, "--status-port", String(status), "--drain-timeout", "1");
  const child = spawn(process.execPath, [bin, "proxy", ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  try {
    let stderr = "";
    child.stderr.setEncoding("utf8");
    for await (const chunk of child.stderr) {
      stderr += chunk as string;
      if (/status on :/.test(stderr)) break;
    }
    assert.match(stderr, /status on :/);
    // The service is stopped once the proxy serves; its process may take a moment to exit.
    let children = liveChildren(child.pid!);
    for (let i = 0; i < 50 && children.length > 0; i++) {
      await sleep(100);
      children = liveChildren(child.pid!);
    }
    assert.deepEqual(children, []);
    // And the proxy serves: the sample's route answers (its backend is not there: 503).
    const res = await fetch(`http://127.0.0.1:${http}/productpage`);
    assert.equal(res.status, 503);
  } finally {
    child.kill("SIGTERM");
    await once(child, "close");
    clearTimeout(timer);
  }
});
