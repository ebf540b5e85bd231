/**
 * A local Kubernetes control plane: etcd and kube-apiserver on loopback, with certificates made by
 * openssl and a static bearer token, torn down completely when stopped. There is no kubelet and no
 * controller manager, so nothing schedules pods: objects are stored and validated, never run. It is
 * what `istio-gateway demo` deploys to and what the end-to-end suites test against.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { makeCertificateAuthority, makeServerCertificate, openssl } from "./certificates";
import { freePort } from "./free-port";
import { hasExited, startProcess, stopProcess, tail } from "./process-group";
import type { Toolchain } from "./toolchain";

const execFileAsync = promisify(execFile);

/** A running control plane; {@link ControlPlane.stop} ends it and removes its files. */
export interface ControlPlane {
  /** The API server's URL, `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** The bearer token of the cluster administrator (group system:masters). */
  readonly token: string;
  /** The CA certificate (PEM) the API server's serving certificate chains to. */
  readonly caCert: string;
  /** A kubeconfig file for this cluster (current context `local`). */
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

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** How long to wait for /readyz; the API server's first start compiles its OpenAPI models. */
  readonly readyTimeoutMs?: number;
  /** Where to make the control plane's temporary directory (default: the system's temp directory). */
  readonly parentDir?: string;
  /** Aborts the start: the processes are stopped, the directory removed, and the start rejects. */
  readonly signal?: AbortSignal;
}

/** The API server's flags. */
function apiserverArgs(dir: string, etcdUrl: string, apiPort: number): string[] {
  return [
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
  ];
}

/** Makes the CA, the API server's serving certificate and the service-account signing key. */
function makeCertificates(dir: string): void {
  const ca = makeCertificateAuthority(dir, "ca", "istio-gateway-local-ca");
  makeServerCertificate(dir, "apiserver", ca, {
    commonName: "kube-apiserver",
    subjectAltNames: ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes.default.svc"],
  });
  openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
  openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
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

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Polls `probe` every 250 ms until it resolves true, `child` exits, `signal` aborts, or `timeoutMs` passes. */
async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  logPath: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (hasExited(child)) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${tail(logPath)}`);
    }
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${tail(logPath)}`);
}

/** Starts etcd and kube-apiserver from `tools` and waits until the API server is ready. */
export async function startControlPlane(
  tools: Toolchain,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), "igw-control-plane-"));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    // The API server first, so it does not log a storm of etcd connection errors.
    for (const child of [...children].reverse()) await stopProcess(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeCertificates(dir);
    const token = openssl(dir, ["rand", "-hex", "24"]).trim();
    writeFileSync(join(dir, "tokens.csv"), `${token},local-admin,local-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const caCert = readFileSync(join(dir, "ca.crt"), "utf8");

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcdLog = join(dir, "etcd.log");
    options.signal?.throwIfAborted();
    const etcd = startProcess(
      tools.etcd,
      [
        "--name=local",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
        // A throwaway store: durability buys nothing and fsync is slow on a shared disk.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitFor(
      "etcd",
      async () => await httpOk(`${etcdUrl}/health`),
      etcd,
      etcdLog,
      30_000,
      options.signal,
    );

    const server = `https://127.0.0.1:${apiPort}`;
    const apiLog = join(dir, "kube-apiserver.log");
    const apiserver = startProcess(tools.kubeApiserver, apiserverArgs(dir, etcdUrl, apiPort), apiLog);
    children.push(apiserver);
    await waitFor(
      "kube-apiserver",
      async () => (await get(server, "/readyz", token, caCert))?.status === 200,
      apiserver,
      apiLog,
      options.readyTimeoutMs ?? 180_000,
      options.signal,
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
      kubectl: async (args, input) =>
        await kubectl(tools.kubectl, kubeconfigPath, join(dir, "kube-cache"), args, input),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Waits until the CustomResourceDefinitions `names` (`crd/<name>` or `<kind>/<name>` as kubectl
 * takes them; every one with `--all`) are Established. Just after a definition is created, its
 * status may have no conditions yet, and `kubectl wait` then fails at once ("status.conditions
 * accessor error") instead of waiting: that failure is retried until `timeoutMs` has passed.
 */
export async function waitForEstablished(
  kubectl: ControlPlane["kubectl"],
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    try {
      await kubectl(["wait", "--for=condition=Established", `--timeout=${left}s`, ...names]);
      return;
    } catch (err) {
      if (!/status\.conditions accessor error/.test(String(err)) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A kubeconfig with one cluster, one token user and one context, all named `local`. */
export function kubeconfigText(server: string, caCert: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "local",
          cluster: { server, "certificate-authority-data": Buffer.from(caCert).toString("base64") },
        },
      ],
      users: [{ name: "local", user: { token } }],
      contexts: [{ name: "local", context: { cluster: "local", user: "local" } }],
      "current-context": "local",
    },
    null,
    2,
  );
}

/**
 * Runs kubectl against the control plane. Its discovery cache lives in the control plane's own
 * directory: the default one under the home directory outlives the run, and a cache left there for
 * the same address changes what kubectl asks the server first (and so its errors).
 */
async function kubectl(
  binary: string,
  kubeconfigPath: string,
  cacheDir: string,
  args: string[],
  input?: string,
): Promise<string> {
  const flags = [`--kubeconfig=${kubeconfigPath}`, `--cache-dir=${cacheDir}`];
  if (input === undefined) {
    try {
      const { stdout } = await execFileAsync(binary, [...flags, ...args], {
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
    }
  }
  return await new Promise((done, reject) => {
    const child = spawn(binary, [...flags, ...args], {
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
