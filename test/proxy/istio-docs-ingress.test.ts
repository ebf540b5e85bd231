/**
 * Istio's documented ingress tasks, end to end through the proxy: each task's own Gateway,
 * VirtualService and Secret YAML (istio/istio.io, content/en/docs/tasks/traffic-management/ingress/),
 * driven with the task's own client commands, asserting the outcomes the task shows. The only
 * adaptations: Kubernetes service names go to loopback backends (`--resolve`), and certificates are
 * made with TestPki instead of the task's openssl commands.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Backend, Echo } from "./support/backends";
import { listenOnLoopback, startEchoBackend } from "./support/backends";
import { TestPki, type Issued } from "./support/certs";
import { curl, type CurlResponse } from "./support/curl";
import {
  HTTPBIN_GATEWAY,
  HTTPBIN_VIRTUAL_SERVICE,
  MYGATEWAY_MUTUAL,
  MYGATEWAY_SIMPLE,
} from "./support/ingress-task-yaml";
import { genericSecret, tlsSecret } from "./support/istio-yaml";
import { sClient } from "./support/openssl";
import { ConfigDir, startFileProxy } from "./support/samples";

// ingress-control, snip_accessing_ingress_services_using_a_browser_1.
const HTTPBIN_ANY_HOST = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: httpbin-gateway
spec:
  selector:
    istio: ingressgateway # use Istio default gateway implementation
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*"
  gateways:
  - httpbin-gateway
  http:
  - match:
    - uri:
        prefix: /headers
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
`;

describe("Istio docs: ingress-control", () => {
  const dir = new ConfigDir();
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let ingress: string;

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    dir.write("httpbin.yaml", HTTPBIN_GATEWAY);
    // The task's objects have no namespace: kubectl puts them in default, where httpbin runs.
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  it("answers curl -I /status/200 with HTTP/1.1 200 OK and server: istio-envoy", async () => {
    const r = await curl(["-s", "-I", "-HHost:httpbin.example.com", `http://${ingress}/status/200`]);
    assert.deepEqual(
      [r.httpVersion, r.status, r.headers["server"], r.headers["x-backend"], r.body],
      ["1.1", 200, "istio-envoy", "httpbin", ""],
    );
    // Envoy's router adds the upstream's time to headers, as Istio leaves it.
    assert.match(r.headers["x-envoy-upstream-service-time"] ?? "", /^\d+$/);
  });

  it("answers 404 Not Found for /headers, a path the VirtualService does not expose", async () => {
    const r = await curl(["-s", "-I", "-HHost:httpbin.example.com", `http://${ingress}/headers`]);
    assert.deepEqual([r.httpVersion, r.status, r.headers["server"]], ["1.1", 404, "istio-envoy"]);
    assert.equal(httpbin.hits.count, 1);
  });

  it("routes /delay, the rule's other match, to httpbin too", async () => {
    const r = await curl(["-s", "-HHost:httpbin.example.com", `http://${ingress}/delay/1`]);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual([r.status, echo.name, echo.url], [200, "httpbin", "/delay/1"]);
  });

  it("answers 404 without the Host header the Gateway serves, as the task's note on -H explains", async () => {
    const r = await curl(["-s", "-I", `http://${ingress}/status/200`]);
    assert.deepEqual([r.status, r.headers["server"]], [404, "istio-envoy"]);
    assert.equal(httpbin.hits.count, 2);
  });

  it("serves /headers to any host once the Gateway and VirtualService use *, for a browser", async () => {
    dir.write("httpbin.yaml", HTTPBIN_ANY_HOST);
    assert.equal(await proxy.reload(), true);
    const r = await curl([`http://${ingress}/headers`]);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual(
      [r.status, echo.name, echo.url, echo.headers["host"]],
      [200, "httpbin", "/headers", ingress],
    );
    const gone = await curl(["-s", "-I", `http://${ingress}/status/200`]);
    assert.equal(gone.status, 404);
  });
});

// secure-ingress, snip_configure_a_tls_ingress_gateway_for_multiple_hosts_4 and _5.
const MYGATEWAY_TWO_HOSTS = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: https-httpbin
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: httpbin-credential
    hosts:
    - httpbin.example.com
  - port:
      number: 443
      name: https-helloworld
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: helloworld-credential
    hosts:
    - helloworld.example.com
`;

const HELLOWORLD_VIRTUAL_SERVICE = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts:
  - helloworld.example.com
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        exact: /hello
    route:
    - destination:
        host: helloworld
        port:
          number: 5000
`;

describe("Istio docs: secure-ingress", () => {
  const dir = new ConfigDir();
  // example_certs1 and example_certs2: two CAs named example.com, as the task makes them.
  const certs1 = new TestPki("example.com");
  const certs2 = new TestPki("example.com");
  const httpbin1 = certs1.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  const helloworld1 = certs1.issue("helloworld.example.com", ["DNS:helloworld.example.com"]);
  const client1 = certs1.issue("client.example.com", ["DNS:client.example.com"], "client");
  const httpbin2 = certs2.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  let httpbin: Backend;
  let helloworld: Backend;
  let proxy: GatewayProxy;
  let port: number;

  /** The task's `curl -v -HHost:<host> --resolve ... --cacert <ca> https://<host>:<port><path>`. */
  const secureCurl = (host: string, ca: Issued, path: string, args: string[] = []): Promise<CurlResponse> =>
    curl([
      "-v",
      `-HHost:${host}`,
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      "--cacert",
      ca.certPath,
      ...args,
      `https://${host}:${port}${path}`,
    ]);

  /** Applies `files` (name to YAML; null deletes it), as kubectl apply/delete, and reloads. */
  async function apply(files: Record<string, string | null>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      if (text === null) rmSync(join(dir.dir, name), { force: true });
      else dir.write(name, text);
    }
    assert.equal(await proxy.reload(), true);
  }

  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    helloworld = await startEchoBackend("helloworld");
    // snip_configure_a_tls_ingress_gateway_for_a_single_host_1: kubectl create secret tls.
    dir.write("httpbin-credential.yaml", tlsSecret("httpbin-credential", httpbin1.cert, httpbin1.key));
    dir.write("mygateway.yaml", MYGATEWAY_SIMPLE);
    dir.write("httpbin.yaml", HTTPBIN_VIRTUAL_SERVICE);
    proxy = await startFileProxy(
      [dir.dir],
      [443],
      [
        { host: "httpbin", ip: "127.0.0.1", port: httpbin.port },
        { host: "helloworld", ip: "127.0.0.1", port: helloworld.port },
      ],
      [],
      undefined,
      // The steps apply their changes one at a time, and reload when they are written.
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    await httpbin.close();
    await helloworld.close();
    dir.dispose();
    certs1.dispose();
    certs2.dispose();
  });

  // The single-host answer itself (snip _7) is pinned with docs-secure-ingress-simple.yaml in
  // samples.test.ts; here it is the state the task's rotation starts from.
  it("single host: the Secret recreated from example_certs2 replaces example_certs1's certificate", async () => {
    const first = await secureCurl("httpbin.example.com", certs1.ca, "/status/418");
    assert.deepEqual(
      [first.httpVersion, first.status, first.headers["x-backend"], first.headers["server"]],
      ["2", 418, "httpbin", "istio-envoy"],
    );
    // snip_configure_a_tls_ingress_gateway_for_a_single_host_8: delete, then create.
    await apply({ "httpbin-credential.yaml": null });
    await apply({
      "httpbin-credential.yaml": tlsSecret("httpbin-credential", httpbin2.cert, httpbin2.key),
    });
    const r = await secureCurl("httpbin.example.com", certs2.ca, "/status/418");
    assert.deepEqual([r.status, r.headers["x-backend"]], [418, "httpbin"]);
    await assert.rejects(
      secureCurl("httpbin.example.com", certs1.ca, "/status/418"),
      /SSL certificate problem: unable to get local issuer certificate/,
    );
  });

  describe("multiple hosts", () => {
    before(async () => {
      // snip_configure_a_tls_ingress_gateway_for_multiple_hosts_1 to _5.
      await apply({ "httpbin-credential.yaml": null });
      await apply({
        "httpbin-credential.yaml": tlsSecret("httpbin-credential", httpbin1.cert, httpbin1.key),
        "helloworld-credential.yaml": tlsSecret("helloworld-credential", helloworld1.cert, helloworld1.key),
        "mygateway.yaml": MYGATEWAY_TWO_HOSTS,
        "helloworld.yaml": HELLOWORLD_VIRTUAL_SERVICE,
      });
    });

    it("helloworld.example.com/hello: HTTP/2 200 from helloworld, with its own certificate", async () => {
      const r = await secureCurl("helloworld.example.com", certs1.ca, "/hello");
      assert.deepEqual([r.httpVersion, r.status, r.headers["x-backend"]], ["2", 200, "helloworld"]);
    });

    it("httpbin.example.com/status/418: 418 from httpbin, with its own certificate", async () => {
      const r = await secureCurl("httpbin.example.com", certs1.ca, "/status/418");
      assert.deepEqual([r.httpVersion, r.status, r.headers["x-backend"]], ["2", 418, "httpbin"]);
    });

    it("routes by the server the SNI chose: httpbin's Host over helloworld's SNI gets 404", async () => {
      // Each HTTPS server has a route configuration of its own, holding only its hosts.
      const r = await curl([
        "-HHost:httpbin.example.com",
        "--resolve",
        `helloworld.example.com:${port}:127.0.0.1`,
        "--cacert",
        certs1.ca.certPath,
        `https://helloworld.example.com:${port}/status/418`,
      ]);
      assert.equal(r.status, 404);
    });

    it("fails the handshake of a client sending no SNI, as the task's SNI routing note warns", async () => {
      // An address in the URL: curl sends no SNI, and no filter chain takes the connection.
      await assert.rejects(
        curl(["-k", "-HHost:httpbin.example.com", `https://127.0.0.1:${port}/status/418`]),
        /SSL_ERROR_SYSCALL|Connection reset/,
      );
    });
  });

  describe("mutual TLS", () => {
    /**
     * The task's curl without --cert fails. How it reports it depends on timing: a TLS 1.3 client
     * sends its request before it reads the server's verdict, and on loopback the alert and the
     * close can come before that write (55, a send failure) as well as after it (56, the alert
     * read). s_client, which sends nothing, reads the alert the task shows every time.
     */
    async function refusesWithoutCertificate(): Promise<void> {
      await assert.rejects(secureCurl("httpbin.example.com", certs1.ca, "/status/418"), /curl: \((55|56)\) /);
      const out = await sClient(
        [
          "-connect",
          `127.0.0.1:${port}`,
          "-servername",
          "httpbin.example.com",
          "-CAfile",
          certs1.ca.certPath,
        ],
        { keepOpen: true },
      );
      assert.match(out, /tlsv13 alert certificate required/);
      assert.match(out, /Verify return code: 0 \(ok\)/);
    }

    before(async () => {
      // snip_configure_a_mutual_tls_ingress_gateway_1 and _2: a generic Secret with ca.crt.
      await apply({ "httpbin-credential.yaml": null, "helloworld-credential.yaml": null });
      await apply({
        "httpbin-credential.yaml": genericSecret("httpbin-credential", {
          "tls.key": httpbin1.key,
          "tls.crt": httpbin1.cert,
          "ca.crt": certs1.ca.cert,
        }),
        "mygateway.yaml": MYGATEWAY_MUTUAL,
      });
    });

    it("refuses a client without a certificate: alert certificate required", async () => {
      await refusesWithoutCertificate();
    });

    it("serves a client presenting client.example.com: 418 from httpbin", async () => {
      const r = await secureCurl("httpbin.example.com", certs1.ca, "/status/418", [
        "--cert",
        client1.certPath,
        "--key",
        client1.keyPath,
      ]);
      assert.deepEqual([r.status, r.headers["x-backend"]], [418, "httpbin"]);
    });

    // The task's "Key formats": the CA as cacert beside key and cert, or in <name>-cacert.
    const formats: [string, Record<string, string>][] = [
      [
        "a generic Secret with key, cert and cacert",
        {
          "httpbin-credential.yaml": genericSecret("httpbin-credential", {
            key: httpbin1.key,
            cert: httpbin1.cert,
            cacert: certs1.ca.cert,
          }),
        },
      ],
      [
        "key and cert, with cacert in a separate httpbin-credential-cacert Secret",
        {
          "httpbin-credential.yaml": genericSecret("httpbin-credential", {
            key: httpbin1.key,
            cert: httpbin1.cert,
          }),
          "httpbin-credential-cacert.yaml": genericSecret("httpbin-credential-cacert", {
            cacert: certs1.ca.cert,
          }),
        },
      ],
    ];
    for (const [name, files] of formats) {
      it(`takes ${name}`, async () => {
        await apply(files);
        const r = await secureCurl("httpbin.example.com", certs1.ca, "/status/418", [
          "--cert",
          client1.certPath,
          "--key",
          client1.keyPath,
        ]);
        assert.deepEqual([r.status, r.headers["x-backend"]], [418, "httpbin"]);
        await refusesWithoutCertificate();
      });
    }
  });
});

