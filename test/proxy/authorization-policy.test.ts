/**
 * AuthorizationPolicy on the gateway, end to end through the proxy, with the YAML of Istio's
 * authorization tasks (istio/istio.io, content/en/docs/tasks/security/authorization/) and
 * Istio's samples, driven with curl, openssl and raw sockets. The only adaptations: Kubernetes
 * service names go to loopback backends (`--resolve`), certificates come from TestPki, and the
 * proxy stands in for the pod the task's policy selects (its namespace and labels, the proxy's
 * `--namespace` and `--labels`). The snippet each YAML comes from is named beside it.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { loadProxyConfig } from "../../provider/src/proxy/config/config-loader";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend, startTcpEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { genericSecret } from "./support/istio-yaml";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import { tcpEchoPods } from "./support/traffic-task-yaml";
import { MYGATEWAY_MUTUAL } from "./support/ingress-task-yaml";

/** A proxy on `dir` standing in for a pod in `namespace` with `labels`. */
function proxyFor(
  dir: ConfigDir,
  namespace: string,
  labels: Record<string, string>,
  ports: number[],
  resolve: { host: string; ip: string; port: number }[],
  logs: string[],
  access: Record<string, unknown>[],
  options: { numTrustedProxies?: number; drainDurationMs?: number } = {},
): Promise<GatewayProxy> {
  return startFileProxy([dir.dir], ports, resolve, logs, jsonLinesSink(access), {
    load: () => loadProxyConfig([dir.dir], { namespace, labels }),
    namespace,
    labels,
    watchPaths: [],
    ...options,
  });
}

/** Writes `policy.yaml` and reloads; fails unless the proxy took it. */
async function apply(proxy: GatewayProxy, dir: ConfigDir, yaml: string): Promise<void> {
  dir.write("policy.yaml", yaml);
  assert.equal(await proxy.reload(), true);
}

// authz-ingress, snip_ipbased_allow_list_and_deny_list_2 (CLIENT_IP added by _11).
const REMOTE_IP_ALLOW = (clientIp?: string) => `apiVersion: security.istio.io/v1
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
        remoteIpBlocks: ["1.2.3.4", "5.6.7.0/24"${clientIp === undefined ? "" : `, "${clientIp}"`}]
`;

