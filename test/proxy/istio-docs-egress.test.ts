/**
 * Istio's documented egress gateway tasks, end to end through the proxy standing in for
 * istio-egressgateway (istio/istio.io, content/en/docs/tasks/traffic-management/egress/:
 * egress-gateway, egress-gateway-tls-origination, egress-gateway-tls-origination-sds,
 * wildcard-egress-hosts). Each task's own ServiceEntry, Gateway, VirtualService, DestinationRule,
 * Service and Secret YAML is the data, its `mesh` rules left in: the proxy must accept them and
 * leave them to the sidecars. The client here sends what the task's sidecar would send to the
 * gateway. The adaptations:
 *
 * - external hosts (edition.cnn.com, www.wikipedia.org, my-nginx.mesh-external.svc.cluster.local)
 *   go to loopback servers (`--resolve`), and certificates are made with TestPki instead of the
 *   tasks' openssl commands; edition.cnn.com's CA, which a real gateway's system trust store
 *   holds, is added to the proxy's trusted roots (NODE_EXTRA_CA_CERTS);
 * - the TLS origination tasks have the sidecar reach the gateway over Istio mutual TLS (a
 *   server with `tls.mode: ISTIO_MUTUAL`), which needs mesh identity this proxy does not have: it
 *   refuses such a server (checked first), so the server is served as plain HTTP on the same port
 *   (`plainFromSidecar`), as the task's earlier "mutual TLS disabled" tab had it for edition.cnn.com;
 * - the origination to edition.cnn.com, whose DestinationRule names no CA, runs the proxy command
 *   as a process, so that the CA can be added to its roots;
 * - `kubectl apply -n istio-system` becomes `namespace: istio-system` in the object's metadata.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import https from "node:https";
import type tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { checkInputs } from "../../provider/src/cli/check";
import { loadProxyConfig } from "../../provider/src/proxy/config/config-loader";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { ResolveOverride } from "../../provider/src/proxy/upstream/endpoint-resolver";
import { jsonLinesSink, loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { listenOnLoopback, startEchoBackend } from "./support/backends";
import { TestPki, type Issued } from "./support/certs";
import { curl } from "./support/curl";
import { documents, genericSecret } from "./support/istio-yaml";
import { sClient } from "./support/openssl";
import { proxyCommand } from "./support/proxy-command";
import { ConfigDir, startFileProxy } from "./support/samples";

// egress-gateway, snip_egress_gateway_for_http_traffic_1.
const CNN_SERVICE_ENTRY_HTTP = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts:
  - edition.cnn.com
  ports:
  - number: 80
    name: http-port
    protocol: HTTP
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
`;

// egress-gateway, snip_egress_gateway_for_http_traffic_3.
const CNN_EGRESS_GATEWAY_HTTP = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - edition.cnn.com
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-cnn
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
`;

// egress-gateway, snip_egress_gateway_for_http_traffic_5.
const DIRECT_CNN_HTTP = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-cnn-through-egress-gateway
spec:
  hosts:
  - edition.cnn.com
  gateways:
  - istio-egressgateway
  - mesh
  http:
  - match:
    - gateways:
      - mesh
      port: 80
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: cnn
        port:
          number: 80
      weight: 100
  - match:
    - gateways:
      - istio-egressgateway
      port: 80
    route:
    - destination:
        host: edition.cnn.com
        port:
          number: 80
      weight: 100
`;

// egress-gateway, snip_egress_gateway_for_https_traffic_1.
const CNN_SERVICE_ENTRY_TLS = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts:
  - edition.cnn.com
  ports:
  - number: 443
    name: tls
    protocol: TLS
  resolution: DNS
`;

// egress-gateway, snip_egress_gateway_for_https_traffic_3.
const CNN_EGRESS_GATEWAY_TLS = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 443
      name: tls
      protocol: TLS
    hosts:
    - edition.cnn.com
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-cnn
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-cnn-through-egress-gateway
spec:
  hosts:
  - edition.cnn.com
  gateways:
  - mesh
  - istio-egressgateway
  tls:
  - match:
    - gateways:
      - mesh
      port: 443
      sniHosts:
      - edition.cnn.com
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: cnn
        port:
          number: 443
  - match:
    - gateways:
      - istio-egressgateway
      port: 443
      sniHosts:
      - edition.cnn.com
    route:
    - destination:
        host: edition.cnn.com
        port:
          number: 443
      weight: 100
`;

// egress-gateway-tls-origination, snip_perform_tls_origination_with_an_egress_gateway_1.
const CNN_SERVICE_ENTRY_ORIGINATION = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts:
  - edition.cnn.com
  ports:
  - number: 80
    name: http
    protocol: HTTP
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
`;

// egress-gateway-tls-origination, snip_perform_tls_origination_with_an_egress_gateway_3.
const CNN_EGRESS_GATEWAY_ORIGINATION = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 80
      name: https-port-for-tls-origination
      protocol: HTTPS
    hosts:
    - edition.cnn.com
    tls:
      mode: ISTIO_MUTUAL
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-cnn
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
      portLevelSettings:
      - port:
          number: 80
        tls:
          mode: ISTIO_MUTUAL
          sni: edition.cnn.com
`;

// egress-gateway-tls-origination, snip_perform_tls_origination_with_an_egress_gateway_4.
const ORIGINATE_TLS_FOR_CNN = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-cnn-through-egress-gateway
spec:
  hosts:
  - edition.cnn.com
  gateways:
  - istio-egressgateway
  - mesh
  http:
  - match:
    - gateways:
      - mesh
      port: 80
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: cnn
        port:
          number: 80
      weight: 100
  - match:
    - gateways:
      - istio-egressgateway
      port: 80
    route:
    - destination:
        host: edition.cnn.com
        port:
          number: 443
      weight: 100
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: originate-tls-for-edition-cnn-com
spec:
  host: edition.cnn.com
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
    portLevelSettings:
    - port:
        number: 443
      tls:
        mode: SIMPLE # initiates HTTPS for connections to edition.cnn.com
`;

// egress-gateway-tls-origination, snip_deploy_a_mutual_tls_server_5 (the Deployment is skipped).
const MY_NGINX_MESH_EXTERNAL = `apiVersion: v1
kind: Service
metadata:
  name: my-nginx
  namespace: mesh-external
  labels:
    run: my-nginx
spec:
  ports:
  - port: 443
    protocol: TCP
  selector:
    run: my-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
  namespace: mesh-external
spec:
  selector:
    matchLabels:
      run: my-nginx
  replicas: 1
  template:
    metadata:
      labels:
        run: my-nginx
    spec:
      containers:
      - name: my-nginx
        image: nginx
        ports:
        - containerPort: 443
        volumeMounts:
        - name: nginx-config
          mountPath: /etc/nginx
          readOnly: true
        - name: nginx-server-certs
          mountPath: /etc/nginx-server-certs
          readOnly: true
        - name: nginx-ca-certs
          mountPath: /etc/nginx-ca-certs
          readOnly: true
      volumes:
      - name: nginx-config
        configMap:
          name: nginx-configmap
      - name: nginx-server-certs
        secret:
          secretName: nginx-server-certs
      - name: nginx-ca-certs
        secret:
          secretName: nginx-ca-certs
`;

// egress-gateway-tls-origination, snip_configure_mutual_tls_origination_for_egress_traffic_2
// (the same in egress-gateway-tls-origination-sds, snip_configure_simple_tls_origination_for_egress_traffic_2).
const NGINX_EGRESS_GATEWAY = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - my-nginx.mesh-external.svc.cluster.local
    tls:
      mode: ISTIO_MUTUAL
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-nginx
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: nginx
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
      portLevelSettings:
      - port:
          number: 443
        tls:
          mode: ISTIO_MUTUAL
          sni: my-nginx.mesh-external.svc.cluster.local
`;

// egress-gateway-tls-origination, snip_configure_mutual_tls_origination_for_egress_traffic_3
// (the same in egress-gateway-tls-origination-sds, snip_configure_simple_tls_origination_for_egress_traffic_3).
const DIRECT_NGINX = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-nginx-through-egress-gateway
spec:
  hosts:
  - my-nginx.mesh-external.svc.cluster.local
  gateways:
  - istio-egressgateway
  - mesh
  http:
  - match:
    - gateways:
      - mesh
      port: 80
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: nginx
        port:
          number: 443
      weight: 100
  - match:
    - gateways:
      - istio-egressgateway
      port: 443
    route:
    - destination:
        host: my-nginx.mesh-external.svc.cluster.local
        port:
          number: 443
      weight: 100
`;

// egress-gateway-tls-origination, snip_configure_mutual_tls_origination_for_egress_traffic_4,
// applied with -n istio-system.
const ORIGINATE_MTLS_FOR_NGINX = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: originate-mtls-for-nginx
spec:
  host: my-nginx.mesh-external.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
    portLevelSettings:
    - port:
        number: 443
      tls:
        mode: MUTUAL
        credentialName: client-credential # this must match the secret created earlier to hold client certs
        sni: my-nginx.mesh-external.svc.cluster.local
`;

// egress-gateway-tls-origination-sds, snip_configure_simple_tls_origination_for_egress_traffic_4,
// applied with -n istio-system.
const ORIGINATE_TLS_FOR_NGINX = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: originate-tls-for-nginx
spec:
  host: my-nginx.mesh-external.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
    portLevelSettings:
    - port:
        number: 443
      tls:
        mode: SIMPLE
        credentialName: client-credential # this must match the secret created earlier without the "-cacert" suffix
        sni: my-nginx.mesh-external.svc.cluster.local
`;

// wildcard-egress-hosts, snip_configure_egress_gateway_traffic_to_a_wildcard_host_1.
const WIKIPEDIA_EGRESS_GATEWAY = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "*.wikipedia.org"
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-wikipedia
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
    - name: wikipedia
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-wikipedia-through-egress-gateway
spec:
  hosts:
  - "*.wikipedia.org"
  gateways:
  - mesh
  - istio-egressgateway
  tls:
  - match:
    - gateways:
      - mesh
      port: 443
      sniHosts:
      - "*.wikipedia.org"
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: wikipedia
        port:
          number: 443
      weight: 100
  - match:
    - gateways:
      - istio-egressgateway
      port: 443
      sniHosts:
      - "*.wikipedia.org"
    route:
    - destination:
        host: www.wikipedia.org
        port:
          number: 443
      weight: 100
`;

// wildcard-egress-hosts, snip_configure_egress_gateway_traffic_to_a_wildcard_host_3.
const WWW_WIKIPEDIA_SERVICE_ENTRY = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: www-wikipedia
spec:
  hosts:
  - www.wikipedia.org
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
`;

/** The egress gateway pod the proxy stands in for: its namespace and labels, as Istio installs it. */
const EGRESS_GATEWAY_POD = { namespace: "istio-system", labels: { istio: "egressgateway" } } as const;

