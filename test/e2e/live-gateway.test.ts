// The bookinfo example deployed and run against the local control plane, as on a real cluster:
// `pulumi up` creates the proxy's objects (checked field by field with kubectl), then the proxy
// runs as its Deployment would run it (the loader and bundle from its ConfigMap, its container
// arguments, the ServiceAccount's own token, so its RBAC is what is exercised) with only the ports
// made local and the Services' hosts resolved to loopback backends. Traffic follows the
// VirtualService, a changed VirtualService under load, a rotated Secret and a deleted Gateway.
// Nothing runs pods here: the proxy is a child process of the test.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, it } from "node:test";
import tls from "node:tls";
import { brotliDecompressSync } from "node:zlib";
import { freePort } from "../../provider/src/local/free-port";
import { LOADER_SOURCE } from "../../provider/src/components/gateway-proxy/proxy-bundle";
import { kubeconfigText, startCluster, type LocalCluster } from "./support/cluster";
import { programOf, readProgramDir } from "./support/program";
import { createTestStack, type TestStack } from "./support/stack";
import { e2eSuite } from "./support/toolchain";
import type { ProjectSettings } from "@pulumi/pulumi/automation";

const bookinfoDir = resolve(__dirname, "../../examples/bookinfo");

/** How long one HTTPS request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 5000;
/** The load while the VirtualService changes: at most this long, at most this many requests. */
const LOAD_MAX_MS = 5000;
const LOAD_MAX_REQUESTS = 20_000;
/** Concurrent keep-alive connections of the load. */
const LOAD_CONNECTIONS = 4;
/** The longest any change may take to reach the proxy before the test gives up waiting. */
const CHANGE_WAIT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A key pair and certificate, PEM. */
interface Pem {
  readonly key: string;
  readonly cert: string;
}

/** A CA and two certificates for bookinfo.com signed by it (the second replaces the first). */
function makeCertificates(dir: string): { ca: string; first: Pem; second: Pem } {
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const key = (file: string) =>
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file);
  key("ca.key");
  openssl(
    ...["req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "1", "-subj", "/CN=bookinfo-test-ca"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ...["-out", "ca.crt"],
  );
  writeFileSync(
    join(dir, "leaf.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=DNS:bookinfo.com",
      "",
    ].join("\n"),
  );
  const leaf = (name: string, serial: number): Pem => {
    key(`${name}.key`);
    openssl("req", "-new", "-key", `${name}.key`, "-subj", "/CN=bookinfo.com", "-out", `${name}.csr`);
    openssl(
      ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key"],
      ...[
        "-set_serial",
        String(serial),
        "-days",
        "1",
        "-sha256",
        "-extfile",
        "leaf.ext",
        "-out",
        `${name}.crt`,
      ],
    );
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    return { key: read(`${name}.key`), cert: read(`${name}.crt`) };
  };
  return {
    ca: readFileSync(join(dir, "ca.crt"), "utf8"),
    first: leaf("first", 1),
    second: leaf("second", 2),
  };
}

/** A backend standing in for a Bookinfo service: answers `<name> <path>`. */
async function startBackend(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(`${name} ${req.url}`));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, port: (server.address() as AddressInfo).port };
}

/** One HTTPS exchange's outcome. */
interface Reply {
  readonly status: number;
  readonly body: string;
}

/** GETs `https://bookinfo.com<path>` through the proxy on `port` (SNI and Host bookinfo.com). */
async function get(
  port: number,
  path: string,
  ca: string,
  agent: https.Agent | false = false,
): Promise<Reply> {
  return await new Promise((done, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: "bookinfo.com",
        ca,
        agent,
        headers: { host: "bookinfo.com" },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => done({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The SHA-256 fingerprint of the certificate the proxy serves for bookinfo.com on a new connection. */
async function servedFingerprint(port: number, ca: string): Promise<string> {
  return await new Promise((done, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "bookinfo.com", ca }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      done(fingerprint);
    });
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error("TLS handshake timed out")));
    socket.on("error", reject);
  });
}