// authz-ingress, snip_ipbased_allow_list_and_deny_list_15 (ipBlocks) and _16 (remoteIpBlocks).
const DENY_CLIENT = (
  field: "ipBlocks" | "remoteIpBlocks",
  clientIp: string,
) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingress-policy
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: istio-ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        ${field}: ["${clientIp}"]
`;

const INGRESS_LABELS = { istio: "ingressgateway", app: "istio-ingressgateway" };

describe("Istio docs: authz-ingress, IP-based allow list and deny list", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let tcpEcho: Backend;
  let proxy: GatewayProxy;
  let ingress: string;
  let tcpPort: number;

  /** The task's `curl "$INGRESS_HOST:$INGRESS_PORT"/headers -s -o /dev/null -w "%{http_code}"`. */
  const headers = async (args: string[] = []) => (await curl([...args, `http://${ingress}/headers`])).status;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    tcpEcho = await startTcpEcho("one ");
    dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    dir.write(
      "tcp-echo.yaml",
      sample("tcp-echo-all-v1.yaml") + "---\n" + tcpEchoPods(tcpEcho.port, tcpEcho.port),
    );
    dir.write("policy.yaml", "");
    // snip_httphttps_load_balancer_1: one trusted proxy (the load balancer) in front.
    proxy = await proxyFor(
      dir,
      "istio-system",
      INGRESS_LABELS,
      [80, 31400],
      [
        { host: "httpbin", ip: "127.0.0.1", port: httpbin.port },
        { host: "tcp-echo", ip: "127.0.0.1", port: tcpEcho.port },
      ],
      logs,
      access,
      { numTrustedProxies: 1, drainDurationMs: 200 },
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
    tcpPort = proxy.boundPorts().get(31400)!;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    await tcpEcho.close();
    dir.dispose();
  });

  it("answers 200 before any policy (snip_before_you_begin_7)", async () => {
    assert.equal(await headers(), 200);
  });

  it("remoteIpBlocks allow-list: 403 RBAC: access denied for the client, 200 once its address is added", async () => {
    await apply(proxy, dir, REMOTE_IP_ALLOW());
    const denied = await curl(["-H", "x-forwarded-for: 192.168.10.15", `http://${ingress}/headers`]);
    assert.deepEqual(
      [denied.status, denied.body, denied.headers["content-type"], denied.headers["server"]],
      [403, "RBAC: access denied", "text/plain", "istio-envoy"],
    );
    const hits = httpbin.hits.count;
    await apply(proxy, dir, REMOTE_IP_ALLOW("192.168.10.15"));
    assert.equal(await headers(["-H", "x-forwarded-for: 192.168.10.15"]), 200);
    // The load balancer's own address is not the client's: a client it does not name is denied.
    assert.equal(await headers(["-H", "x-forwarded-for: 192.168.10.16"]), 403);
    assert.equal(httpbin.hits.count, hits + 1);
  });

  it("logs the denial with flag RBAC and rbac_access_denied_matched_policy[none]", async () => {
    await apply(proxy, dir, REMOTE_IP_ALLOW());
    assert.equal(
      await curl(["-H", "x-forwarded-for: 10.9.8.7", `http://${ingress}/headers?allow=none`]).then(
        (r) => r.status,
      ),
      403,
    );
    const line = await loggedLine(access, "/headers?allow=none");
    assert.deepEqual(
      [
        line["response_code"],
        line["response_flags"],
        line["response_code_details"],
        line["error_code"],
        line["upstream_cluster"],
      ],
      [403, "RBAC", "rbac_access_denied_matched_policy[none]", "IGW_ERR_RBAC_ACCESS_DENIED", null],
    );
  });

  it("ipBlocks deny-list: the connection's peer is denied, whatever x-forwarded-for says", async () => {
    await apply(proxy, dir, DENY_CLIENT("ipBlocks", "127.0.0.1"));
    const r = await curl(["-H", "x-forwarded-for: 1.2.3.4", `http://${ingress}/headers?deny=ip`]);
    assert.deepEqual([r.status, r.body], [403, "RBAC: access denied"]);
    const line = await loggedLine(access, "/headers?deny=ip");
    assert.equal(
      line["response_code_details"],
      "rbac_access_denied_matched_policy[ns[istio-system]-policy[ingress-policy]-rule[0]]",
    );
  });

  it("remoteIpBlocks deny-list: the client x-forwarded-for names is denied, another is served", async () => {
    await apply(proxy, dir, DENY_CLIENT("remoteIpBlocks", "192.168.10.15"));
    assert.deepEqual(
      [
        await headers(["-H", "x-forwarded-for: 192.168.10.15"]),
        await headers(["-H", "x-forwarded-for: 192.168.10.99"]),
      ],
      [403, 200],
    );
  });

  it("closes a TCP connection ipBlocks deny before the backend sees it, and logs why", async () => {
    await apply(proxy, dir, DENY_CLIENT("ipBlocks", "127.0.0.1"));
    const before = tcpEcho.hits.count;
    const r = await tcpExchange(tcpPort, "hello\n");
    assert.deepEqual([r.received, r.closed, tcpEcho.hits.count], ["", true, before]);
    const line = await loggedLineWhere(
      access,
      (l) => l["connection_termination_details"] !== null,
      "a TCP denial",
    );
    assert.deepEqual(
      [line["response_flags"], line["connection_termination_details"], line["listener"]],
      [
        "-",
        "rbac_access_denied_matched_policy[ns[istio-system]-policy[ingress-policy]-rule[0]]",
        `0.0.0.0_31400`,
      ],
    );
    // The HTTP allow-list's remoteIpBlocks of another client let TCP through: without HTTP, the
    // remote address is the peer's, which the list names.
    await apply(proxy, dir, REMOTE_IP_ALLOW("127.0.0.1"));
    const served = await tcpExchange(tcpPort, "hello\n");
    assert.equal(served.received, "one hello\n");
  });

  it("drains TCP connections opened before a DENY that now covers them, as Envoy drains a changed chain", async () => {
    await apply(proxy, dir, "");
    const socket = net.connect(tcpPort, "127.0.0.1");
    socket.on("error", () => {});
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    const echoed = new Promise<string>((resolve) => socket.once("data", (d) => resolve(d.toString("utf8"))));
    socket.write("before\n");
    assert.equal(await echoed, "one before\n");
    const applied = Date.now();
    await apply(proxy, dir, DENY_CLIENT("ipBlocks", "127.0.0.1"));
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), 3000).unref());
    const at = await Promise.race([closed, timeout]);
    socket.destroy();
    assert.ok(at >= applied, "the connection stayed open past the drain");
  });

  it("matches ports against the port the proxy listens on: a DENY of the TCP server's spares HTTP", async () => {
    await apply(
      proxy,
      dir,
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-tcp-port
  namespace: istio-system
spec:
  action: DENY
  rules:
  - to:
    - operation:
        ports: ["${tcpPort}"]
`,
    );
    const before = tcpEcho.hits.count;
    assert.deepEqual(await tcpExchange(tcpPort, "hello\n"), { received: "", closed: true });
    assert.equal(tcpEcho.hits.count, before);
    assert.equal(await headers(), 200);
  });

  it("shows the policies in force in /config_dump, and none once the file is emptied", async () => {
    await apply(proxy, dir, REMOTE_IP_ALLOW());
    const dump = JSON.parse((await curl([`http://127.0.0.1:${proxy.statusPort!}/config_dump`])).body) as {
      rbac?: { policies: unknown };
    };
    assert.deepEqual(dump.rbac?.policies, [{ policy: "istio-system/ingress-policy", action: "ALLOW" }]);
    await apply(proxy, dir, "");
    assert.equal(await headers(), 200);
    const after = JSON.parse((await curl([`http://127.0.0.1:${proxy.statusPort!}/config_dump`])).body) as {
      rbac?: unknown;
    };
    assert.equal(after.rbac, undefined);
  });

  it("refuses a policy with a bad CIDR block and keeps serving the last good configuration", async () => {
    await apply(proxy, dir, REMOTE_IP_ALLOW());
    const at = logs.length;
    dir.write("policy.yaml", REMOTE_IP_ALLOW("192.168.10.0/33"));
    assert.equal(await proxy.reload(), false);
    assert.equal(
      logs.slice(at).join("\n"),
      [
        `Error [IGW5211] (AuthorizationPolicy istio-system/ingress-policy ${dir.dir}/policy.yaml:14) spec.rules[0].from[0].source.remoteIpBlocks[2]: must be a CIDR block such as "10.0.0.0/8" (got "192.168.10.0/33")`,
        "1 error in the configuration",
        "configuration refused; the previous configuration keeps serving",
      ].join("\n"),
    );
    assert.equal(await headers(["-H", "x-forwarded-for: 5.6.7.8"]), 200);
    assert.equal(await headers(["-H", "x-forwarded-for: 192.168.10.15"]), 403);
  });

  it("refuses a CUSTOM policy, naming it, and keeps the last good configuration", async () => {
    await apply(proxy, dir, "");
    const at = logs.length;
    dir.write(
      "policy.yaml",
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ext-authz
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: CUSTOM
  provider:
    name: sample-ext-authz-grpc
  rules:
  - to:
    - operation:
        paths: ["/headers"]
`,
    );
    assert.equal(await proxy.reload(), false);
    assert.equal(
      logs.slice(at).join("\n"),
      [
        'Error [IGW6032] (AuthorizationPolicy istio-system/ext-authz) spec.action: needs the external authorizer "sample-ext-authz-grpc", which this proxy cannot call: the configuration is refused rather than served without the policy (got "CUSTOM")',
        "configuration refused; the previous configuration keeps serving",
      ].join("\n"),
    );
    assert.equal(await headers(), 200);
  });
});

// authz-ingress, snip_ipbased_allow_list_and_deny_list_1: ipBlocks, behind a TCP load balancer that
// speaks the PROXY protocol (snip_tcpudp_proxy_load_balancer_1's gatewayTopology.proxyProtocol).
const IP_BLOCKS_ALLOW = `apiVersion: security.istio.io/v1
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
        ipBlocks: ["1.2.3.4", "5.6.7.0/24"]
`;

describe("Istio docs: authz-ingress, ipBlocks behind a PROXY protocol load balancer", () => {
  const dir = new ConfigDir();
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  /** A request as the load balancer passes it on: a PROXY v1 header naming `client` first. */
  const viaBalancer = async (client: string): Promise<string> => {
    const r = await rawExchange(
      port,
      `PROXY TCP4 ${client} 10.0.0.1 40000 80\r\nGET /headers HTTP/1.1\r\nHost: httpbin.example.com\r\nConnection: close\r\n\r\n`,
    );
    return r.split("\r\n")[0]!;
  };

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    dir.write("policy.yaml", IP_BLOCKS_ALLOW);
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      undefined,
      {
        load: () => loadProxyConfig([dir.dir], { namespace: "istio-system", labels: INGRESS_LABELS }),
        labels: INGRESS_LABELS,
        watchPaths: [],
        proxyProtocol: true,
      },
    );
    port = proxy.boundPorts().get(80)!;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("matches ipBlocks against the client the PROXY header names, not the balancer's address", async () => {
    assert.deepEqual(
      [await viaBalancer("5.6.7.8"), await viaBalancer("192.168.10.15")],
      ["HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"],
    );
  });
});

// authz-deny, snip_explicitly_deny_a_request_4: DENY GET unless x-token is admin.
const DENY_METHOD_GET = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-method-get
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
    when:
    - key: request.headers[x-token]
      notValues: ["admin"]
`;

// authz-deny, snip_explicitly_deny_a_request_7: ALLOW only /ip.
const ALLOW_PATH_IP = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-path-ip
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - to:
    - operation:
        paths: ["/ip"]
`;

describe("Istio docs: authz-deny, on a proxy standing in for the pod the policies select (foo, app=httpbin)", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let ingress: string;

  /** The task's `curl "http://httpbin.foo:8000/<path>" -X <method> [-H x-token: ...]`, through the gateway. */
  const status = async (method: string, path: string, token?: string) =>
    (
      await curl([
        "-X",
        method,
        ...(token === undefined ? [] : ["-H", `x-token: ${token}`]),
        `http://${ingress}${path}`,
      ])
    ).status;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    dir.write("policy.yaml", "");
    proxy = await proxyFor(
      dir,
      "foo",
      { istio: "ingressgateway", app: "httpbin" },
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      logs,
      access,
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("denies GET unless x-token: admin, and lets POST through (snips _5, _6 and _3)", async () => {
    await apply(proxy, dir, DENY_METHOD_GET);
    assert.deepEqual(
      [
        await status("GET", "/get", "admin"),
        await status("GET", "/get", "guest"),
        await status("POST", "/post"),
      ],
      [200, 403, 200],
    );
  });

  it("with allow-path-ip too: /ip for admin only, /get for nobody (snips _8, _9, _10)", async () => {
    await apply(proxy, dir, DENY_METHOD_GET + "---\n" + ALLOW_PATH_IP);
    assert.deepEqual(
      [
        await status("GET", "/ip", "guest"),
        await status("GET", "/ip", "admin"),
        await status("GET", "/get", "admin"),
      ],
      [403, 200, 403],
    );
  });

  it("denies before routing: a path no route serves gets 403, not 404", async () => {
    dir.write(
      "httpbin-gateway.yaml",
      sample("httpbin-gateway.yaml").replace(
        "  - route:",
        "  - match:\n    - uri: {prefix: /ip}\n    route:",
      ),
    );
    await apply(proxy, dir, ALLOW_PATH_IP);
    assert.deepEqual([await status("GET", "/ip"), await status("GET", "/nowhere")], [200, 403]);
    await apply(proxy, dir, "");
    assert.equal(await status("GET", "/nowhere"), 404);
    dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
  });

  it("does not apply the task's policies to the ingress gateway in istio-system (another namespace)", async () => {
    const other = new ConfigDir();
    other.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    other.write("policy.yaml", DENY_METHOD_GET + "---\n" + ALLOW_PATH_IP);
    const gateway = await proxyFor(
      other,
      "istio-system",
      INGRESS_LABELS,
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      [],
    );
    try {
      const r = await curl([`http://127.0.0.1:${gateway.boundPorts().get(80)}/get`]);
      assert.equal(r.status, 200);
      assert.equal(gateway.config?.rbac, undefined);
    } finally {
      await gateway.close();
      other.dispose();
    }
  });

  it("does not apply a policy whose selector the proxy's labels do not contain, and says so", async () => {
    const at = logs.length;
    await apply(proxy, dir, DENY_METHOD_GET.replace("app: httpbin", "app: sleep"));
    assert.equal(await status("GET", "/get", "guest"), 200);
    assert.ok(
      logs.slice(at).some((l) => l.includes("IGW6030") && l.includes("foo/deny-method-get")),
      logs.slice(at).join("\n"),
    );
  });
});