/**
 * The task's Gateway with its ISTIO_MUTUAL server (the sidecar's Istio mutual TLS to the gateway)
 * served as plain HTTP on the same port: see the header comment.
 */
function plainFromSidecar(yaml: string): string {
  const plain = yaml.replace(
    /^( {6}protocol: )HTTPS\n( {4}hosts:\n(?: {4}- .*\n)+) {4}tls:\n {6}mode: ISTIO_MUTUAL\n/m,
    "$1HTTP\n$2",
  );
  assert.notEqual(plain, yaml, "the Gateway has no ISTIO_MUTUAL server to make plain");
  return plain;
}

/** The object of `yaml` as `kubectl apply -n <namespace>` creates it. */
function inNamespace(yaml: string, namespace: string): string {
  return yaml.replace(/^metadata:\n/m, `metadata:\n  namespace: ${namespace}\n`);
}

/** A TLS server and what it saw: the SNI of each connection and the client certificate presented. */
interface TlsSite extends Backend {
  /** Per request: the SNI of its connection and the subject of the client's certificate, if any. */
  readonly seen: { servername: string | null; client: string | null; host: string | undefined }[];
  /** Connections whose handshake completed. */
  readonly connections: { count: number };
  /** Serves `cert` from now on, closing the connections made with the one before. */
  replaceCertificate(cert: Issued): void;
}

