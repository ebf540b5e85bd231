// `istio-gateway demo`, the README's main command, as a user runs it: it starts the local control
// plane, runs `pulumi up` of the root program against it, starts stand-in backends and the gateway
// in Kubernetes mode, and prints commands. Each printed command is run as printed (real curl, real
// kubectl, through sh); then Ctrl-C (SIGINT) must stop everything within a bounded time, leaving no
// etcd or kube-apiserver process, no temporary directory and no stack settings in the checkout.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, it } from "node:test";
import { freePort } from "../../provider/src/local/free-port";
import { e2eSuite } from "./support/toolchain";

const execFileAsync = promisify(execFile);
const repoRoot = resolve(__dirname, "../..");

/** Runs a printed command line through sh, as a user pasting it would; resolves with its stdout. */
async function sh(line: string): Promise<string> {
  const { stdout } = await execFileAsync("sh", ["-c", line], { timeout: 20_000 });
  return stdout;
}

/** Whether a process with this id runs: a zombie (exited, not yet reaped) does not. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits until `check` holds, polling every 100 ms, for at most `ms`. */
async function waitUntil(what: string, ms: number, check: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms; output so far:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

e2eSuite("istio-gateway demo on the local control plane", (tools) => {
  let child: ChildProcess;
  let stdout = "";
  let stderr = "";
  let httpsPort: number;
  let statusPort: number;
  let pids: number[] = [];
  let dir = "";
  let lines: string[] = [];
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const output = () => `${stderr}\n${stdout}`;
  /** The printed command lines, by what they start with and end with. */
  const command = (start: string, end: string): string => {
    const found = lines.find((l) => l.startsWith(start) && l.endsWith(end));
    assert.ok(found, `no printed command "${start} ... ${end}" in:\n${lines.join("\n")}`);
    return found;
  };

  before(async () => {
    httpsPort = await freePort();
    statusPort = await freePort();
    child = spawn(
      process.execPath,
      [
        resolve(repoRoot, "provider/bin/istio-gateway.js"),
        "demo",
        "--https-port",
        `${httpsPort}`,
        "--status-port",
        `${statusPort}`,
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    await waitUntil(
      "the demo printed its commands",
      300_000,
      () => stdout.includes("Ctrl-C stops") || exited(),
      output,
    );
    assert.equal(exited(), false, `the demo exited (${child.exitCode}):\n${output()}`);
    const m = /etcd pid (\d+), kube-apiserver pid (\d+)/.exec(stderr);
    pids = m ? [Number(m[1]), Number(m[2])] : [];
    dir = /files in (\S+) \(removed on exit\)/.exec(stderr)?.[1] ?? "";
    // The access log shares stdout; its lines are JSON objects.
    lines = stdout.split("\n").filter((l) => !l.startsWith("{"));
  });

  after(() => {
    // Only when an assertion failed before Ctrl-C: leave nothing running.
    if (child !== undefined && !exited()) child.kill("SIGKILL");
    for (const pid of pids) if (alive(pid)) process.kill(-pid, "SIGKILL");
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("reports each step with its time, and the control plane's processes", () => {
    const steps = stderr
      .split("\n")
      .filter((l) => l.startsWith("istio-gateway demo: "))
      .map((l) =>
        l
          .split(dir)
          .join("DIR")
          .replace(/\(\d+\.\d+s\)$/, "(Ns)")
          .replace(/ready in \d+\.\d+s/, "ready in Ns")
          .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
          .replace(/pid \d+/g, "pid N")
          .replace(/stack demo-\d+/, "stack demo-PID")
          // Which resources the root program makes is the examples suite's to pin.
          .replace(/: \d+ resources created/, ": N resources created"),
      );
    assert.deepEqual(steps, [
      "istio-gateway demo: control plane ready at https://127.0.0.1:PORT (etcd pid N, kube-apiserver pid N) (Ns)",
      "istio-gateway demo: certificate for bookinfo.com signed by a new CA (DIR/tls/ca.crt) (Ns)",
      "istio-gateway demo: pulumi up of the root program: N resources created on stack demo-PID (Ns)",
      "istio-gateway demo: applied the definitions of DestinationRule and ServiceEntry, which the gateway watches too (Ns)",
      "istio-gateway demo: stand-in backends productpage v1 on 127.0.0.1:PORT, reviews v1 on 127.0.0.1:PORT (Ns)",
      `istio-gateway demo: gateway serving on 127.0.0.1:PORT, status on :${statusPort} (Ns)`,
      "istio-gateway demo: ready in Ns; files in DIR (removed on exit)",
    ]);
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive), `etcd and kube-apiserver run: ${pids.join(", ")}`);
  });

  it("prints the commands that reach the backends through the gateway", () => {
    const controlPlaneDir = readdirSync(dir).find((f) => f.startsWith("igw-control-plane-"));
    const target = `--cacert ${dir}/tls/ca.crt --resolve bookinfo.com:${httpsPort}:127.0.0.1 https://bookinfo.com:${httpsPort}`;
    assert.deepEqual(lines, [
      `The gateway serves https://bookinfo.com:${httpsPort} (the Gateway's port 443) with routes from the control plane. Try:`,
      `  curl ${target}/productpage`,
      `  curl ${target}/reviews/1`,
      `  curl -i ${target}/ratings`,
      `  curl -s http://127.0.0.1:${statusPort}/metrics | grep istio_requests_total`,
      "Change routing live (/reviews to productpage), then curl /reviews/1 again:",
      `  ${tools.kubectl} --kubeconfig ${join(dir, controlPlaneDir!, "kubeconfig")} -n default patch virtualservice bookinfo ` +
        `--type json -p '[{"op":"replace","path":"/spec/http/0/route/0/destination/host","value":"productpage"}]'`,
      "Ctrl-C stops the gateway, the backends and the control plane, and removes their files.",
      "",
    ]);
  });

  it("reaches productpage (exact path) and reviews (prefix) over TLS, and answers 404 elsewhere", async () => {
    assert.equal(await sh(command("  curl --cacert", "/productpage")), "productpage v1: GET /productpage\n");
    assert.equal(await sh(command("  curl --cacert", "/reviews/1")), "reviews v1: GET /reviews/1\n");
    const notFound = (await sh(command("  curl -i", "/ratings")))
      .split("\r\n")
      .filter((l) => !l.startsWith("date:"));
    assert.deepEqual(notFound, [
      "HTTP/2 404 ",
      "x-igw-error-code: IGW_ERR_NO_ROUTE",
      "content-length: 0",
      "server: istio-envoy",
      "",
      "",
    ]);
  });

  it("counts the requests in istio_requests_total by destination service, the unrouted one as unknown", async () => {
    const counts = (await sh(command("  curl -s", "grep istio_requests_total")))
      .split("\n")
      .filter((l) => l.startsWith("istio_requests_total{"))
      .map((l) => {
        const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(l)?.[1];
        return `${label("destination_service")} ${label("response_code")} ${l.split(" ").pop()}`;
      })
      .sort();
    assert.deepEqual(counts, [
      "productpage.default.svc.cluster.local 200 1",
      "reviews.default.svc.cluster.local 200 1",
      "unknown 404 1",
    ]);
  });

  it("follows a routing change made with the printed kubectl command", async () => {
    assert.equal(
      await sh(command(`  ${tools.kubectl}`, "]'")),
      "virtualservice.networking.istio.io/bookinfo patched\n",
    );
    const reviews = command("  curl --cacert", "/reviews/1");
    let body = "";
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (body = await sh(reviews)) !== "productpage v1: GET /reviews/1\n") {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(body, "productpage v1: GET /reviews/1\n");
  });

  it("stops everything on Ctrl-C and exits 0", async () => {
    const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const start = Date.now();
    child.kill("SIGINT");
    const code = await Promise.race([
      exit,
      new Promise<string>((done) => setTimeout(() => done("timeout"), 60_000)),
    ]);
    assert.equal(code, 0, `exit within 60 s; output:\n${output()}`);
    assert.ok(Date.now() - start < 60_000);
    assert.deepEqual(pids.filter(alive), [], "no etcd or kube-apiserver left");
    assert.equal(existsSync(dir), false, `${dir} removed`);
    assert.deepEqual(
      readdirSync(repoRoot).filter((f) => /^Pulumi\.demo-\d+\.yaml$/.test(f)),
      [],
      "no stack settings left beside Pulumi.yaml",
    );
    const last = stderr.trimEnd().split("\n").slice(-3);
    assert.deepEqual(
      last.map((l) =>
        l
          .replace(/\(\d+\.\d+s\)$/, "(Ns)")
          .split(dir)
          .join("DIR"),
      ),
      [
        "istio-gateway proxy: SIGINT: draining (at most 2s)",
        "istio-gateway proxy: drained",
        "istio-gateway demo: stopped the backends and the control plane, removed DIR (Ns)",
      ],
    );
  });
});

/** Processes whose environment mentions `text` (the Pulumi CLI and its plugins carry PULUMI_HOME). */
function processesWithEnv(text: string): number[] {
  return readdirSync("/proc")
    .filter((f) => /^\d+$/.test(f))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").includes(text) && alive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

e2eSuite("istio-gateway demo interrupted during pulumi up", () => {
  it("stops the Pulumi CLI, its plugins and the control plane on Ctrl-C, and exits 0", async () => {
    const child = spawn(
      process.execPath,
      [resolve(repoRoot, "provider/bin/istio-gateway.js"), "demo", "--https-port", "0", "--status-port", "0"],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    let pids: number[] = [];
    try {
      await waitUntil(
        "the demo made its certificate",
        120_000,
        () => stderr.includes("signed by a new CA"),
        () => stderr,
      );
      const m = /etcd pid (\d+), kube-apiserver pid (\d+)/.exec(stderr);
      pids = m ? [Number(m[1]), Number(m[2])] : [];
      const dir = /signed by a new CA \((\S+)\/tls\/ca\.crt\)/.exec(stderr)?.[1] ?? "";
      // pulumi up is under way once its CLI and plugins run with the demo's PULUMI_HOME.
      await waitUntil(
        "pulumi runs",
        30_000,
        () => processesWithEnv(`${dir}/pulumi/home`).length >= 2,
        () => stderr,
      );
      child.kill("SIGINT");
      const code = await Promise.race([
        exit,
        new Promise<string>((done) => setTimeout(() => done("timeout"), 60_000)),
      ]);
      assert.equal(code, 0, `exit within 60 s; output:\n${stderr}`);
      assert.deepEqual(stderr.trimEnd().split("\n").slice(-2), [
        "istio-gateway demo: SIGINT: stopping",
        "istio-gateway demo: stopped before the gateway served",
      ]);
      assert.deepEqual(pids.filter(alive), [], "no etcd or kube-apiserver left");
      assert.deepEqual(processesWithEnv(`${dir}/pulumi/home`), [], "no Pulumi process left");
      assert.equal(existsSync(dir), false, `${dir} removed`);
      assert.deepEqual(
        readdirSync(repoRoot).filter((f) => /^Pulumi\.demo-\d+\.yaml$/.test(f)),
        [],
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      for (const pid of pids) if (alive(pid)) process.kill(-pid, "SIGKILL");
    }
  });
});