describe("host, allow-nothing and request principals on the ingress gateway", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let ingress: string;

  const statusFor = async (host: string, path = "/headers") =>
    (await curl([`-HHost:${host}`, `http://${ingress}${path}`])).status;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    dir.write("policy.yaml", "");
    proxy = await proxyFor(
      dir,
      "istio-system",
      INGRESS_LABELS,
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      access,
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("ALLOW by hosts: case-insensitive, the authority as sent (a port needs its own entry)", async () => {
    await apply(
      proxy,
      dir,
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-httpbin-host
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: ALLOW
  rules:
  - to:
    - operation:
        hosts: ["httpbin.example.com", "internal.example.com:*"]
`,
    );
    assert.deepEqual(
      [
        await statusFor("HTTPBIN.example.com"),
        await statusFor("httpbin.example.com:80"),
        await statusFor("internal.example.com:8080"),
        await statusFor("other.example.com"),
      ],
      [200, 403, 200, 403],
    );
  });

  it("allow-nothing (spec: {}) denies every request", async () => {
    await apply(
      proxy,
      dir,
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: istio-system
spec: {}
`,
    );
    const denied = async () =>
      (await proxy.metrics.registry.metrics())
        .split("\n")
        .filter(
          (l) =>
            l.startsWith("istio_requests_total{") &&
            l.includes('destination_service="unknown"') &&
            l.includes('response_code="403"') &&
            l.includes('response_flags="RBAC"'),
        )
        .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
    const before = await denied();
    const r = await curl([`http://${ingress}/headers?nothing`]);
    assert.deepEqual([r.status, r.body], [403, "RBAC: access denied"]);
    // Counted as Istio counts a local reply made before any route: destination unknown.
    assert.equal(await denied(), before + 1);
  });

  it("a DENY with notRequestPrincipals [*] denies every request: the proxy validates no JWT", async () => {
    await apply(
      proxy,
      dir,
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
`,
    );
    const r = await curl(["-H", "Authorization: Bearer abc.def.ghi", `http://${ingress}/headers?jwt`]);
    assert.equal(r.status, 403);
    const line = await loggedLine(access, "/headers?jwt");
    assert.equal(
      line["response_code_details"],
      "rbac_access_denied_matched_policy[ns[istio-system]-policy[require-jwt]-rule[0]]",
    );
  });
});

// secure-ingress, snip_configure_a_mutual_tls_ingress_gateway_2, with httpbin's route.
const MYGATEWAY_MUTUAL_HTTPBIN = `${MYGATEWAY_MUTUAL}---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - mygateway
  http:
  - route:
    - destination:
        port:
          number: 8000
        host: httpbin
`;

describe("principals from a client certificate's SPIFFE URI SAN on a MUTUAL server", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const server = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const sleep = pki.issue("sleep", ["URI:spiffe://cluster.local/ns/foo/sa/sleep"], "client");
  const other = pki.issue("other", ["URI:spiffe://cluster.local/ns/bar/sa/other"], "client");
  const dnsOnly = pki.issue("client.example.com", ["DNS:client.example.com"], "client");
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  const secureCurl = (client: { certPath: string; keyPath: string }) =>
    curl([
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      "--cacert",
      pki.ca.certPath,
      "--cert",
      client.certPath,
      "--key",
      client.keyPath,
      `https://httpbin.example.com:${port}/headers`,
    ]);

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    dir.write("mygateway.yaml", MYGATEWAY_MUTUAL_HTTPBIN);
    dir.write(
      "httpbin-credential.yaml",
      genericSecret("httpbin-credential", {
        "tls.key": server.key,
        "tls.crt": server.cert,
        "ca.crt": pki.ca.cert,
      }),
    );
    dir.write(
      "policy.yaml",
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-sleep
  namespace: istio-system
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/foo/sa/sleep"]
`,
    );
    proxy = await proxyFor(
      dir,
      "istio-system",
      INGRESS_LABELS,
      [443],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      [],
    );
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  it("serves the principal the policy names and denies another", async () => {
    const served = await secureCurl(sleep);
    assert.deepEqual([served.status, (JSON.parse(served.body) as Echo).name], [200, "httpbin"]);
    const denied = await secureCurl(other);
    assert.deepEqual([denied.status, denied.body], [403, "RBAC: access denied"]);
  });

  it("denies a certificate without a SPIFFE URI SAN: its DNS name is no mesh principal", async () => {
    const r = await secureCurl(dnsOnly);
    assert.deepEqual([r.status, r.body], [403, "RBAC: access denied"]);
  });
});

/** Writes `data` on a new connection and resolves with all it reads until the proxy closes it. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(data));
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; read ${JSON.stringify(received)}`));
    }, 5000);
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** Writes `data` on a new connection and collects what comes back until it closes (or 2 s pass). */
function tcpExchange(port: number, data: string): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, 2000);
    socket.on("connect", () => socket.write(data));
    socket.on("data", (d) => {
      received += d.toString("utf8");
      if (received.endsWith("\n")) socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
  });
}