/**
 * A stand-in for an external HTTPS server: serves `cert`, verifies client certificates against
 * `clientCa` when given (as the task's nginx with `ssl_verify_client on`), and answers `body(host)`.
 */
async function startTlsSite(
  cert: Issued,
  body: (host: string) => string,
  server: string,
  clientCa?: string,
): Promise<TlsSite> {
  const hits = { count: 0 };
  const connections = { count: 0 };
  const seen: TlsSite["seen"] = [];
  const site = https.createServer(
    {
      cert: cert.cert,
      key: cert.key,
      ...(clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    (req, res) => {
      hits.count++;
      const socket = req.socket as tls.TLSSocket;
      const peer = socket.getPeerCertificate();
      const subject =
        peer.subject === undefined
          ? null
          : Object.entries(peer.subject)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(", ");
      seen.push({
        servername: socket.servername === false ? null : (socket.servername ?? null),
        client: subject,
        host: req.headers.host,
      });
      res.writeHead(200, { server, "content-type": "text/html" });
      res.end(body(req.headers.host ?? ""));
    },
  );
  site.on("secureConnection", () => connections.count++);
  const replaceCertificate = (next: Issued) => {
    site.setSecureContext({
      cert: next.cert,
      key: next.key,
      ...(clientCa === undefined ? {} : { ca: clientCa }),
    });
    site.closeAllConnections();
  };
  return { ...(await listenOnLoopback(site)), hits, seen, connections, replaceCertificate };
}

/** The welcome page of the tasks' nginx. */
const NGINX_WELCOME = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n</html>\n";

/**
 * A proxy standing in for istio-egressgateway, in this process, on the YAML files of a task: its
 * access log parsed, its messages kept, reloaded by {@link EgressGateway.apply} as `kubectl apply`
 * changes a cluster.
 */
class EgressGateway {
  readonly dir = new ConfigDir();
  readonly access: Record<string, unknown>[] = [];
  readonly logs: string[] = [];
  proxy!: GatewayProxy;

  /** Starts the proxy on `files` (name to YAML), serving Gateway `ports`. */
  async start(
    files: Readonly<Record<string, string>>,
    ports: number[],
    resolve: ResolveOverride[],
  ): Promise<void> {
    for (const [name, text] of Object.entries(files)) this.dir.write(name, text);
    this.proxy = await startFileProxy([this.dir.dir], ports, resolve, this.logs, jsonLinesSink(this.access), {
      load: () => loadProxyConfig([this.dir.dir], EGRESS_GATEWAY_POD),
      workloadName: "istio-egressgateway",
      // The steps apply their changes one at a time, and reload when they are written.
      watchPaths: [],
    });
  }

  /** The port the proxy listens on for Gateway port `port`. */
  port(port: number): number {
    return this.proxy.boundPorts().get(port)!;
  }

  /** Writes `files` and waits until the proxy serves them. */
  async apply(files: Readonly<Record<string, string>>): Promise<void> {
    for (const [name, text] of Object.entries(files)) this.dir.write(name, text);
    assert.equal(await this.proxy.reload(), true, this.logs.join("\n"));
  }

  /** Stops the proxy and removes its files. */
  async close(): Promise<void> {
    await this.proxy.close();
    this.dir.dispose();
  }
}

/** `istio-gateway analyze --strict` of `yaml`, in-process: its findings as `code path`. */
function analyze(yaml: string): string[] {
  const report = checkInputs([{ name: "-", text: yaml }], { analyze: true, strict: true });
  assert.deepEqual(report.syntaxErrors, []);
  return report.findings.map((f) => `${f.issue.code} ${f.issue.path}`);
}

describe("Istio docs: egress-gateway, HTTP traffic to edition.cnn.com", () => {
  const gw = new EgressGateway();
  const seen: Echo[] = [];
  let cnn: Backend;
  let port: number;

  before(async () => {
    cnn = await startEchoBackend("edition.cnn.com", seen);
    await gw.start(
      {
        "cnn.yaml": CNN_SERVICE_ENTRY_HTTP,
        "istio-egressgateway.yaml": CNN_EGRESS_GATEWAY_HTTP,
        "direct-cnn-through-egress-gateway.yaml": DIRECT_CNN_HTTP,
      },
      [80],
      [{ host: "edition.cnn.com", ip: "127.0.0.1", port: cnn.port }],
    );
    port = gw.port(80);
  });

  after(async () => {
    await gw.close();
    await cnn.close();
  });

  it("forwards the sidecar's request for edition.cnn.com/politics to edition.cnn.com:80", async () => {
    const r = await curl(["-H", "Host: edition.cnn.com", `http://127.0.0.1:${port}/politics`]);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual(
      [r.status, r.headers["server"], echo.name, echo.url, echo.headers["host"]],
      [200, "istio-envoy", "edition.cnn.com", "/politics", "edition.cnn.com"],
    );
    // The task's log line: the gateway's rule chose outbound|80||edition.cnn.com. The `mesh` rule,
    // to the egress gateway's own subset, is the sidecar's and is not applied here.
    const line = await loggedLine(gw.access, "/politics");
    assert.deepEqual(
      [
        line["route_config"],
        line["virtual_host"],
        line["method"],
        line["response_code"],
        line["response_flags"],
        line["authority"],
        line["upstream_host"],
        line["upstream_cluster"],
      ],
      [
        "http.8080",
        "edition.cnn.com:80",
        "GET",
        200,
        "-",
        "edition.cnn.com",
        `127.0.0.1:${cnn.port}`,
        "outbound|80||edition.cnn.com",
      ],
    );
  });

  it("answers 404 NR for a host the Gateway does not expose, without calling out", async () => {
    const before = cnn.hits.count;
    const r = await curl(["-H", "Host: www.google.com", `http://127.0.0.1:${port}/politics?other`]);
    assert.deepEqual([r.status, r.body, r.headers["server"]], [404, "", "istio-envoy"]);
    const line = await loggedLine(gw.access, "/politics?other");
    assert.deepEqual(
      [line["response_flags"], line["response_code_details"], line["upstream_cluster"]],
      ["NR", "route_not_found", null],
    );
    assert.equal(cnn.hits.count, before);
  });

  it("takes the task's objects without a finding, and analyze finds none", () => {
    assert.deepEqual(
      gw.logs.filter((l) => /\[IGW\d+\]/.test(l)),
      [],
    );
    assert.deepEqual(
      analyze(documents(CNN_SERVICE_ENTRY_HTTP, CNN_EGRESS_GATEWAY_HTTP, DIRECT_CNN_HTTP)),
      [],
    );
  });
});

describe("Istio docs: egress-gateway, HTTPS traffic to edition.cnn.com (TLS PASSTHROUGH)", () => {
  const gw = new EgressGateway();
  const pki = new TestPki("cnn-ca");
  const cnnCert = pki.issue("edition.cnn.com", ["DNS:edition.cnn.com"]);
  let cnn: TlsSite;
  let port: number;

  before(async () => {
    cnn = await startTlsSite(cnnCert, () => "<title>CNN Politics</title>\n", "cnn");
    await gw.start(
      { "cnn.yaml": CNN_SERVICE_ENTRY_TLS, "istio-egressgateway.yaml": CNN_EGRESS_GATEWAY_TLS },
      [443],
      [{ host: "edition.cnn.com", ip: "127.0.0.1", port: cnn.port }],
    );
    port = gw.port(443);
  });

  after(async () => {
    await gw.close();
    await cnn.close();
    pki.dispose();
  });

  it("passes the sidecar's TLS for edition.cnn.com through: the client talks to edition.cnn.com itself", async () => {
    const r = await curl([
      "--resolve",
      `edition.cnn.com:${port}:127.0.0.1`,
      "--cacert",
      pki.ca.certPath,
      `https://edition.cnn.com:${port}/politics`,
    ]);
    // The server's own answer, untouched: none of the gateway's headers.
    assert.deepEqual(
      [r.status, r.headers["server"], r.headers["x-envoy-upstream-service-time"], r.body],
      [200, "cnn", undefined, "<title>CNN Politics</title>\n"],
    );
    assert.deepEqual(cnn.seen.at(-1), {
      servername: "edition.cnn.com",
      client: null,
      host: `edition.cnn.com:${port}`,
    });
    // The task's log line: a TCP connection to outbound|443||edition.cnn.com, SNI edition.cnn.com.
    const line = await loggedLineWhere(
      gw.access,
      (l) => l["requested_server_name"] === "edition.cnn.com",
      "SNI edition.cnn.com",
    );
    assert.deepEqual(
      [line["upstream_cluster"], line["upstream_host"], line["response_flags"]],
      ["outbound|443||edition.cnn.com", `127.0.0.1:${cnn.port}`, "-"],
    );
  });

  it("shows the client edition.cnn.com's certificate, as openssl s_client sees it", async () => {
    const out = await sClient(
      ["-connect", `127.0.0.1:${port}`, "-servername", "edition.cnn.com", "-CAfile", pki.ca.certPath],
      { input: "GET / HTTP/1.1\r\nHost: edition.cnn.com\r\nConnection: close\r\n\r\n", keepOpen: true },
    );
    assert.match(out, /subject=CN = edition\.cnn\.com\n/);
    assert.match(out, /issuer=CN = cnn-ca\n/);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.match(out, /HTTP\/1\.1 200 OK\r\n/);
  });

  it("closes a connection for another SNI before any certificate, and edition.cnn.com sees nothing", async () => {
    const before = cnn.connections.count;
    const out = await sClient(["-connect", `127.0.0.1:${port}`, "-servername", "www.google.com"], {
      keepOpen: true,
    });
    assert.match(out, /no peer certificate available/);
    assert.equal(cnn.connections.count, before);
  });

  it("takes the task's objects without a finding, and analyze finds none", () => {
    assert.deepEqual(
      gw.logs.filter((l) => /\[IGW\d+\]/.test(l)),
      [],
    );
    assert.deepEqual(analyze(documents(CNN_SERVICE_ENTRY_TLS, CNN_EGRESS_GATEWAY_TLS)), []);
  });
});

/**
 * `istio-gateway proxy` as a process on `dir`, standing in for istio-egressgateway, its access log
 * on stdout parsed into `access`; `env` adds to its environment. Resolves once it listens, with
 * the port of Gateway port `gatewayPort` (the only one).
 */
async function spawnEgressProxy(
  dir: string,
  gatewayPort: number,
  resolve: readonly string[],
  env: Readonly<Record<string, string>>,
  access: Record<string, unknown>[],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    proxyCommand(
      "--config",
      dir,
      "--port",
      `${gatewayPort}=0`,
      "--status-port",
      "0",
      "--bind",
      "127.0.0.1",
      "--labels",
      "istio=egressgateway",
      "--workload-name",
      "istio-egressgateway",
      ...resolve.flatMap((r) => ["--resolve", r]),
    ),
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const sink = jsonLinesSink(access);
  child.stdout!.on("data", (d: Buffer) => sink.write(d));
  const listening = /listeners \S+@127\.0\.0\.1:(\d+)/;
  // Starting a process through tsx takes seconds on a busy machine: up to 60 s, in 50 ms steps.
  for (let i = 0; i < 1200 && !listening.test(stderr) && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 50));
  const port = listening.exec(stderr)?.[1];
  assert.ok(port !== undefined, `the proxy did not start listening:\n${stderr}`);
  return { child, port: Number(port), stderr: () => stderr };
}

/** Stops a proxy process started by {@link spawnEgressProxy}, waiting for it to exit. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("Istio docs: egress-gateway-tls-origination, TLS origination for edition.cnn.com", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  // edition.cnn.com's certificate comes from a CA the gateway's system trust store holds.
  const pki = new TestPki("public-root-ca");
  const cnnCert = pki.issue("edition.cnn.com", ["DNS:edition.cnn.com"]);
  let cnn: TlsSite;
  let proxy: { child: ChildProcess; port: number; stderr: () => string } | undefined;

  before(async () => {
    cnn = await startTlsSite(cnnCert, () => "<title>CNN Politics</title>\n", "cnn");
  });

  after(async () => {
    if (proxy !== undefined) await stopProcess(proxy.child);
    await cnn.close();
    dir.dispose();
    pki.dispose();
  });

  it("refuses the task's Gateway as written: its ISTIO_MUTUAL server needs Istio's mesh identity", async () => {
    const asWritten = new ConfigDir();
    try {
      asWritten.write(
        "task.yaml",
        documents(CNN_SERVICE_ENTRY_ORIGINATION, CNN_EGRESS_GATEWAY_ORIGINATION, ORIGINATE_TLS_FOR_CNN),
      );
      const result = await loadProxyConfig([asWritten.dir], EGRESS_GATEWAY_POD);
      assert.equal(result.config, undefined);
      assert.deepEqual(
        result.messages.filter((m) => m.includes("[IGW")),
        [
          'Error [IGW6002] (Gateway default/istio-egressgateway) spec.servers[0].tls.mode: must not be "ISTIO_MUTUAL": it needs Istio\'s mesh identity, which this proxy does not have; the server is not served (got "ISTIO_MUTUAL")',
        ],
      );
    } finally {
      asWritten.dispose();
    }
  });

  it("analyze accepts every origination task's objects as written, ISTIO_MUTUAL servers included, as Istio does", () => {
    const tasks = [
      [CNN_SERVICE_ENTRY_ORIGINATION, CNN_EGRESS_GATEWAY_ORIGINATION, ORIGINATE_TLS_FOR_CNN],
      [MY_NGINX_MESH_EXTERNAL, NGINX_EGRESS_GATEWAY, DIRECT_NGINX, ORIGINATE_MTLS_FOR_NGINX],
      [MY_NGINX_MESH_EXTERNAL, NGINX_EGRESS_GATEWAY, DIRECT_NGINX, ORIGINATE_TLS_FOR_NGINX],
    ];
    assert.deepEqual(
      tasks.map((docs) => analyze(documents(...docs))),
      [[], [], []],
    );
  });

  it("with a plain-text server, originates TLS to edition.cnn.com:443 for the sidecar's HTTP request", async () => {
    dir.write("cnn.yaml", CNN_SERVICE_ENTRY_ORIGINATION);
    dir.write("istio-egressgateway.yaml", plainFromSidecar(CNN_EGRESS_GATEWAY_ORIGINATION));
    dir.write("direct-cnn-through-egress-gateway.yaml", ORIGINATE_TLS_FOR_CNN);
    proxy = await spawnEgressProxy(
      dir.dir,
      80,
      [`edition.cnn.com=127.0.0.1:${cnn.port}`],
      { NODE_EXTRA_CA_CERTS: pki.ca.certPath },
      access,
    );
    const r = await curl(["-H", "Host: edition.cnn.com", `http://127.0.0.1:${proxy.port}/politics`]);
    // The task's HTTP/1.1 200 OK (not the 301 to https that plain HTTP gets from edition.cnn.com).
    assert.deepEqual(
      [r.httpVersion, r.status, r.headers["server"], r.body],
      ["1.1", 200, "istio-envoy", "<title>CNN Politics</title>\n"],
    );
    // Without `sni` in the DestinationRule, Envoy's auto_sni sends the request's host.
    assert.deepEqual(cnn.seen.at(-1), {
      servername: "edition.cnn.com",
      client: null,
      host: "edition.cnn.com",
    });
    const line = await loggedLine(access, "/politics");
    assert.deepEqual(
      [line["response_code"], line["authority"], line["upstream_host"], line["upstream_cluster"]],
      [200, "edition.cnn.com", `127.0.0.1:${cnn.port}`, "outbound|443||edition.cnn.com"],
    );
    // The mesh rule's DestinationRule (ISTIO_MUTUAL to the gateway itself) is the sidecar's: no
    // cluster of the gateway uses it, so the proxy has nothing to say about it.
    assert.doesNotMatch(proxy.stderr(), /\[IGW/);
  });

  it("fails the request 503 URX,UF when edition.cnn.com's certificate does not name it (auto SAN validation)", async () => {
    assert.ok(proxy !== undefined, "the proxy of the test before");
    // A certificate of the trusted CA, for another name: the chain verifies, the name does not.
    cnn.replaceCertificate(pki.issue("www.cnn.com", ["DNS:www.cnn.com"]));
    const before = cnn.hits.count;
    const r = await curl([
      "-H",
      "Host: edition.cnn.com",
      `http://127.0.0.1:${proxy.port}/politics?other-name`,
    ]);
    assert.deepEqual(
      [r.status, r.body],
      [
        503,
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: " +
          "remote connection failure, transport failure reason: " +
          "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
      ],
    );
    const line = await loggedLine(access, "/politics?other-name");
    assert.deepEqual(
      [line["response_code"], line["response_flags"], line["upstream_cluster"]],
      [503, "URX,UF", "outbound|443||edition.cnn.com"],
    );
    assert.equal(cnn.hits.count, before);
  });
});

describe("Istio docs: egress-gateway-tls-origination, mutual TLS origination for my-nginx", () => {
  const gw = new EgressGateway();
  // The task's example.com CA, the nginx server's certificate and the client's.
  const example = new TestPki("example.com");
  const nginxCert = example.issue(
    "my-nginx.mesh-external.svc.cluster.local",
    [],
    "server",
    "/CN=my-nginx.mesh-external.svc.cluster.local/O=some organization",
  );
  const clientCert = example.issue(
    "client.example.com",
    [],
    "client",
    "/CN=client.example.com/O=client organization",
  );
  const other = new TestPki("example.com");
  let nginx: TlsSite;
  let port: number;

  /** snip_configure_mutual_tls_origination_for_egress_traffic_1, with `ca` as ca.crt. */
  const clientCredential = (ca: string) =>
    genericSecret("client-credential", {
      "tls.key": clientCert.key,
      "tls.crt": clientCert.cert,
      "ca.crt": ca,
    });

  before(async () => {
    // The task's nginx.conf: ssl_verify_client on, against example.com.crt.
    nginx = await startTlsSite(nginxCert, () => NGINX_WELCOME, "nginx/1.27.0", example.ca.cert);
    await gw.start(
      {
        "my-nginx.yaml": MY_NGINX_MESH_EXTERNAL,
        "client-credential.yaml": clientCredential(example.ca.cert),
        "istio-egressgateway.yaml": plainFromSidecar(NGINX_EGRESS_GATEWAY),
        "direct-nginx-through-egress-gateway.yaml": DIRECT_NGINX,
        "originate-mtls-for-nginx.yaml": inNamespace(ORIGINATE_MTLS_FOR_NGINX, "istio-system"),
      },
      [443],
      [{ host: "my-nginx.mesh-external.svc.cluster.local", ip: "127.0.0.1", port: nginx.port }],
    );
    port = gw.port(443);
  });

  after(async () => {
    await gw.close();
    await nginx.close();
    example.dispose();
    other.dispose();
  });

  it("curl http://my-nginx.mesh-external.svc.cluster.local: nginx's welcome page, given client.example.com", async () => {
    const r = await curl([
      "-H",
      "Host: my-nginx.mesh-external.svc.cluster.local",
      `http://127.0.0.1:${port}/`,
    ]);
    assert.deepEqual([r.status, r.headers["server"], r.body], [200, "istio-envoy", NGINX_WELCOME]);
    assert.deepEqual(nginx.seen.at(-1), {
      servername: "my-nginx.mesh-external.svc.cluster.local",
      client: "CN=client.example.com, O=client organization",
      host: "my-nginx.mesh-external.svc.cluster.local",
    });
    const line = await loggedLine(gw.access, "/");
    assert.deepEqual(
      [line["response_code"], line["upstream_cluster"]],
      [200, "outbound|443||my-nginx.mesh-external.svc.cluster.local"],
    );
    assert.deepEqual(
      gw.logs.filter((l) => /\[IGW\d+\]/.test(l)),
      [],
    );
  });

  it("fails the request 503 URX,UF when nginx's certificate is not from the credential's CA", async () => {
    // The Secret's ca.crt replaced by another CA named example.com: the chain no longer verifies.
    await gw.apply({ "client-credential.yaml": clientCredential(other.ca.cert) });
    const before = nginx.hits.count;
    const r = await curl([
      "-H",
      "Host: my-nginx.mesh-external.svc.cluster.local",
      `http://127.0.0.1:${port}/other-ca`,
    ]);
    assert.deepEqual(
      [r.status, r.body],
      [
        503,
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: " +
          "remote connection failure, transport failure reason: " +
          "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
      ],
    );
    const line = await loggedLine(gw.access, "/other-ca");
    assert.deepEqual(
      [line["response_code"], line["response_flags"], line["response_code_details"]],
      [
        503,
        "URX,UF",
        "upstream_reset_before_response_started{remote_connection_failure," +
          "TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end}",
      ],
    );
    assert.equal(nginx.hits.count, before);
  });
});

