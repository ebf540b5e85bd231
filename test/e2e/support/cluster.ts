// A Kubernetes control plane for tests: etcd and kube-apiserver on loopback, with certificates made
// by openssl and a static bearer token, torn down completely afterwards. There is no kubelet and no
// controller manager, so nothing schedules pods: objects are stored and validated, never run.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Toolchain } from "./toolchain";

const execFileAsync = promisify(execFile);

/** A running control plane; {@link LocalCluster.stop} ends it and removes its files. */
export interface LocalCluster {
  /** The API server's URL, `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** The bearer token of the cluster administrator (group system:masters). */
  readonly token: string;
  /** The CA certificate (PEM) the API server's serving certificate chains to. */
  readonly caCert: string;
  /** A kubeconfig file for this cluster (current context `e2e`). */
  readonly kubeconfigPath: string;
  /** The kubeconfig's text, as the Kubernetes provider's `kubeconfig` option takes it. */
  readonly kubeconfig: string;
  /** The process ids of etcd and kube-apiserver (each leads its own process group). */
  readonly pids: readonly number[];
  /** Runs kubectl against this cluster; resolves with stdout, rejects with stderr in the error. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops kube-apiserver and etcd (their whole process groups) and removes the temp directory. */
  stop(): Promise<void>;
}

/** Options for {@link startCluster}. */
export interface ClusterOptions {
  /** How long to wait for /readyz; the API server's first start compiles its OpenAPI models. */
  readonly readyTimeoutMs?: number;
}

/** A free TCP port on 127.0.0.1, found by binding port 0. */
async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePort(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes the CA, the API server's serving certificate and the service-account signing key. */
function makeCertificates(dir: string): void {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-sha256",
    "-days",
    "2",
    "-subj",
    "/CN=e2e-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    "ca.crt",
  ]);
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "apiserver.key"]);
  openssl(dir, [
    "req",
    "-new",
    "-key",
    "apiserver.key",
    "-subj",
    "/CN=kube-apiserver",
    "-out",
    "apiserver.csr",
  ]);
  writeFileSync(
    join(dir, "apiserver.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc",
      "",
    ].join("\n"),
  );
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "apiserver.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-set_serial",
    "1",
    "-days",
    "2",
    "-sha256",
    "-extfile",
    "apiserver.ext",
    "-out",
    "apiserver.crt",
  ]);
  openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
  openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

/** Starts `command` in its own process group, its output appended to `logPath`. */
function startProcess(command: string, args: string[], logPath: string): ChildProcess {
  const log = openSync(logPath, "a");
  const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  child.on("error", () => undefined);
  return child;
}

/** Signals a process group, then kills it if it has not exited within `graceMs`. */
async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // The group is gone already.
    }
  };
  signal("SIGTERM");
  const timer = new Promise<"timeout">((done) => setTimeout(() => done("timeout"), graceMs).unref());
  if ((await Promise.race([exited, timer])) === "timeout") {
    signal("SIGKILL");
    await exited;
  }
}

/** GETs `path` on the API server; resolves with the status code and body, or undefined on error. */
async function get(
  server: string,
  path: string,
  token: string | undefined,
  ca: string,
): Promise<{ status: number; body: string } | undefined> {
  return await new Promise((done) => {
    const req = request(
      `${server}${path}`,
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", () => done(undefined));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(undefined));
    req.end();
  });
}

/** Polls `probe` every 250 ms until it resolves true, `child` exits, or `timeoutMs` passes. */
async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  logPath: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${tail(logPath)}`);
    }
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${tail(logPath)}`);
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Starts etcd and kube-apiserver from `tools` and waits until the API server is ready. */
export async function startCluster(tools: Toolchain, options: ClusterOptions = {}): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "igw-e2e-cluster-"));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    // The API server first, so it does not log a storm of etcd connection errors.
    for (const child of [...children].reverse()) await stopProcess(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeCertificates(dir);
    const token = execFileSync("openssl", ["rand", "-hex", "24"], { encoding: "utf8" }).trim();
    writeFileSync(join(dir, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const caCert = readFileSync(join(dir, "ca.crt"), "utf8");

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcdLog = join(dir, "etcd.log");
    const etcd = startProcess(
      tools.etcd,
      [
        "--name=e2e",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
        // A throwaway store: durability buys nothing and fsync is slow on a shared disk.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitFor("etcd", async () => await httpOk(`${etcdUrl}/health`), etcd, etcdLog, 30_000);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiLog = join(dir, "kube-apiserver.log");
    const apiserver = startProcess(
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${join(dir, "apiserver.crt")}`,
        `--tls-private-key-file=${join(dir, "apiserver.key")}`,
        `--client-ca-file=${join(dir, "ca.crt")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        // An address range for Service cluster IPs: allocated and stored, never routed.
        "--service-cluster-ip-range=10.96.0.0/24",
        `--cert-dir=${join(dir, "certs")}`,
        "--v=1",
      ],
      apiLog,
    );
    children.push(apiserver);
    await waitFor(
      "kube-apiserver",
      async () => (await get(server, "/readyz", token, caCert))?.status === 200,
      apiserver,
      apiLog,
      options.readyTimeoutMs ?? 180_000,
    );

    const kubeconfig = kubeconfigText(server, caCert, token);
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
    return {
      server,
      token,
      caCert,
      kubeconfig,
      kubeconfigPath,
      pids: children.map((c) => c.pid!),
      kubectl: async (args, input) => await kubectl(tools.kubectl, kubeconfigPath, args, input),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** A kubeconfig with one cluster, one token user and one context, all named `e2e`. */
export function kubeconfigText(server: string, caCert: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "e2e",
          cluster: { server, "certificate-authority-data": Buffer.from(caCert).toString("base64") },
        },
      ],
      users: [{ name: "e2e", user: { token } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e" } }],
      "current-context": "e2e",
    },
    null,
    2,
  );
}

async function kubectl(
  binary: string,
  kubeconfigPath: string,
  args: string[],
  input?: string,
): Promise<string> {
  if (input === undefined) {
    try {
      const { stdout } = await execFileAsync(binary, [`--kubeconfig=${kubeconfigPath}`, ...args], {
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
    }
  }
  return await new Promise((done, reject) => {
    const child = spawn(binary, [`--kubeconfig=${kubeconfigPath}`, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) done(stdout);
      else reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}