// ingress-sni-passthrough, snip_deploy_an_nginx_server_4 (the Service; the Deployment is skipped).
const MY_NGINX = `apiVersion: v1
kind: Service
metadata:
  name: my-nginx
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
spec:
  selector:
    matchLabels:
      run: my-nginx
  replicas: 1
  template:
    metadata:
      labels:
        run: my-nginx
        sidecar.istio.io/inject: "true"
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
      volumes:
      - name: nginx-config
        configMap:
          name: nginx-configmap
      - name: nginx-server-certs
        secret:
          secretName: nginx-server-certs
`;

// ingress-sni-passthrough, snip_configure_an_ingress_gateway_1 and _3.
const NGINX_PASSTHROUGH = `apiVersion: networking.istio.io/v1alpha3
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
      mode: PASSTHROUGH
    hosts:
    - nginx.example.com
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts:
  - nginx.example.com
  gateways:
  - mygateway
  tls:
  - match:
    - port: 443
      sniHosts:
      - nginx.example.com
    route:
    - destination:
        host: my-nginx
        port:
          number: 443
`;

/** A stand-in for the task's nginx: terminates TLS itself and answers its welcome page. */
async function startNginx(cert: Issued): Promise<Backend> {
  const hits = { count: 0 };
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => {
    hits.count++;
    const body = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n</html>\n";
    res.writeHead(200, { server: "nginx/1.27.0", "content-type": "text/html" });
    res.end(body);
  });
  return { ...(await listenOnLoopback(server)), hits };
}