describe("Istio docs: egress-gateway-tls-origination-sds, TLS origination with a CA-only Secret", () => {
  const gw = new EgressGateway();
  const example = new TestPki("example.com");
  const nginxCert = example.issue(
    "my-nginx.mesh-external.svc.cluster.local",
    [],
    "server",
    "/CN=my-nginx.mesh-external.svc.cluster.local/O=some organization",
  );
  let nginx: TlsSite;
  let port: number;

  before(async () => {
    // The task's nginx.conf for simple TLS: ssl_verify_client off.
    nginx = await startTlsSite(nginxCert, () => NGINX_WELCOME, "nginx/1.27.0");
    await gw.start(
      {
        "my-nginx.yaml": MY_NGINX_MESH_EXTERNAL,
        // snip_configure_simple_tls_origination_for_egress_traffic_1: only the -cacert Secret.
        "client-credential-cacert.yaml": genericSecret("client-credential-cacert", {
          "ca.crt": example.ca.cert,
        }),
        "istio-egressgateway.yaml": plainFromSidecar(NGINX_EGRESS_GATEWAY),
        "direct-nginx-through-egress-gateway.yaml": DIRECT_NGINX,
        "originate-tls-for-nginx.yaml": inNamespace(ORIGINATE_TLS_FOR_NGINX, "istio-system"),
      },
      [443],
      [{ host: "my-nginx.mesh-external.svc.cluster.local", ip: "127.0.0.1", port: nginx.port }],
    );
    port = gw.port(443);
  });

  after(async () => {
    await gw.close();
    await nginx.close();
    example.dispose();
  });

  it("verifies nginx against client-credential-cacert, with no client-credential Secret, as Istio's SDS does", async () => {
    assert.deepEqual(
      gw.logs.filter((l) => /\[IGW\d+\]/.test(l)),
      [],
    );
    const r = await curl([
      "-H",
      "Host: my-nginx.mesh-external.svc.cluster.local",
      `http://127.0.0.1:${port}/`,
    ]);
    assert.deepEqual([r.status, r.headers["server"], r.body], [200, "istio-envoy", NGINX_WELCOME]);
    assert.deepEqual(nginx.seen.at(-1), {
      servername: "my-nginx.mesh-external.svc.cluster.local",
      client: null,
      host: "my-nginx.mesh-external.svc.cluster.local",
    });
  });
});