/** Resolves with the error code of a TCP connection to `port` (`ECONNREFUSED`), or `connected`. */
async function connectOutcome(port: number): Promise<string> {
  return await new Promise((done) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      done("connected");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Polls `probe` every 25 ms until it is true; resolves with the ms waited, or throws after `limitMs`. */
async function waitUntil(what: string, probe: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(25);
  }
}

/** The bookinfo VirtualService with `/reviews` sent to `reviewsHost`. */
function virtualService(reviewsHost: string) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "bookinfo", namespace: "default" },
    spec: {
      hosts: ["bookinfo.com"],
      gateways: ["bookinfo-gateway"],
      http: [
        {
          match: [{ uri: { prefix: "/reviews" } }],
          route: [{ destination: { host: reviewsHost, port: { number: 9080 } } }],
        },
        {
          match: [{ uri: { exact: "/productpage" } }],
          route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
        },
      ],
    },
  };
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Writes a measurement where `node test/run.mjs` shows it. */
function report(t: { diagnostic(message: string): void }, line: string): void {
  t.diagnostic(line);
  console.error(`live-gateway: ${line}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

e2eSuite("the bookinfo gateway, deployed and serving on a live control plane", (tools) => {
  let cluster: LocalCluster;
  let stack: TestStack;
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  const backends = new Map<string, { server: http.Server; port: number }>();
  let proxy: ChildProcess | undefined;
  let proxyExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let proxyLog = "";
  let listenPort: number;
  let statusPort: number;
  let deployment: Json;
  let configMap: Json;

  const kubectlJson = async (...args: string[]): Promise<Json> =>
    JSON.parse(await cluster.kubectl([...args, "-o", "json"])) as Json;
  const apply = async (object: unknown) =>
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(object));
  const ready = async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${statusPort}/healthz/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      return res.status === 200;
    } catch {
      return false;
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "igw-e2e-live-"));
    certs = makeCertificates(dir);
    for (const name of ["reviews", "reviews-v2", "productpage"]) backends.set(name, await startBackend(name));
    [listenPort, statusPort] = [await freePort(), await freePort()];
    cluster = await startCluster(tools);
  });

  after(async () => {
    if (proxy !== undefined && proxy.exitCode === null && proxy.signalCode === null) {
      proxy.kill("SIGKILL");
      await proxyExit;
    }
    for (const { server } of backends.values()) {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
    stack?.dispose();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("pulumi up creates the proxy's Deployment, Service, RBAC, ConfigMap and PDB beside the Gateway, VirtualService and certificate", async () => {
    const program = readProgramDir(bookinfoDir);
    const { description, runtime, config: schema } = program.project;
    stack = await createTestStack(tools, {
      projectName: program.projectName,
      project: { description, runtime, config: schema } as Partial<ProjectSettings>,
      // No transform: the example's own configuration must suffice on a cluster without controllers.
      program: programOf(program),
      env: { KUBECONFIG: cluster.kubeconfigPath },
      config: {
        installCrds: "true",
        createNamespace: "true",
        skipAwait: "true",
        serviceType: "ClusterIP",
        tlsCertificate: { value: certs.first.cert, secret: true },
        tlsPrivateKey: { value: certs.first.key, secret: true },
      },
    });
    const result = await stack.stack.up();
    assert.equal(result.summary.result, "succeeded");

    const service = await kubectlJson("get", "service", "ingressgateway", "-n", "istio-system");
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([k, v]) => [k, v.value as unknown]),
    );
    assert.deepEqual(outputs, {
      gatewayName: "default/bookinfo-gateway",
      virtualServiceName: "bookinfo",
      proxyServiceName: "ingressgateway",
      proxyNamespace: "istio-system",
      proxyPorts: [{ name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" }],
      proxyAddress: service.spec.clusterIP,
    });

    const selector = {
      "app.kubernetes.io/name": "istio-gateway-proxy",
      "app.kubernetes.io/instance": "ingressgateway",
    };
    const labels = { istio: "ingressgateway", ...selector, "app.kubernetes.io/managed-by": "istio-gateway" };

    // The Service: the Gateway's port 443, served by the pod on 8443 (unprivileged).
    assert.equal(service.metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.deepEqual(service.metadata.labels, labels);
    assert.equal(service.spec.type, "ClusterIP");
    assert.deepEqual(service.spec.selector, selector);
    assert.deepEqual(service.spec.ports, [{ name: "https", port: 443, targetPort: 8443, protocol: "TCP" }]);

    // The Deployment: pods with the labels the Gateway selects, running the bundled proxy.
    deployment = await kubectlJson("get", "deployment", "ingressgateway", "-n", "istio-system");
    assert.equal(deployment.metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.deepEqual(deployment.metadata.labels, labels);
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(deployment.spec.selector, { matchLabels: selector });
    assert.deepEqual(deployment.spec.template.metadata.labels, { istio: "ingressgateway", ...selector });
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, "ingressgateway");
    assert.equal(pod.containers.length, 1);
    const [container] = pod.containers;
    assert.deepEqual(container.command, ["node", "/etc/istio-gateway/main.js"]);
    assert.deepEqual(container.args, [
      ...["proxy", "--kubernetes", "--namespace", "istio-system"],
      ...[
        "--labels",
        "app.kubernetes.io/instance=ingressgateway,app.kubernetes.io/name=istio-gateway-proxy,istio=ingressgateway",
      ],
      ...["--workload-name", "ingressgateway"],
      ...["--status-port", "15021", "--drain-timeout", "30", "--port", "443=8443"],
    ]);
    assert.deepEqual(
      container.ports.map((p: Json) => [p.name, p.containerPort]),
      [
        [undefined, 8443],
        ["status-port", 15021],
      ],
    );
    assert.equal(container.readinessProbe.httpGet.path, "/healthz/ready");

    // The ConfigMap: the loader, and the bundle its name and annotation fingerprint.
    const volume = pod.volumes.find((v: Json) => v.name === "proxy");
    configMap = await kubectlJson("get", "configmap", volume.configMap.name, "-n", "istio-system");
    const sha256 = configMap.metadata.annotations["istio-gateway.io/bundle-sha256"];
    const bundle = brotliDecompressSync(Buffer.from(configMap.binaryData["proxy.js.br"], "base64"));
    assert.equal(createHash("sha256").update(bundle).digest("hex"), sha256);
    assert.equal(configMap.metadata.name, `ingressgateway-proxy-${sha256.slice(0, 12)}`);
    assert.equal(configMap.immutable, true);
    assert.deepEqual(configMap.data, { "main.js": LOADER_SOURCE });

    // Least privilege: the ServiceAccount, what it may read everywhere, and Secrets only here.
    const account = await kubectlJson("get", "serviceaccount", "ingressgateway", "-n", "istio-system");
    assert.equal(account.automountServiceAccountToken, true);
    const subjects = [{ kind: "ServiceAccount", name: "ingressgateway", namespace: "istio-system" }];
    const clusterRole = await kubectlJson("get", "clusterrole", "istio-gateway:istio-system:ingressgateway");
    assert.deepEqual(clusterRole.rules, [
      { apiGroups: ["networking.istio.io"], resources: ["gateways"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.istio.io"], resources: ["destinationrules"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.istio.io"], resources: ["serviceentries"], verbs: ["list", "watch"] },
      { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: ["list", "watch"] },
      { apiGroups: ["security.istio.io"], resources: ["requestauthentications"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["services"], verbs: ["list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
    ]);
    const clusterBinding = await kubectlJson(
      "get",
      "clusterrolebinding",
      "istio-gateway:istio-system:ingressgateway",
    );
    assert.deepEqual(clusterBinding.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "istio-gateway:istio-system:ingressgateway",
    });
    assert.deepEqual(clusterBinding.subjects, subjects);
    const role = await kubectlJson("get", "role", "ingressgateway", "-n", "istio-system");
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] }]);
    const roleBinding = await kubectlJson("get", "rolebinding", "ingressgateway", "-n", "istio-system");
    assert.deepEqual(roleBinding.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "ingressgateway",
    });
    assert.deepEqual(roleBinding.subjects, subjects);

    const pdb = await kubectlJson("get", "poddisruptionbudget", "ingressgateway", "-n", "istio-system");
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: selector } });

    // The Istio resources, as the example declares them, and the certificate where the proxy reads it.
    const gateway = await kubectlJson(
      "get",
      "gateways.networking.istio.io",
      "bookinfo-gateway",
      "-n",
      "default",
    );
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
    const vs = await kubectlJson("get", "virtualservices.networking.istio.io", "bookinfo", "-n", "default");
    assert.deepEqual(vs.spec, virtualService("reviews").spec);
    const secret = await kubectlJson("get", "secret", "bookinfo-secret", "-n", "istio-system");
    assert.equal(secret.type, "kubernetes.io/tls");
    assert.deepEqual(secret.data, { "tls.crt": b64(certs.first.cert), "tls.key": b64(certs.first.key) });
  });

  it("the proxy, run as its Deployment runs it with the ServiceAccount's token, becomes ready", async (t) => {
    assert.ok(deployment !== undefined && configMap !== undefined, "the up test did not pass");
    // The Bookinfo Services, as the application would have them (no pods: nothing runs them).
    for (const name of backends.keys()) {
      await apply({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "default" },
        spec: { selector: { app: name }, ports: [{ name: "http", port: 9080 }] },
      });
    }
    const token = (
      await cluster.kubectl(["create", "token", "ingressgateway", "-n", "istio-system", "--duration", "1h"])
    ).trim();
    const kubeconfig = join(dir, "ingressgateway.kubeconfig");
    writeFileSync(kubeconfig, kubeconfigText(cluster.server, cluster.caCert, token), { mode: 0o600 });
    // The ConfigMap as the pod mounts it.
    const mount = join(dir, "etc-istio-gateway");
    mkdirSync(mount);
    writeFileSync(join(mount, "main.js"), configMap.data["main.js"]);
    writeFileSync(join(mount, "proxy.js.br"), Buffer.from(configMap.binaryData["proxy.js.br"], "base64"));

    const [container] = deployment.spec.template.spec.containers;
    const [command, loader] = container.command as string[];
    assert.deepEqual([command, loader], ["node", "/etc/istio-gateway/main.js"]);
    // Later flags win: the pod's ports become free local ones.
    const args = [
      ...(container.args as string[]),
      ...["--kubeconfig", kubeconfig, "--bind", "127.0.0.1"],
      ...["--port", `443=${listenPort}`, "--status-port", String(statusPort)],
      ...[...backends].flatMap(([name, b]) => [
        "--resolve",
        `${name}.default.svc.cluster.local=127.0.0.1:${b.port}`,
      ]),
    ];
    const started = performance.now();
    const child = spawn(process.execPath, [join(mount, "main.js"), ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" },
    });
    proxy = child;
    proxyExit = new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => (proxyLog = (proxyLog + c).slice(-20_000)));
    await waitUntil(
      "/healthz/ready",
      async () => {
        if (child.exitCode !== null) throw new Error(`the proxy exited (${child.exitCode}):\n${proxyLog}`);
        return await ready();
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- proxy log:\n${proxyLog}`);
    });
    report(t, `proxy ready ${Math.round(performance.now() - started)} ms after its start`);
    // The example installs only the Gateway and VirtualService CRDs: the other four are absent,
    // which the proxy says once and starts anyway. Nothing was refused to its ServiceAccount.
    const lines = proxyLog.trimEnd().split("\n");
    assert.deepEqual(lines.filter((l) => l.startsWith("istio-gateway proxy: kubernetes: ")).sort(), [
      "istio-gateway proxy: kubernetes: authorizationpolicies.security.istio.io is not served (404 Not Found); taken as empty until it is (is its CRD installed?), listing again with backoff up to 30000 ms",
      "istio-gateway proxy: kubernetes: destinationrules.networking.istio.io is not served (404 Not Found); taken as empty until it is (is its CRD installed?), listing again with backoff up to 30000 ms",
      "istio-gateway proxy: kubernetes: requestauthentications.security.istio.io is not served (404 Not Found); taken as empty until it is (is its CRD installed?), listing again with backoff up to 30000 ms",
      "istio-gateway proxy: kubernetes: serviceentries.networking.istio.io is not served (404 Not Found); taken as empty until it is (is its CRD installed?), listing again with backoff up to 30000 ms",
    ]);
    // The Gateway's port 443 is the pod's 8443, here on the local port given for it.
    const serving = new RegExp(
      `^istio-gateway proxy: serving configuration [0-9a-f]{12}: listeners 0\\.0\\.0\\.0_8443@127\\.0\\.0\\.1:${listenPort}, 2 clusters$`,
    );
    assert.ok(
      lines.some((l) => serving.test(l)),
      proxyLog,
    );
  });

  it("routes bookinfo.com over HTTPS as the VirtualService says, with the certificate from the Secret; 404 elsewhere", async () => {
    const fetched = [];
    for (const path of ["/reviews", "/reviews/1", "/productpage", "/productpage/1", "/ratings"]) {
      fetched.push([path, await get(listenPort, path, certs.ca)]);
    }
    assert.deepEqual(fetched, [
      ["/reviews", { status: 200, body: "reviews /reviews" }],
      ["/reviews/1", { status: 200, body: "reviews /reviews/1" }],
      ["/productpage", { status: 200, body: "productpage /productpage" }],
      ["/productpage/1", { status: 404, body: "" }],
      ["/ratings", { status: 404, body: "" }],
    ]);
    assert.equal(
      await servedFingerprint(listenPort, certs.ca),
      new X509Certificate(certs.first.cert).fingerprint256,
    );
  });

  it("follows a changed VirtualService within a second under steady keep-alive load, failing no request", async (t) => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS });
    type Sample = { start: number; end: number; outcome: string };
    const samples: Sample[] = [];
    const v2 = "200 reviews-v2 /reviews";
    const loadStart = performance.now();
    let stop = false;
    const worker = async () => {
      while (!stop && samples.length < LOAD_MAX_REQUESTS && performance.now() - loadStart < LOAD_MAX_MS) {
        const start = performance.now();
        const outcome = await get(listenPort, "/reviews", certs.ca, agent).then(
          (r) => `${r.status} ${r.body}`,
          (err: Error) => `error ${err.message}`,
        );
        samples.push({ start, end: performance.now(), outcome });
      }
    };
    const workers = Array.from({ length: LOAD_CONNECTIONS }, worker);
    let applied: number;
    try {
      await sleep(1000);
      await apply(virtualService("reviews-v2"));
      applied = performance.now();
      // The load goes on until the change shows and a moment after, within its bounds.
      const deadline = applied + 3000;
      while (!samples.some((s) => s.outcome === v2) && performance.now() < deadline) await sleep(5);
      await sleep(500);
    } finally {
      stop = true;
      await Promise.all(workers);
      agent.destroy();
    }
    const elapsed = performance.now() - loadStart;
    const failed = samples.filter((s) => !s.outcome.startsWith("200 "));
    assert.deepEqual(failed, [], "requests failed during the change");
    const seen = [...new Set(samples.map((s) => s.outcome))].sort();
    assert.deepEqual(seen, ["200 reviews /reviews", v2]);
    const first = samples.filter((s) => s.outcome === v2).sort((a, b) => a.end - b.end)[0]!;
    // Once one request has seen the change, every request started later sees it too.
    assert.deepEqual(
      samples.filter((s) => s.start > first.end && s.outcome !== v2),
      [],
    );
    const effectMs = first.end - applied;
    report(
      t,
      `VirtualService apply-to-effect ${Math.round(effectMs)} ms; load ${samples.length} requests in ${Math.round(elapsed)} ms on ${LOAD_CONNECTIONS} keep-alive connections, ${failed.length} failed`,
    );
    assert.ok(effectMs < 1000, `the change took ${Math.round(effectMs)} ms to take effect`);
  });

  it("serves the rotated Secret's certificate on new connections", async (t) => {
    const before = new X509Certificate(certs.first.cert).fingerprint256;
    const after = new X509Certificate(certs.second.cert).fingerprint256;
    assert.notEqual(before, after);
    assert.equal(await servedFingerprint(listenPort, certs.ca), before);
    await apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bookinfo-secret", namespace: "istio-system" },
      type: "kubernetes.io/tls",
      data: { "tls.crt": b64(certs.second.cert), "tls.key": b64(certs.second.key) },
    });
    const rotationMs = await waitUntil(
      "the new certificate served",
      async () => (await servedFingerprint(listenPort, certs.ca)) === after,
      CHANGE_WAIT_MS,
    );
    report(t, `Secret rotation apply-to-new-certificate ${Math.round(rotationMs)} ms`);
    assert.deepEqual(await get(listenPort, "/reviews", certs.ca), {
      status: 200,
      body: "reviews-v2 /reviews",
    });
  });

  it("closes the listener of a deleted Gateway and stays up and ready", async (t) => {
    assert.equal(await connectOutcome(listenPort), "connected");
    await cluster.kubectl(["delete", "gateways.networking.istio.io", "bookinfo-gateway", "-n", "default"]);
    const closeMs = await waitUntil(
      "the listener closed",
      async () => (await connectOutcome(listenPort)) === "ECONNREFUSED",
      CHANGE_WAIT_MS,
    );
    report(t, `Gateway delete-to-listener-closed ${Math.round(closeMs)} ms`);
    // The proxy's log comes through a pipe: its line may arrive after the listener has closed.
    const stopped = new RegExp(`: listeners \\(none\\), 0 clusters; stopped 127\\.0\\.0\\.1:${listenPort}\n`);
    await waitUntil("the reload logged", async () => stopped.test(proxyLog), CHANGE_WAIT_MS);
    assert.equal(proxy?.exitCode, null);
    assert.equal(await ready(), true);
  });

  it("drains and exits 0 on SIGTERM", async () => {
    assert.ok(proxy !== undefined);
    proxy.kill("SIGTERM");
    const exit = await Promise.race([
      proxyExit,
      sleep(40_000).then(() => ({ code: "still running after 40 s", signal: null })),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, proxyLog);
    assert.match(proxyLog, /SIGTERM: draining/);
    assert.match(proxyLog, /drained/);
  });
});
