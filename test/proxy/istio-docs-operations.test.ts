/**
 * The gateway behaviours Istio's operations pages document (istio/istio.io, content/en/docs/ops/):
 * common-problems/network-issues ("Traffic Management Problems"), and, under
 * configuration/traffic-management/, tls-configuration, protocol-selection and network-topologies.
 * Each item takes the page's own YAML and commands and asserts the outcome the page describes. The
 * only adaptations: Kubernetes service names go to loopback backends (`--resolve`, or ServiceEntries
 * with labelled loopback endpoints standing in for a Service's pods), certificates are made with
 * TestPki (their files stand in for the gateway's mounted `/etc/istio/ingressgateway-certs`), and
 * where a page shows a fragment (`...`, or a list of resources in prose) it is completed as the
 * comment above it says. Items that concern sidecars only (mTLS conflicts, headless services,
 * EnvoyFilter ordering) are left out.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { checkInputs } from "../../provider/src/cli/check";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { listenOnLoopback, startEchoBackend, startTcpEcho } from "./support/backends";
import { TestPki, type Issued } from "./support/certs";
import { curl, request, type CurlResponse } from "./support/curl";
import { documents, genericSecret, httpGateway, tlsSecret } from "./support/istio-yaml";
import { jsonLinesSink, loggedLine, loggedLineWhere } from "./support/access-log-sinks";
import { sClient } from "./support/openssl";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import { bindToGateway, serviceOfPods } from "./support/traffic-task-yaml";

/** What `istio-gateway analyze` finds in `docs`: each finding as `code path: message`. */
function analyze(...docs: readonly string[]): string[] {
  const report = checkInputs([{ name: "-", text: documents(...docs) }], { analyze: true, strict: false });
  return report.findings.map(
    (f) =>
      `${f.issue.istioCode ?? f.issue.code} ${f.issue.resource?.kind ?? ""}/${f.issue.resource?.name ?? ""} ${f.issue.path}: ${f.issue.message}`,
  );
}

/** How many of `answers` each backend gave (by `x-backend`, else by status). */
function tally(answers: readonly CurlResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of answers) {
    const key = r.headers["x-backend"] ?? String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// network-issues, "Route rules have no effect on ingress gateway requests".

// The page's myapp VirtualService; its second rule (`- match: ...`) is elided on the page and here.
const MYAPP = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: myapp
spec:
  hosts:
  - "myapp.com" # or maybe "*" if you are testing without DNS using the ingress-gateway IP (e.g., http://1.2.3.4/hello)
  gateways:
  - myapp-gateway
  http:
  - match:
    - uri:
        prefix: /hello
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
`;

// The page's helloworld VirtualService, for the mesh: it names no gateway.
const HELLOWORLD_V1_MESH = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts:
  - helloworld.default.svc.cluster.local
  http:
  - route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
`;

// The page's first fix: the subset in the myapp VirtualService (its `- match: ...` elided).
const MYAPP_V1 = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: myapp
spec:
  hosts:
  - "myapp.com" # or maybe "*" if you are testing without DNS using the ingress-gateway IP (e.g., http://1.2.3.4/hello)
  gateways:
  - myapp-gateway
  http:
  - match:
    - uri:
        prefix: /hello
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
`;

// The page's second fix: one VirtualService for the mesh and the gateway, verbatim.
const MYAPP_COMBINED = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: myapp
spec:
  hosts:
  - myapp.com # cannot use "*" here since this is being combined with the mesh services
  - helloworld.default.svc.cluster.local
  gateways:
  - mesh # applies internally as well as externally
  - myapp-gateway
  http:
  - match:
    - uri:
        prefix: /hello
      gateways:
      - myapp-gateway #restricts this rule to apply only to ingress gateway
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
  - match:
    - gateways:
      - mesh # applies to all services inside the mesh
    route:
    - destination:
        host: helloworld.default.svc.cluster.local
        subset: v1
`;

// Not on the page, which names them only: the myapp-gateway its rules bind to, and the subsets of
// helloworld (the helloworld sample's v1 and v2 pods carry `version: v1` and `version: v2`).
const MYAPP_GATEWAY = `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: myapp-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "myapp.com"
`;

const HELLOWORLD_SUBSETS = `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: helloworld
spec:
  host: helloworld.default.svc.cluster.local
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;

describe("network-issues: route rules have no effect on ingress gateway requests", () => {
  const dir = new ConfigDir();
  const backends: Backend[] = [];
  let base: string[];
  let proxy: GatewayProxy;
  let port: number;

  /** Applies `docs` beside the Gateway, Service and subsets, and reloads. */
  async function apply(...docs: string[]): Promise<void> {
    dir.write("applied.yaml", documents(...base, ...docs));
    assert.equal(await proxy.reload(), true);
  }

  /** `count` GETs of /hello for myapp.com, one after another. */
  async function hello(count: number): Promise<CurlResponse[]> {
    const answers: CurlResponse[] = [];
    for (let i = 0; i < count; i++)
      answers.push(await request(`http://127.0.0.1:${port}/hello`, { host: "myapp.com" }));
    return answers;
  }

  before(async () => {
    const v1 = await startEchoBackend("helloworld-v1");
    const v2 = await startEchoBackend("helloworld-v2");
    backends.push(v1, v2);
    base = [
      MYAPP_GATEWAY,
      HELLOWORLD_SUBSETS,
      serviceOfPods("helloworld", 5000, [
        { port: v1.port, version: "v1" },
        { port: v2.port, version: "v2" },
      ]),
    ];
    const file = dir.write("applied.yaml", documents(...base, MYAPP, HELLOWORLD_V1_MESH));
    proxy = await startFileProxy([file], [80], [], [], undefined, { watchPaths: [] });
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    for (const b of backends) await b.close();
    dir.dispose();
  });

  it("sends myapp.com/hello to every helloworld pod: the mesh's subset v1 rule is not applied", async () => {
    const counts = tally(await hello(40));
    // Both versions answer (all 40 from one would happen once in 2^39 runs): no subset applies.
    assert.deepEqual(Object.keys(counts).sort(), ["helloworld-v1", "helloworld-v2"]);
    assert.equal(counts["helloworld-v1"]! + counts["helloworld-v2"]!, 40);
  });

  it("does not serve the mesh rule's own host at the gateway", async () => {
    const r = await request(`http://127.0.0.1:${port}/hello`, {
      host: "helloworld.default.svc.cluster.local",
    });
    assert.deepEqual([r.status, r.headers["x-igw-error-code"]], [404, "IGW_ERR_NO_ROUTE"]);
  });

  it("sends every request to v1 once the myapp VirtualService names the subset", async () => {
    await apply(MYAPP_V1, HELLOWORLD_V1_MESH);
    assert.deepEqual(tally(await hello(20)), { "helloworld-v1": 20 });
  });

  it("sends every request to v1 with the combined VirtualService, whose mesh-only rule stays off the gateway", async () => {
    await apply(MYAPP_COMBINED);
    assert.deepEqual(tally(await hello(20)), { "helloworld-v1": 20 });
    // The second rule matches `gateways: [mesh]` only: at the gateway, no rule takes other paths.
    const other = await request(`http://127.0.0.1:${port}/other`, { host: "myapp.com" });
    assert.deepEqual([other.status, other.headers["x-igw-error-code"]], [404, "IGW_ERR_NO_ROUTE"]);
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "404 errors occur when multiple gateways configured with same TLS certificate".
// The page lists the resources in prose; written here as it lists them, with the wildcard
// certificate `*.test.com` "installed in istio-ingressgateway" as the files serverCertificate and
// privateKey name.

/** The page's Gateway `name` serving `host` over HTTPS with the mounted wildcard certificate. */
function wildcardCertGateway(name: string, host: string, cert: Issued): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: ${name}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: SIMPLE
      serverCertificate: ${cert.certPath}
      privateKey: ${cert.keyPath}
    hosts:
    - "${host}"
`;
}

/** The page's VirtualService `name` for `host`, bound to `gateway`, to the `backend` service. */
function testComVirtualService(name: string, host: string, gateway: string, backend: string): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts:
  - "${host}"
  gateways:
  - ${gateway}
  http:
  - route:
    - destination:
        host: ${backend}
        port:
          number: 8000
`;
}

/**
 * What a browser does: one HTTP/2 connection opened with SNI `sni`, then a request per authority
 * on it, in turn, as it reuses a connection whose certificate covers the next host. Resolves with
 * each answer's status and `x-backend`.
 */
async function onOneHttp2Connection(
  port: number,
  sni: string,
  ca: Issued,
  authorities: readonly string[],
): Promise<[number, string | undefined][]> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { servername: sni, ca: ca.cert });
  session.on("error", () => {});
  try {
    const answers: [number, string | undefined][] = [];
    for (const authority of authorities) {
      const stream = session.request({ ":path": "/", ":authority": authority });
      const [headers] = (await Promise.race([
        new Promise((resolve, reject) => {
          stream.on("response", (h) => resolve([h]));
          stream.on("error", reject);
        }),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no answer in 5 s")), 5000)),
      ])) as [http2.IncomingHttpHeaders];
      stream.resume();
      await new Promise((r) => stream.on("close", r));
      const backend = headers["x-backend"];
      answers.push([Number(headers[":status"]), typeof backend === "string" ? backend : undefined]);
    }
    return answers;
  } finally {
    session.destroy();
  }
}