describe("Istio docs: wildcard-egress-hosts, *.wikipedia.org through the egress gateway", () => {
  const gw = new EgressGateway();
  const pki = new TestPki("wikipedia-ca");
  const wikipediaCert = pki.issue("*.wikipedia.org", ["DNS:*.wikipedia.org", "DNS:wikipedia.org"]);
  const titles: Record<string, string> = {
    "en.wikipedia.org": "<title>Wikipedia, the free encyclopedia</title>",
    "de.wikipedia.org": "<title>Wikipedia – Die freie Enzyklopädie</title>",
  };
  let www: TlsSite;
  let port: number;

  before(async () => {
    // www.wikipedia.org's servers answer every language's host.
    www = await startTlsSite(
      wikipediaCert,
      (host) => `${titles[host.split(":")[0]!] ?? "<title>?</title>"}\n`,
      "mw",
    );
    await gw.start(
      {
        "istio-egressgateway.yaml": WIKIPEDIA_EGRESS_GATEWAY,
        "www-wikipedia.yaml": WWW_WIKIPEDIA_SERVICE_ENTRY,
      },
      [443],
      [{ host: "www.wikipedia.org", ip: "127.0.0.1", port: www.port }],
    );
    port = gw.port(443);
  });

  after(async () => {
    await gw.close();
    await www.close();
    pki.dispose();
  });

  /** The task's `curl -s https://<host><path>`, the host resolved to the gateway. */
  const wiki = (host: string, path: string) =>
    curl([
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      "--cacert",
      pki.ca.certPath,
      `https://${host}:${port}${path}`,
    ]);

  it("en.wikipedia.org and de.wikipedia.org both reach www.wikipedia.org, each with its own SNI", async () => {
    const en = await wiki("en.wikipedia.org", "/wiki/Main_Page");
    const de = await wiki("de.wikipedia.org", "/wiki/Wikipedia:Hauptseite");
    // curl's output is read byte for byte (latin1); the pages are UTF-8.
    const text = (body: string) => Buffer.from(body, "latin1").toString("utf8");
    assert.deepEqual(
      [en.status, text(en.body), de.status, text(de.body)],
      [200, `${titles["en.wikipedia.org"]}\n`, 200, `${titles["de.wikipedia.org"]}\n`],
    );
    assert.deepEqual(
      www.seen.map((s) => s.servername),
      ["en.wikipedia.org", "de.wikipedia.org"],
    );
    // The task counts two connections on outbound|443||www.wikipedia.org.
    assert.equal(www.connections.count, 2);
    for (const sni of ["en.wikipedia.org", "de.wikipedia.org"]) {
      const line = await loggedLineWhere(gw.access, (l) => l["requested_server_name"] === sni, sni);
      assert.deepEqual(
        [line["upstream_cluster"], line["upstream_host"]],
        ["outbound|443||www.wikipedia.org", `127.0.0.1:${www.port}`],
        sni,
      );
    }
  });

  it("passes a name several labels under wikipedia.org, as Envoy's *.wikipedia.org server name covers any depth", async () => {
    const out = await sClient(
      ["-connect", `127.0.0.1:${port}`, "-servername", "upload.en.wikipedia.org", "-CAfile", pki.ca.certPath],
      { input: "GET / HTTP/1.1\r\nHost: en.wikipedia.org\r\nConnection: close\r\n\r\n", keepOpen: true },
    );
    assert.match(out, /subject=CN = \*\.wikipedia\.org\n/);
    assert.match(out, /HTTP\/1\.1 200 OK\r\n/);
    assert.deepEqual(www.seen.at(-1), {
      servername: "upload.en.wikipedia.org",
      client: null,
      host: "en.wikipedia.org",
    });
  });

  for (const sni of ["wikipedia.org", "en.wikipedia.com", "www.google.com"]) {
    it(`closes a connection for ${sni}, which *.wikipedia.org does not cover, before www.wikipedia.org sees it`, async () => {
      const before = www.connections.count;
      const out = await sClient(["-connect", `127.0.0.1:${port}`, "-servername", sni], { keepOpen: true });
      assert.match(out, /no peer certificate available/);
      assert.equal(www.connections.count, before);
    });
  }

  it("takes the task's objects without a finding, and analyze finds none", () => {
    assert.deepEqual(
      gw.logs.filter((l) => /\[IGW\d+\]/.test(l)),
      [],
    );
    assert.deepEqual(analyze(documents(WIKIPEDIA_EGRESS_GATEWAY, WWW_WIKIPEDIA_SERVICE_ENTRY)), []);
  });
});