describe("Istio docs: ingress-sni-passthrough", () => {
  const dir = new ConfigDir();
  const certs = new TestPki("example.com");
  const nginxCert = certs.issue(
    "nginx.example.com",
    ["DNS:nginx.example.com"],
    "server",
    "/CN=nginx.example.com/O=some organization",
  );
  let nginx: Backend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    nginx = await startNginx(nginxCert);
    dir.write("my-nginx.yaml", MY_NGINX);
    dir.write("nginx-passthrough.yaml", NGINX_PASSTHROUGH);
    proxy = await startFileProxy([dir.dir], [443], [{ host: "my-nginx", ip: "127.0.0.1", port: nginx.port }]);
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    await nginx.close();
    dir.dispose();
    certs.dispose();
  });

  it("curl --cacert example.com.crt https://nginx.example.com: nginx's own certificate and page", async () => {
    const r = await curl([
      "-v",
      "--resolve",
      `nginx.example.com:${port}:127.0.0.1`,
      "--cacert",
      certs.ca.certPath,
      `https://nginx.example.com:${port}`,
    ]);
    // The bytes went through untouched: nginx's Server header, none of the gateway's headers.
    assert.deepEqual(
      [r.httpVersion, r.status, r.headers["server"], r.headers["x-envoy-upstream-service-time"]],
      ["1.1", 200, "nginx/1.27.0", undefined],
    );
    assert.match(r.body, /<title>Welcome to nginx!<\/title>/);
  });

  it("openssl s_client -servername nginx.example.com verifies nginx's certificate and reads its page", async () => {
    const out = await sClient(
      ["-connect", `127.0.0.1:${port}`, "-servername", "nginx.example.com", "-CAfile", certs.ca.certPath],
      { input: "GET / HTTP/1.1\r\nHost: nginx.example.com\r\nConnection: close\r\n\r\n", keepOpen: true },
    );
    assert.match(out, /subject=CN = nginx\.example\.com, O = some organization\n/);
    assert.match(out, /issuer=CN = example\.com\n/);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.match(out, /HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /<title>Welcome to nginx!<\/title>/);
  });

  for (const [name, args] of [
    ["another SNI", ["-servername", "httpbin.example.com"]],
    ["no SNI", ["-noservername"]],
  ] as const) {
    it(`closes a connection with ${name}, which no sniHosts match, before nginx sees it`, async () => {
      const before = nginx.hits.count;
      const out = await sClient(["-connect", `127.0.0.1:${port}`, ...args, "-CAfile", certs.ca.certPath], {
        keepOpen: true,
      });
      assert.match(out, /no peer certificate available/);
      assert.equal(nginx.hits.count, before);
    });
  }
});