describe("network-issues: 404 errors occur when multiple gateways configured with same TLS certificate", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("test.com");
  const wildcard = pki.issue("*.test.com", ["DNS:*.test.com"]);
  const backends: Backend[] = [];
  let proxy: GatewayProxy;
  let port: number;
  let twoGateways: string[];
  let oneGateway: string[];

  before(async () => {
    const service1 = await startEchoBackend("service1");
    const service2 = await startEchoBackend("service2");
    backends.push(service1, service2);
    twoGateways = [
      wildcardCertGateway("gw1", "service1.test.com", wildcard),
      wildcardCertGateway("gw2", "service2.test.com", wildcard),
      testComVirtualService("vs1", "service1.test.com", "gw1", "service1"),
      testComVirtualService("vs2", "service2.test.com", "gw2", "service2"),
    ];
    // The page's way out: one Gateway for *.test.com, both VirtualServices bound to it.
    oneGateway = [
      wildcardCertGateway("gw", "*.test.com", wildcard),
      testComVirtualService("vs1", "service1.test.com", "gw", "service1"),
      testComVirtualService("vs2", "service2.test.com", "gw", "service2"),
    ];
    const file = dir.write("applied.yaml", documents(...twoGateways));
    proxy = await startFileProxy(
      [file],
      [443],
      [
        { host: "service1", ip: "127.0.0.1", port: service1.port },
        { host: "service2", ip: "127.0.0.1", port: service2.port },
      ],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(443)!;
  });
  after(async () => {
    await proxy.close();
    for (const b of backends) await b.close();
    dir.dispose();
    pki.dispose();
  });

  it("answers 404 to service2.test.com on a connection opened for service1.test.com, and each host on its own", async () => {
    assert.deepEqual(
      await onOneHttp2Connection(port, "service1.test.com", pki.ca, [
        "service1.test.com",
        "service2.test.com",
      ]),
      [
        [200, "service1"],
        [404, undefined],
      ],
    );
    assert.deepEqual(await onOneHttp2Connection(port, "service2.test.com", pki.ca, ["service2.test.com"]), [
      [200, "service2"],
    ]);
  });

  it("is reported by istio-gateway analyze as istioctl analyze reports it (IST0138)", () => {
    const reuse = "on the same workloads, so clients reusing an HTTP/2 connection may get 404s";
    assert.deepEqual(analyze(...twoGateways), [
      `IST0138 Gateway/gw1 spec.servers[0].tls.serverCertificate: is also used by Gateway default/gw2 ${reuse} (got ${JSON.stringify(wildcard.certPath)})`,
      `IST0138 Gateway/gw2 spec.servers[0].tls.serverCertificate: is also used by Gateway default/gw1 ${reuse} (got ${JSON.stringify(wildcard.certPath)})`,
    ]);
  });

  it("serves both hosts on the reused connection with one wildcard Gateway", async () => {
    dir.write("applied.yaml", documents(...oneGateway));
    assert.equal(await proxy.reload(), true);
    assert.deepEqual(
      await onOneHttp2Connection(port, "service1.test.com", pki.ca, [
        "service1.test.com",
        "service2.test.com",
      ]),
      [
        [200, "service1"],
        [200, "service2"],
      ],
    );
    assert.deepEqual(analyze(...oneGateway), []);
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Configuring SNI routing when not sending SNI". The page shows the server only;
// here it is a Gateway's, with the `tls` a terminating server needs (the certificate of
// app.example.com), and a VirtualService routing the host to httpbin.

/** A Gateway whose HTTPS server is the page's, with `hosts` as given. */
function sniGateway(hosts: string, cert: Issued): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "${hosts}"
    tls:
      mode: SIMPLE
      serverCertificate: ${cert.certPath}
      privateKey: ${cert.keyPath}
`;
}

const APP_EXAMPLE_COM = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: app
spec:
  hosts:
  - app.example.com
  gateways:
  - gateway
  http:
  - route:
    - destination:
        host: httpbin
        port:
          number: 8000
`;

describe("network-issues: configuring SNI routing when not sending SNI", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const cert = pki.issue("app.example.com", ["DNS:app.example.com"]);
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    const file = dir.write("applied.yaml", documents(sniGateway("*.example.com", cert), APP_EXAMPLE_COM));
    proxy = await startFileProxy(
      [file],
      [443],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(443)!;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  /** `curl 1.2.3.4 -H "Host: app.example.com"` over HTTPS: an address in the URL, so no SNI. */
  const withoutSni = () => curl(["-k", "-H", "Host: app.example.com", `https://127.0.0.1:${port}/get`]);

  it('hosts "*.example.com": a client that sends no SNI fails, one using --resolve is served', async () => {
    await assert.rejects(withoutSni(), /curl: \(35\) .*(SSL_ERROR_SYSCALL|Connection reset)/);
    const r = await curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `app.example.com:${port}:127.0.0.1`,
      `https://app.example.com:${port}/get`,
    ]);
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "httpbin"]);
    assert.equal(httpbin.hits.count, 1);
  });

  it('hosts "*" disables SNI matching: the same client without SNI is served', async () => {
    dir.write("applied.yaml", documents(sniGateway("*", cert), APP_EXAMPLE_COM));
    assert.equal(await proxy.reload(), true);
    const r = await withoutSni();
    assert.deepEqual(
      [r.status, r.headers["x-backend"], (JSON.parse(r.body) as Echo).url],
      [200, "httpbin", "/get"],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Port conflict when configuring multiple TLS hosts in a gateway" (in older
// versions of the page; the current one dropped it). The page's two Gateways, their certificate files
// made at test time; the page shows no VirtualService, so one routes both hosts to httpbin.

/** The page's Gateway `name` for `host`, its HTTPS port named `portName`. */
function myhostGateway(name: string, portName: string, host: string, cert: Issued): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: ${name}
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: ${portName}
      protocol: HTTPS
    tls:
      mode: SIMPLE
      serverCertificate: ${cert.certPath}
      privateKey: ${cert.keyPath}
    hosts:
    - "${host}"
`;
}

const MYHOSTS = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: myhosts
spec:
  hosts:
  - myhost.com
  - myhost2.com
  gateways:
  - mygateway
  - mygateway2
  http:
  - route:
    - destination:
        host: httpbin
        port:
          number: 8000
`;

describe("network-issues: port conflict when configuring multiple TLS hosts in a gateway", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("myhost-ca");
  // The one certificate both Gateways mount, for both hosts.
  const cert = pki.issue("myhost.com", ["DNS:myhost.com", "DNS:myhost2.com"]);
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;
  let sameNames: string[];
  let uniqueNames: string[];

  const get = (host: string) =>
    curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      `https://${host}:${port}/status/200`,
    ]);

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    sameNames = [
      myhostGateway("mygateway", "https", "myhost.com", cert),
      myhostGateway("mygateway2", "https", "myhost2.com", cert),
      MYHOSTS,
    ];
    // The page's fix: the second port named https2.
    uniqueNames = [
      myhostGateway("mygateway", "https", "myhost.com", cert),
      myhostGateway("mygateway2", "https2", "myhost2.com", cert),
      MYHOSTS,
    ];
    const file = dir.write("applied.yaml", documents(...sameNames));
    proxy = await startFileProxy(
      [file],
      [443],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(443)!;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  // The page's curl (35) for myhost2.com came from pilot skipping the second server ("non unique
  // port name for HTTPS port"). Istio has since named an HTTPS server's routes after its Gateway
  // too (https.443.https.mygateway2.default), so two Gateways may both name their port https, and
  // pilot serves both: the proxy follows today's Istio.
  it("serves both hosts although both Gateways name their port https, as Istio does today", async () => {
    for (const host of ["myhost.com", "myhost2.com"]) {
      const r = await get(host);
      assert.deepEqual([r.status, r.headers["x-backend"]], [200, "httpbin"], host);
    }
  });

  it("serves both hosts with the page's fix, the second port named https2", async () => {
    dir.write("applied.yaml", documents(...uniqueNames));
    assert.equal(await proxy.reload(), true);
    for (const host of ["myhost.com", "myhost2.com"]) {
      const r = await get(host);
      assert.deepEqual([r.status, r.headers["x-backend"]], [200, "httpbin"], host);
    }
  });

  it("istio-gateway analyze reports the shared certificate (IST0138) either way, and no port conflict", () => {
    const reuse = "on the same workloads, so clients reusing an HTTP/2 connection may get 404s";
    const expected = [
      `IST0138 Gateway/mygateway spec.servers[0].tls.serverCertificate: is also used by Gateway default/mygateway2 ${reuse} (got ${JSON.stringify(cert.certPath)})`,
      `IST0138 Gateway/mygateway2 spec.servers[0].tls.serverCertificate: is also used by Gateway default/mygateway ${reuse} (got ${JSON.stringify(cert.certPath)})`,
    ];
    assert.deepEqual(analyze(...sameNames), expected);
    assert.deepEqual(analyze(...uniqueNames), expected);
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Gateway to virtual service TLS mismatch": each Gateway and VirtualService as
// the page shows them; httpbin.org goes to a loopback backend, and sds-credential holds a
// certificate for *.example.com.

const TERMINATING_GATEWAY = `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
      - "*"
    tls:
      mode: SIMPLE
      credentialName: sds-credential
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  tls:
  - match:
    - sniHosts:
      - "*.example.com"
    route:
    - destination:
        host: httpbin.org
`;

// The page's fix, `http` routing in place of `tls`, as it shows it; its fragment (`...`) completed
// with the route the `tls` rule had.
const TERMINATING_FIX = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  http:
  - match:
    - headers:
        ":authority":
          regex: "*.example.com"
    route:
    - destination:
        host: httpbin.org
`;

const PASSTHROUGH_GATEWAY = `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - hosts:
    - "*"
    port:
      name: https
      number: 443
      protocol: HTTPS
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: virtual-service
spec:
  gateways:
  - gateway
  hosts:
  - httpbin.example.com
  http:
  - route:
    - destination:
        host: httpbin.org
`;

/**
 * A loopback port that pipes each connection to the port `choose` picks from the connection's first
 * bytes: two servers behind one address, as one destination port of the pages' YAML reaches them.
 */
async function startFirstBytesSwitch(
  choose: (first: Buffer) => number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server = net.createServer((socket) => {
    track(socket);
    socket.once("data", (first: Buffer) => {
      const inner = net.connect(choose(first), "127.0.0.1");
      track(inner);
      inner.write(first);
      socket.pipe(inner).pipe(socket);
      socket.on("close", () => inner.destroy());
      inner.on("close", () => socket.destroy());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * httpbin.org as the page's rules reach it: HTTPS and plain HTTP on one port, answering as the echo
 * does, `x-backend: httpbin-tls` over TLS and `httpbin` without (a TLS handshake opens with 0x16).
 */
async function startHttpbinOrg(cert: Issued): Promise<Backend> {
  const hits = { count: 0 };
  const answer = (name: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits.count++;
    const body = JSON.stringify({
      name,
      method: req.method,
      url: req.url,
      headers: req.headers,
      bodyLength: 0,
    });
    res.writeHead(200, { "x-backend": name, "content-type": "application/json" });
    res.end(body);
  };
  const plain = await listenOnLoopback(http.createServer(answer("httpbin")));
  const secure = await listenOnLoopback(
    https.createServer({ cert: cert.cert, key: cert.key }, answer("httpbin-tls")),
  );
  const front = await startFirstBytesSwitch((first) => (first[0] === 0x16 ? secure.port : plain.port));
  return {
    port: front.port,
    hits,
    close: async () => {
      await front.close();
      await plain.close();
      await secure.close();
    },
  };
}

describe("network-issues: gateway to virtual service TLS mismatch", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const cert = pki.issue("*.example.com", ["DNS:*.example.com"]);
  const access: Record<string, unknown>[] = [];
  const logs: string[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;
  let secret: string;

  const get = (path: string) =>
    curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      `https://httpbin.example.com:${port}${path}`,
    ]);

  async function apply(...docs: string[]): Promise<void> {
    dir.write("applied.yaml", documents(secret, ...docs));
    assert.equal(await proxy.reload(), true, logs.join("\n"));
    // A port that lost its listener gets a new free one when it is listened on again.
    port = proxy.boundPorts().get(443) ?? 0;
  }

  before(async () => {
    httpbin = await startHttpbinOrg(cert);
    secret = tlsSecret("sds-credential", cert.cert, cert.key);
    const file = dir.write("applied.yaml", documents(secret, TERMINATING_GATEWAY));
    proxy = await startFileProxy(
      [file],
      [443],
      [{ host: "httpbin.org", ip: "127.0.0.1", port: httpbin.port }],
      logs,
      jsonLinesSink(access),
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(443)!;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  it("TLS terminated, tls routes: every request gets 404, as no http route exists", async () => {
    const r = await get("/terminated");
    assert.deepEqual(
      [r.httpVersion, r.status, r.headers["x-igw-error-code"]],
      ["2", 404, "IGW_ERR_NO_ROUTE"],
    );
    const line = await loggedLine(access, "/terminated");
    assert.deepEqual([line["response_flags"], line["route_name"]], ["NR", null]);
    assert.equal(httpbin.hits.count, 0);
  });

  it("TLS terminated, tls routes: istio-gateway analyze says the tls rule does not apply there", () => {
    assert.deepEqual(analyze(secret, TERMINATING_GATEWAY), [
      'IGW4011 VirtualService/httpbin spec.tls: do not apply on server spec.servers[0] of Gateway istio-system/gateway, which routes only http rules (got protocol "HTTPS", tls.mode "SIMPLE")',
    ]);
  });

  it("TLS terminated: the page's http fix is refused as written, its :authority regex not being RE2", async () => {
    // Istio's webhook compiles the regex with Go's regexp too, and refuses "*.example.com" alike.
    const gateway = TERMINATING_GATEWAY.split("---\n")[0]!;
    assert.deepEqual(analyze(secret, gateway, TERMINATING_FIX), [
      'IST0106 VirtualService/httpbin spec.http[0].match[0].headers[":authority"].regex: must be a valid RE2 regular expression: missing argument to repetition operator in "*" (got "*.example.com")',
    ]);
    dir.write("applied.yaml", documents(secret, gateway, TERMINATING_FIX));
    assert.equal(await proxy.reload(), false);
    // Written as the RE2 it means, the fix routes every *.example.com request to httpbin.org.
    await apply(gateway, TERMINATING_FIX.replace('regex: "*.example.com"', "regex: '.*\\.example\\.com'"));
    // As a client of port 443 sends it, the authority without a port, which the regex does not take.
    const r = await curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      "-H",
      "Host: httpbin.example.com",
      `https://httpbin.example.com:${port}/fixed`,
    ]);
    assert.deepEqual(
      [r.status, r.headers["x-backend"], (JSON.parse(r.body) as Echo).url],
      [200, "httpbin", "/fixed"],
    );
  });

  it("TLS passthrough, http routes: no effect; the port gets no listener, as Istio omits one without chains", async () => {
    await apply(PASSTHROUGH_GATEWAY);
    await assert.rejects(get("/passthrough"), /curl: \(7\) Failed to connect/);
    assert.deepEqual(analyze(PASSTHROUGH_GATEWAY), [
      'IGW4010 VirtualService/virtual-service spec.http: do not apply on server spec.servers[0] of Gateway default/gateway, which passes TLS through and routes only tls rules (got protocol "HTTPS", tls.mode "PASSTHROUGH")',
    ]);
  });

  it("TLS passthrough: the page's fixes, tls routing to httpbin.org's own TLS, or terminating at the gateway", async () => {
    // The page's tls rule in place of the http one.
    const tlsRule = PASSTHROUGH_GATEWAY.replace(
      / {2}http:\n[\s\S]*$/,
      `  tls:
  - match:
    - sniHosts: ["httpbin.example.com"]
    route:
    - destination:
        host: httpbin.org
`,
    );
    await apply(tlsRule);
    const passed = await get("/through");
    // httpbin.org's own server answered: its certificate verified, and the gateway added nothing.
    assert.deepEqual(
      [passed.status, passed.headers["x-backend"], passed.headers["x-envoy-upstream-service-time"]],
      [200, "httpbin-tls", undefined],
    );
    // Or the Gateway terminates TLS (the page's tls block), and the http rule applies.
    const terminating = PASSTHROUGH_GATEWAY.replace(
      "    tls:\n      mode: PASSTHROUGH\n",
      "    tls:\n      credentialName: sds-credential\n      mode: SIMPLE\n",
    );
    await apply(terminating);
    const r = await get("/terminated-here");
    assert.deepEqual(
      [r.status, r.headers["x-backend"], r.headers["server"]],
      [200, "httpbin", "istio-envoy"],
    );
    assert.deepEqual(analyze(secret, terminating), []);
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Virtual service with fault injection and retry/timeout policies not working as
// expected": the page's VirtualService, bound to the helloworld sample's helloworld-gateway.

// samples/helloworld/helloworld-gateway.yaml, its Gateway.
const HELLOWORLD_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: helloworld-gateway
spec:
  selector:
    istio: ingressgateway # use istio default controller
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
`;

const HELLOWORLD_FAULT_AND_RETRIES = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts:
    - "*"
  gateways:
  - helloworld-gateway
  http:
  - match:
    - uri:
        exact: /hello
    fault:
      abort:
        httpStatus: 500
        percentage:
          value: 50
    retries:
      attempts: 5
      retryOn: 5xx
    route:
    - destination:
        host: helloworld
        port:
          number: 5000
`;

describe("network-issues: fault injection and retries in one VirtualService", () => {
  const dir = new ConfigDir();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let helloworld: Backend;
  let proxy: GatewayProxy;

  before(async () => {
    helloworld = await startEchoBackend("helloworld");
    const file = dir.write("helloworld.yaml", documents(HELLOWORLD_GATEWAY, HELLOWORLD_FAULT_AND_RETRIES));
    proxy = await startFileProxy(
      [file],
      [80],
      [{ host: "helloworld", ip: "127.0.0.1", port: helloworld.port }],
    );
  });
  after(async () => {
    agent.destroy();
    await proxy.close();
    await helloworld.close();
    dir.dispose();
  });

  it("fails about half the requests: the aborts are not retried", async () => {
    const n = 400;
    const answers: CurlResponse[] = [];
    for (let i = 0; i < n; i++)
      answers.push(await request(`http://127.0.0.1:${proxy.boundPorts().get(80)!}/hello`, {}, agent));
    const counts = tally(answers);
    // Each request that was not aborted reached helloworld once; no abort was tried again.
    assert.deepEqual(Object.keys(counts).sort(), ["500", "helloworld"]);
    assert.equal(counts["helloworld"], helloworld.hits.count);
    assert.deepEqual(
      [...new Set(answers.filter((r) => r.status === 500).map((r) => r.body))],
      ["fault filter abort"],
    );
    // Five standard deviations of the binomial: a correct 50% fails this once in a million runs,
    // and retried aborts (1 in 64 failing after five retries) fail it every time.
    assert.ok(Math.abs(counts["500"]! - n / 2) <= Math.ceil(5 * Math.sqrt(n / 4)), JSON.stringify(counts));
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Sending HTTPS to an HTTP port" and "Envoy won't connect to my HTTP/1.0
// service", at a gateway: its HTTP server (samples/httpbin/httpbin-gateway.yaml) is what the
// client reaches, and it answers as the page says Envoy answers.

describe("network-issues: HTTPS, and HTTP/1.0, sent to a gateway's HTTP port", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    const file = dir.write("httpbin-gateway.yaml", sample("httpbin-gateway.yaml"));
    proxy = await startFileProxy(
      [file],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      jsonLinesSink(access),
    );
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("curl https:// fails with (35) wrong version number, logged 400 DPE", async () => {
    await assert.rejects(curl([`https://127.0.0.1:${port}/`]), /curl: \(35\) .*wrong version number/);
    const line = await loggedLineWhere(access, (l) => l["response_code"] === 400, "the TLS handshake");
    assert.deepEqual([line["response_flags"], line["method"], line["path"]], ["DPE", null, null]);
    assert.equal(httpbin.hits.count, 0);
  });

  it("answers an HTTP/1.0 client (nginx's default proxy_http_version) 426, and HTTP/1.1 200", async () => {
    const old = await curl(["--http1.0", `http://127.0.0.1:${port}/get`]);
    assert.deepEqual([old.status, old.headers["server"]], [426, "istio-envoy"]);
    const r = await curl(["--http1.1", `http://127.0.0.1:${port}/get`]);
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "httpbin"]);
  });
});

// ---------------------------------------------------------------------------------------------
// tls-configuration, "Gateways", Outbound: "if the Gateway is configured with TLS PASSTHROUGH while
// the DestinationRule configures TLS origination, you will end up with double encryption. This
// works, but is often not the desired behavior." The passthrough Gateway and its tls rule are the
// network-issues page's (its "Gateway with TLS passthrough" and the tls fix); the ServiceEntry and
// DestinationRule are its "Double TLS" ones, with the test CA as caCertificates so that
// httpbin.org's certificate verifies.

/**
 * httpbin.org behind double encryption: it terminates the gateway's TLS (its own certificate
 * `outer`), then, inside it, the client's TLS (`inner`, the certificate of the host the client
 * asked for), and answers the HTTP request within, as `x-backend: httpbin-double-tls`.
 */
async function startDoubleTlsHttpbin(outer: Issued, inner: Issued): Promise<Backend> {
  const hits = { count: 0 };
  const app = http.createServer((req, res) => {
    hits.count++;
    res.writeHead(200, { "x-backend": "httpbin-double-tls", "content-type": "text/plain" });
    res.end(`${req.url}\n`);
  });
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: outer.cert, key: outer.key }, (outerSocket) => {
    sockets.add(outerSocket);
    outerSocket.on("close", () => sockets.delete(outerSocket));
    outerSocket.on("error", () => outerSocket.destroy());
    const innerSocket = new tls.TLSSocket(outerSocket, { isServer: true, cert: inner.cert, key: inner.key });
    innerSocket.on("error", () => outerSocket.destroy());
    innerSocket.on("secure", () => app.emit("connection", innerSocket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe("tls-configuration: PASSTHROUGH at the gateway and TLS origination: double encryption", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const outer = pki.issue("httpbin.org", ["DNS:httpbin.org"]);
  const inner = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  let httpbin: Backend;
  let proxy: GatewayProxy;

  const ORIGINATE_TLS = `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: originate-tls
spec:
  host: httpbin.org
  trafficPolicy:
    tls:
      mode: SIMPLE
      caCertificates: ${pki.ca.certPath}
`;

  before(async () => {
    httpbin = await startDoubleTlsHttpbin(outer, inner);
    const passthrough = PASSTHROUGH_GATEWAY.replace(
      / {2}http:\n[\s\S]*$/,
      `  tls:
  - match:
    - sniHosts: ["httpbin.example.com"]
    route:
    - destination:
        host: httpbin.org
`,
    );
    const file = dir.write("applied.yaml", documents(passthrough, ORIGINATE_TLS));
    proxy = await startFileProxy(
      [file],
      [443],
      [{ host: "httpbin.org", ip: "127.0.0.1", port: httpbin.port }],
    );
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  it("works: the client's TLS reaches httpbin.org inside the gateway's, and is answered", async () => {
    const port = proxy.boundPorts().get(443)!;
    const r = await curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      `https://httpbin.example.com:${port}/double`,
    ]);
    assert.deepEqual(
      [r.status, r.headers["x-backend"], r.body, r.headers["server"]],
      [200, "httpbin-double-tls", "/double\n", undefined],
    );
    assert.equal(httpbin.hits.count, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// protocol-selection: a destination Service port's protocol, by name (`<protocol>[-<suffix>]`) or
// appProtocol, is what the gateway speaks upstream ("HTTP gateway protocol selection"): HTTP/1.1
// unless the port says http2 or grpc, or a DestinationRule sets useClientProtocol. The page's
// example Service (with the apiVersion kubectl needs), a port added for each other way the page
// names HTTP/2; the proxy reads a Service in its files as it reads one from the cluster.

const MYSERVICE = `apiVersion: v1
kind: Service
metadata:
  name: myservice
spec:
  ports:
  - port: 3306
    name: database
    appProtocol: https
  - port: 80
    name: http-web
  - port: 81
    name: http2-web
  - port: 82
    name: grpc
  - port: 83
    name: grpc-web
  - port: 84
    name: web
    appProtocol: http2
  - port: 85
    name: h2c
    appProtocol: kubernetes.io/h2c
`;

const MYSERVICE_PORTS = [3306, 80, 81, 82, 83, 84, 85] as const;

/** A Gateway for every host on port 80, and a rule per Service port: /port-<n> goes to port n. */
const MYSERVICE_ROUTES = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: myservice-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: myservice
spec:
  hosts:
  - "*"
  gateways:
  - myservice-gateway
  http:
${MYSERVICE_PORTS.map(
  (p) => `  - match:
    - uri:
        prefix: /port-${p}
    route:
    - destination:
        host: myservice
        port:
          number: ${p}
`,
).join("")}`;

// The page's useClientProtocol (ConnectionPoolSettings.HTTPSettings), for the http-web port.
const MYSERVICE_USE_CLIENT_PROTOCOL = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: myservice
spec:
  host: myservice
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 80
      connectionPool:
        http:
          useClientProtocol: true
`;

/**
 * A backend speaking HTTP/1.1 and h2c (prior knowledge) on one port, telling in `x-http-version`
 * which one a request came over: an HTTP/2 connection opens with its preface, `PRI * HTTP/2.0`.
 */
async function startVersionEcho(): Promise<Backend> {
  const hits = { count: 0 };
  const answer = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    hits.count++;
    res.writeHead(200, { "x-backend": "myservice", "x-http-version": req.httpVersion });
    res.end();
  };
  const h1 = await listenOnLoopback(http.createServer(answer));
  const h2server = http2.createServer(answer);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  h2server.listen(0, "127.0.0.1");
  await once(h2server, "listening");
  const h2port = (h2server.address() as net.AddressInfo).port;
  const front = await startFirstBytesSwitch((first) =>
    first.subarray(0, 3).toString() === "PRI" ? h2port : h1.port,
  );
  return {
    port: front.port,
    hits,
    close: async () => {
      await front.close();
      await h1.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => h2server.close(() => r()));
    },
  };
}

describe("protocol-selection: the destination port's protocol is what the gateway speaks upstream", () => {
  const dir = new ConfigDir();
  const logs: string[] = [];
  let backend: Backend;
  let proxy: GatewayProxy;

  /** The HTTP version the backend saw for a request to `/port-<port>`, sent over `client`. */
  async function upstreamVersion(
    port: number,
    client: "--http1.1" | "--http2-prior-knowledge",
  ): Promise<string> {
    const r = await curl([client, `http://127.0.0.1:${proxy.boundPorts().get(80)!}/port-${port}`]);
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "myservice"], `port ${port}`);
    return r.headers["x-http-version"]!;
  }

  before(async () => {
    backend = await startVersionEcho();
    const file = dir.write("myservice.yaml", documents(MYSERVICE, MYSERVICE_ROUTES));
    proxy = await startFileProxy(
      [file],
      [80],
      [{ host: "myservice", ip: "127.0.0.1", port: backend.port }],
      logs,
      undefined,
      { watchPaths: [] },
    );
  });
  after(async () => {
    await proxy.close();
    await backend.close();
    dir.dispose();
  });

  // Port: what the backend sees from an HTTP/1.1 client and from an HTTP/2 client.
  const expected: [number, string, string][] = [
    [3306, "1.1", "1.1"], // appProtocol https: TLS for sidecars, HTTP/1.1 from a gateway's route
    [80, "1.1", "1.1"], // http-web
    [81, "2.0", "2.0"], // http2-web
    [82, "2.0", "2.0"], // grpc
    [83, "2.0", "2.0"], // grpc-web
    [84, "2.0", "2.0"], // appProtocol http2
    [85, "2.0", "2.0"], // appProtocol kubernetes.io/h2c
  ];
  for (const [port, fromHttp1, fromHttp2] of expected) {
    it(`port ${port}: HTTP/${fromHttp1} upstream for HTTP/1.1 clients, HTTP/${fromHttp2} for HTTP/2 clients`, async () => {
      assert.deepEqual(
        [await upstreamVersion(port, "--http1.1"), await upstreamVersion(port, "--http2-prior-knowledge")],
        [fromHttp1, fromHttp2],
      );
    });
  }

  it("useClientProtocol on the http-web port: each client's own protocol goes upstream", async () => {
    dir.write("myservice.yaml", documents(MYSERVICE, MYSERVICE_ROUTES, MYSERVICE_USE_CLIENT_PROTOCOL));
    assert.equal(await proxy.reload(), true, logs.join("\n"));
    assert.deepEqual(
      [await upstreamVersion(80, "--http1.1"), await upstreamVersion(80, "--http2-prior-knowledge")],
      ["1.1", "2.0"],
    );
    // The other ports keep theirs.
    assert.deepEqual(
      [await upstreamVersion(81, "--http1.1"), await upstreamVersion(3306, "--http2-prior-knowledge")],
      ["2.0", "1.1"],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// network-topologies, "Example using X-Forwarded-For capability with httpbin": numTrustedProxies 2
// (the IstioOperator's gatewayTopology, here the proxy's option), the httpbin sample's Gateway
// applied in namespace httpbin, and the page's curl.

describe("network-topologies: X-Forwarded-For with httpbin, numTrustedProxies: 2", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    // kubectl apply -n httpbin -f samples/httpbin/httpbin-gateway.yaml
    const file = dir.write(
      "httpbin-gateway.yaml",
      sample("httpbin-gateway.yaml").replace(/^metadata:\n/gm, "metadata:\n  namespace: httpbin\n"),
    );
    proxy = await startFileProxy(
      [file],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      jsonLinesSink(access),
      { numTrustedProxies: 2 },
    );
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("sets X-Envoy-External-Address to the second address from the right, and appends the peer to X-Forwarded-For", async () => {
    const gatewayUrl = `127.0.0.1:${proxy.boundPorts().get(80)!}`;
    const r = await curl([
      "-s",
      "-H",
      "X-Forwarded-For: 56.5.6.7, 72.9.5.6, 98.1.2.3",
      `${gatewayUrl}/get?show_env=true`,
    ]);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual(
      [r.status, echo.url, echo.headers["x-envoy-external-address"], echo.headers["x-forwarded-for"]],
      [200, "/get?show_env=true", "72.9.5.6", "56.5.6.7, 72.9.5.6, 98.1.2.3,127.0.0.1"],
    );
    // The access log reads the request's headers as the gateway forwarded them, as Envoy's does.
    const line = await loggedLine(access, "/get?show_env=true");
    assert.deepEqual(
      [line["x_forwarded_for"], line["downstream_remote_address"], line["upstream_cluster"]],
      [
        "56.5.6.7, 72.9.5.6, 98.1.2.3,127.0.0.1",
        "72.9.5.6:0",
        "outbound|8000||httpbin.httpbin.svc.cluster.local",
      ],
    );
  });
});

// network-topologies, "Configuring X-Forwarded-Client-Cert Headers": the page's table, for the
// values tls.test.ts does not already follow on sockets (SANITIZE_SET and APPEND_FORWARD are there).
// An OPTIONAL_MUTUAL server takes a client with a certificate (an mTLS connection) and one without.

const XFCC_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: OPTIONAL_MUTUAL
      credentialName: httpbin-credential
    hosts:
    - httpbin.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.example.com
  gateways:
  - mygateway
  http:
  - route:
    - destination:
        host: httpbin
        port:
          number: 8000
`;

describe("network-topologies: forwardClientCertDetails", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const server = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const client = pki.issue("client.example.com", ["DNS:client.example.com"], "client");
  const forwarded = "By=spiffe://cluster.local/ns/edge/sa/lb;Hash=00";
  const proxies = new Map<string, GatewayProxy>();
  let httpbin: Backend;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    const file = dir.write(
      "xfcc.yaml",
      documents(
        XFCC_GATEWAY,
        genericSecret("httpbin-credential", {
          "tls.crt": server.cert,
          "tls.key": server.key,
          "ca.crt": pki.ca.cert,
        }),
      ),
    );
    for (const mode of ["SANITIZE", "FORWARD_ONLY", "ALWAYS_FORWARD_ONLY"] as const)
      proxies.set(
        mode,
        await startFileProxy(
          [file],
          [443],
          [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
          [],
          undefined,
          { forwardClientCertDetails: mode },
        ),
      );
  });
  after(async () => {
    for (const p of proxies.values()) await p.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  /** What httpbin sees in x-forwarded-client-cert, the client's header having been `forwarded`. */
  async function seen(mode: string, mtls: boolean): Promise<string | undefined> {
    const port = proxies.get(mode)!.boundPorts().get(443)!;
    const r = await curl([
      ...(mtls ? ["--cert", client.certPath, "--key", client.keyPath] : []),
      "-H",
      `X-Forwarded-Client-Cert: ${forwarded}`,
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      `https://httpbin.example.com:${port}/headers`,
    ]);
    assert.equal(r.status, 200);
    const value = (JSON.parse(r.body) as Echo).headers["x-forwarded-client-cert"];
    return typeof value === "string" ? value : undefined;
  }

  // ENUM_VALUE: what reaches httpbin over an mTLS connection, and over one without a certificate.
  const table: [string, string | undefined, string | undefined][] = [
    ["SANITIZE", undefined, undefined], // "Do not send the XFCC header to the next hop."
    ["FORWARD_ONLY", forwarded, undefined], // "When the client connection is mTLS, forward the XFCC header"
    ["ALWAYS_FORWARD_ONLY", forwarded, forwarded], // "Always forward the XFCC header ... regardless"
  ];
  for (const [mode, overMtls, withoutCertificate] of table) {
    it(`${mode}: ${JSON.stringify(overMtls)} over mTLS, ${JSON.stringify(withoutCertificate)} without`, async () => {
      assert.deepEqual([await seen(mode, true), await seen(mode, false)], [overMtls, withoutCertificate]);
    });
  }
});

// protocol-selection's table, "Gateway Purpose": `mongo`, `mysql` and `redis` are "treated as
// opaque TCP data stream" unless pilot's experimental filters are enabled (they are not by
// default). Gateway servers of each, with the TCP rule the tcp-echo task writes.

describe("protocol-selection: MONGO, MYSQL and REDIS servers are opaque TCP at the gateway", () => {
  const dir = new ConfigDir();
  const protocols = ["MONGO", "MYSQL", "REDIS"] as const;
  const ports = { MONGO: 27017, MYSQL: 3306, REDIS: 6379 } as const;
  let echo: Backend;
  let proxy: GatewayProxy;
  let yaml: string;

  before(async () => {
    echo = await startTcpEcho("hello ");
    yaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tcp-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
${protocols
  .map(
    (p) => `  - port:
      number: ${ports[p]}
      name: ${p.toLowerCase()}
      protocol: ${p}
    hosts:
    - "*"
`,
  )
  .join("")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: tcp-echo
spec:
  hosts:
  - "*"
  gateways:
  - tcp-gateway
  tcp:
  - route:
    - destination:
        host: tcp-echo
        port:
          number: 9000
`;
    const file = dir.write("tcp.yaml", yaml);
    proxy = await startFileProxy(
      [file],
      protocols.map((p) => ports[p]),
      [{ host: "tcp-echo", ip: "127.0.0.1", port: echo.port }],
    );
  });
  after(async () => {
    await proxy.close();
    await echo.close();
    dir.dispose();
  });

  for (const p of protocols) {
    it(`${p}: the bytes go through untouched`, async () => {
      const socket = net.connect(proxy.boundPorts().get(ports[p])!, "127.0.0.1");
      try {
        socket.end(`${p.toLowerCase()}\n`);
        let got = "";
        for await (const chunk of socket) got += String(chunk);
        assert.equal(got, `hello ${p.toLowerCase()}\n`);
      } finally {
        socket.destroy();
      }
    });
  }

  it("istio-gateway analyze finds nothing to report", () => {
    assert.deepEqual(analyze(yaml), []);
  });
});

// protocol-selection, "HTTP gateway protocol selection": useClientProtocol "can be risky because
// HTTPS gateways always advertise support for HTTP/1.1 and HTTP/2", so a client picks HTTP/2 by
// ALPN and the gateway then speaks HTTP/2 to a backend that only knows HTTP/1.1. The secure-ingress
// task's Gateway and VirtualService, with the DestinationRule setting useClientProtocol.

describe("protocol-selection: useClientProtocol behind an HTTPS gateway, to an HTTP/1.1-only backend", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const cert = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const access: Record<string, unknown>[] = [];
  let httpbin: Backend;
  let proxy: GatewayProxy;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    const file = dir.write(
      "secure.yaml",
      documents(
        tlsSecret("httpbin-credential", cert.cert, cert.key),
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: httpbin-credential # must be the same as secret
    hosts:
    - httpbin.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        prefix: /status
    - uri:
        prefix: /delay
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      http:
        useClientProtocol: true
`,
      ),
    );
    proxy = await startFileProxy(
      [file],
      [443],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      jsonLinesSink(access),
    );
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
  });

  const get = (path: string, args: string[] = []) => {
    const port = proxy.boundPorts().get(443)!;
    return curl([
      ...args,
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `httpbin.example.com:${port}:127.0.0.1`,
      `https://httpbin.example.com:${port}${path}`,
    ]);
  };

  it("a client choosing HTTP/2 by ALPN fails: the backend cannot read HTTP/2", async () => {
    const r = await get("/status/200");
    // Envoy's codec finds no HTTP/2 in the answer: the stream is reset with a protocol error,
    // which its router answers 502 (UPE), not retried by Istio's default policy.
    assert.deepEqual(
      [r.httpVersion, r.status, r.headers["x-igw-error-code"], r.body],
      [
        "2",
        502,
        "IGW_ERR_UPSTREAM_PROTOCOL",
        "upstream connect error or disconnect/reset before headers. reset reason: protocol error",
      ],
    );
    const line = await loggedLine(access, "/status/200");
    assert.deepEqual(
      [line["response_flags"], line["upstream_cluster"]],
      ["UPE", "outbound|8000||httpbin.default.svc.cluster.local"],
    );
    assert.equal(httpbin.hits.count, 0);
  });

  it("a client choosing HTTP/1.1 is served", async () => {
    const r = await get("/status/418", ["--http1.1"]);
    assert.deepEqual([r.httpVersion, r.status, r.headers["x-backend"]], ["1.1", 418, "httpbin"]);
  });
});

// ---------------------------------------------------------------------------------------------
// tls-configuration, "Gateways", Inbound, "Should mutual TLS be used?": MUTUAL with the CA given
// as caCertificates (a file, where the secure-ingress task uses a credentialName Secret). The
// page's server, completed with the server's certificate files and its host.

describe("tls-configuration: MUTUAL with caCertificates at the gateway", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const other = new TestPki("another-ca");
  const server = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const client = pki.issue("client.example.com", ["DNS:client.example.com"], "client");
  const stranger = other.issue("client.example.com", ["DNS:client.example.com"], "client");
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    const file = dir.write(
      "mutual.yaml",
      `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: MUTUAL
      caCertificates: ${pki.ca.certPath}
      serverCertificate: ${server.certPath}
      privateKey: ${server.keyPath}
    hosts:
    - httpbin.example.com
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.example.com
  gateways:
  - mygateway
  http:
  - route:
    - destination:
        host: httpbin
        port:
          number: 8000
`,
    );
    proxy = await startFileProxy([file], [443], [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }]);
    port = proxy.boundPorts().get(443)!;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
    pki.dispose();
    other.dispose();
  });

  /** s_client's transcript for a handshake presenting `cert` (or none), asking for /status/418. */
  const handshake = (cert: Issued | undefined) =>
    sClient(
      [
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "httpbin.example.com",
        "-CAfile",
        pki.ca.certPath,
        ...(cert === undefined ? [] : ["-cert", cert.certPath, "-key", cert.keyPath]),
      ],
      {
        input: "GET /status/418 HTTP/1.1\r\nHost: httpbin.example.com\r\nConnection: close\r\n\r\n",
        keepOpen: true,
      },
    );

  it("requests a client certificate and verifies it against caCertificates: one from the CA is served", async () => {
    const out = await handshake(client);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.match(out, /HTTP\/1\.1 418 I'm a Teapot\r\n/);
  });

  it("refuses a client without a certificate, and one whose certificate another CA issued", async () => {
    assert.match(await handshake(undefined), /alert certificate required/);
    // Envoy ends this one with an unknown_ca alert; node:tls verifies a client's chain only after
    // its handshake and can send no alert then, so the proxy closes the connection without one.
    const refused = await handshake(stranger);
    assert.match(refused, /Verify return code: 0 \(ok\)/);
    assert.doesNotMatch(refused, /HTTP\/1\.1/);
    assert.equal(httpbin.hits.count, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// network-issues, "Destination rule policy not activated": a subset's traffic policy applies only
// to requests routed to that subset. The page's DestinationRules and its VirtualService (bound to
// the gateway, which a mesh rule never reaches); "no route rules" is the same rule without the
// subset, since a gateway routes nothing without one. reviews v1 is a loopback echo.

const REVIEWS_SUBSET_POLICY = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
    trafficPolicy:
      connectionPool:
        tcp:
          maxConnections: 100
`;

const REVIEWS_TOP_LEVEL_POLICY = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
  subsets:
  - name: v1
    labels:
      version: v1
`;

const REVIEWS_V1 = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
`;

describe("network-issues: destination rule policy not activated", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let reviews: Backend;
  let proxy: GatewayProxy;
  let base: string[];
  const whole = "outbound|9080||reviews.default.svc.cluster.local";
  const v1 = "outbound|9080|v1|reviews.default.svc.cluster.local";
  const routed = bindToGateway(REVIEWS_V1, "istio-system/gw");
  const unrouted = routed.replace("        subset: v1\n", "");

  /**
   * The cluster a request to reviews went to (its access-log line), and that cluster's
   * `maxConnections` in /config_dump (undefined: no circuit breaker, as Envoy's defaults).
   */
  async function observe(path: string): Promise<[unknown, unknown]> {
    const r = await request(`http://127.0.0.1:${proxy.boundPorts().get(80)!}${path}`, {
      host: "reviews.default.svc.cluster.local",
    });
    assert.deepEqual([r.status, r.headers["x-backend"]], [200, "reviews-v1"]);
    const line = await loggedLine(access, path);
    const dump = JSON.parse((await curl([`http://127.0.0.1:${proxy.statusPort!}/config_dump`])).body) as {
      clusters: { name: string; circuitBreakers?: { maxConnections?: number } }[];
    };
    const cluster = dump.clusters.find((c) => c.name === line["upstream_cluster"]);
    assert.notEqual(cluster, undefined);
    return [line["upstream_cluster"], cluster?.circuitBreakers?.maxConnections];
  }

  async function apply(...docs: string[]): Promise<void> {
    dir.write("applied.yaml", documents(...base, ...docs));
    assert.equal(await proxy.reload(), true);
  }

  before(async () => {
    reviews = await startEchoBackend("reviews-v1");
    base = [httpGateway(80), serviceOfPods("reviews", 9080, [{ port: reviews.port, version: "v1" }])];
    const file = dir.write("applied.yaml", documents(...base, REVIEWS_SUBSET_POLICY, unrouted));
    proxy = await startFileProxy([file], [80], [], [], jsonLinesSink(access), { watchPaths: [] });
  });
  after(async () => {
    await proxy.close();
    await reviews.close();
    dir.dispose();
  });

  it("the subset's policy is never invoked when no rule routes to the subset", async () => {
    assert.deepEqual(await observe("/not-routed"), [whole, undefined]);
  });

  it("fix 1: the policy moved up a level applies to every request", async () => {
    await apply(REVIEWS_TOP_LEVEL_POLICY, unrouted);
    assert.deepEqual(await observe("/top-level"), [whole, 100]);
  });

  it("fix 2: a route rule to subset v1 sends requests through the subset's policy", async () => {
    await apply(REVIEWS_SUBSET_POLICY, routed);
    assert.deepEqual(await observe("/routed"), [v1, 100]);
  });
});
