/**
 * Istio's standard metrics with the values a stock Istio gateway gives them, so that Istio's
 * dashboards read this proxy as they read Envoy: the gateway's own identity from its workload name
 * and pod labels, a ServiceEntry's namespace, a canonical revision that is never "unknown",
 * Envoy's default buckets for sizes too, whole milliseconds, TCP series only where TCP went, and
 * `istio_build`. Real sockets; curl as the client and the scraper.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents, httpGateway, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Envoy's default histogram buckets, which Istio's gateways use for every histogram. */
const ENVOY_BUCKETS = [
  "0.5",
  "1",
  "5",
  "10",
  "25",
  "50",
  "100",
  "250",
  "500",
  "1000",
  "2500",
  "5000",
  "10000",
  "30000",
  "60000",
  "300000",
  "600000",
  "1800000",
  "3600000",
  "+Inf",
];

describe("Istio's standard metrics, valued as a stock Istio gateway values them", () => {
  const dir = new ConfigDir();
  let web: Backend;
  let proxy: GatewayProxy;
  let base: string;
  let metrics: string;

  before(async () => {
    web = await startEchoBackend("web");
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - route: [{destination: {host: api.example.com, port: {number: 80}}}]
`,
        `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: apps}
spec:
  hosts: [api.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http: ${web.port}}}]
`,
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], undefined, {
      workloadName: "edge-gateway",
      labels: {
        istio: "ingressgateway",
        app: "edge",
        version: "v7",
        "service.istio.io/canonical-name": "edge-canonical",
      },
    });
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
    for (const path of ["/one", "/two"]) assert.equal((await curl([`${base}${path}`])).status, 200);
    metrics = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
  });

  after(async () => {
    await proxy.close();
    await web.close();
    dir.dispose();
  });

  /** The lines of `name` (the metric's own, `{` following). */
  const series = (name: string) => metrics.split("\n").filter((l) => l.startsWith(`${name}{`));
  /** The value of `label` in a series line. */
  const label = (line: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1];

  it("names the gateway by its workload and pod labels, and the ServiceEntry's namespace", () => {
    const [line] = series("istio_requests_total");
    assert.ok(line !== undefined, metrics);
    const names = [
      "source_workload",
      "source_app",
      "source_version",
      "source_canonical_service",
      "source_canonical_revision",
      "destination_service",
      "destination_service_name",
      "destination_service_namespace",
      "destination_canonical_revision",
    ];
    assert.deepEqual(
      names.map((n) => label(line, n)),
      [
        "edge-gateway",
        "edge",
        "v7",
        "edge-canonical",
        "v7",
        "api.example.com",
        "api.example.com",
        "apps",
        "latest",
      ],
    );
    assert.equal(line.slice(line.lastIndexOf(" ") + 1), "2");
  });

  it("buckets sizes as Envoy does, and durations in whole milliseconds", () => {
    for (const name of [
      "istio_request_bytes",
      "istio_response_bytes",
      "istio_request_duration_milliseconds",
    ]) {
      assert.deepEqual(
        series(`${name}_bucket`).map((l) => label(l, "le")),
        ENVOY_BUCKETS,
        name,
      );
    }
    const [sum] = series("istio_request_duration_milliseconds_sum");
    assert.ok(Number.isInteger(Number(sum!.slice(sum!.lastIndexOf(" ") + 1))), sum);
  });

  it("sizes requests and responses by their bytes on the wire, heads included", async () => {
    const request =
      "POST /sized HTTP/1.1\r\nHost: sized.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    /** The sum of a size histogram's series for the upstream, as `/metrics` has it now. */
    const sums = async () => {
      const text = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
      return ["istio_request_bytes", "istio_response_bytes"].map((name) => {
        const line = text
          .split("\n")
          .find((l) => l.startsWith(`${name}_sum{`) && l.includes("api.example.com"));
        return Number(line?.slice(line.lastIndexOf(" ") + 1));
      });
    };
    const before = await sums();
    const socket = net.connect(proxy.boundPorts().get(8080)!, "127.0.0.1");
    await once(socket, "connect");
    // Written, not ended: the answer's `connection: close` ends the connection.
    socket.write(request);
    let received = 0;
    for await (const chunk of socket) received += (chunk as Buffer).length;
    const after = await sums();
    assert.deepEqual(
      [after[0]! - before[0]!, after[1]! - before[1]!],
      [Buffer.byteLength(request), received],
    );
  });

  it("has no TCP series for a destination only HTTP reached", () => {
    for (const name of ["istio_tcp_connections_opened_total", "istio_tcp_sent_bytes_total"]) {
      assert.deepEqual(series(name), [], name);
    }
  });

  it("has Envoy's server gauges: live, uptime, and no certificate to expire", () => {
    const value = (name: string) => {
      const line = metrics.split("\n").find((l) => l.startsWith(`${name} `));
      return Number(line?.slice(line.lastIndexOf(" ") + 1));
    };
    assert.equal(value("envoy_server_live"), 1);
    assert.ok(value("envoy_server_uptime") >= 0 && value("envoy_server_uptime") < 600);
    assert.equal(value("envoy_server_days_until_first_cert_expiring"), 4294967295);
  });

  it("reports its build, as Istio's proxies report theirs", () => {
    const { version } = JSON.parse(
      readFileSync(resolve(__dirname, "../../provider/package.json"), "utf8"),
    ) as { version: string };
    assert.deepEqual(series("istio_build"), [`istio_build{component="proxy",tag="${version}"} 1`]);
  });
});

describe("envoy_server_days_until_first_cert_expiring", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  let proxy: GatewayProxy;

  after(async () => {
    await proxy.close();
    dir.dispose();
    pki.dispose();
  });

  it("counts the whole days until the first served certificate expires", async () => {
    const cert = pki.issue("secure.test", ["DNS:secure.test"]);
    dir.write(
      "gateway.yaml",
      documents(
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.test]
    tls: {mode: SIMPLE, serverCertificate: ${cert.certPath}, privateKey: ${cert.keyPath}}
`,
        virtualServiceHead() +
          `  - directResponse: {status: 200, body: {string: ok}}
`,
      ),
    );
    proxy = await startFileProxy([dir.dir], [443], []);
    const text = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
    const line = text.split("\n").find((l) => l.startsWith("envoy_server_days_until_first_cert_expiring "));
    const days = Math.floor((Date.parse(new X509Certificate(cert.cert).validTo) - Date.now()) / 86_400_000);
    assert.ok(days > 0, String(days));
    assert.equal(line, `envoy_server_days_until_first_cert_expiring ${days}`);
  });
});