// istio/istio samples/helloworld/helloworld-gateway.yaml, the Gateway the helloworld sample ships.
const HELLOWORLD_GATEWAY_SAMPLE = `apiVersion: networking.istio.io/v1
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
---
apiVersion: networking.istio.io/v1
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
    route:
    - destination:
        host: helloworld
        port:
          number: 5000
`;

describe("Istio samples: helloworld-gateway.yaml", () => {
  const dir = new ConfigDir();
  let helloworld: Backend;
  let proxy: GatewayProxy;
  let ingress: string;

  before(async () => {
    helloworld = await startEchoBackend("helloworld");
    const file = dir.write("helloworld-gateway.yaml", HELLOWORLD_GATEWAY_SAMPLE);
    proxy = await startFileProxy(
      [file],
      [80],
      [{ host: "helloworld", ip: "127.0.0.1", port: helloworld.port }],
    );
    ingress = `127.0.0.1:${proxy.boundPorts().get(80)}`;
  });

  after(async () => {
    await proxy.close();
    await helloworld.close();
    dir.dispose();
  });

  const cases: [string, number][] = [
    ["/hello", 200],
    ["/hello/", 404],
    ["/", 404],
  ];
  for (const [path, status] of cases) {
    it(`GET ${path} -> ${status}`, async () => {
      const r = await curl([`http://${ingress}${path}`]);
      assert.equal(r.status, status);
      if (status === 200) assert.equal((JSON.parse(r.body) as Echo).name, "helloworld");
    });
  }
});
