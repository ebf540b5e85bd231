// The gateway proxy runtime on the Kubernetes source, wired as the CLI's Kubernetes mode would wire
// it: real requests follow resources applied with kubectl (a VirtualService switched to another
// Service, a Gateway deleted). Nothing runs pods here and the API server refuses loopback
// addresses in EndpointSlices, so the Services have no EndpointSlices and their hosts reach
// loopback backends through `--resolve` overrides, as the CLI's Kubernetes mode does locally.
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { buildCustomResourceDefinitions } from "../../provider/src/istio/schema/crd";
import { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { KubernetesConfigSource } from "../../provider/src/proxy/kubernetes";
import { startCluster, type LocalCluster } from "../e2e/support/cluster";
import { controlPlaneSuite, eventually } from "./support";
import { waitForEstablished } from "../../provider/src/local/control-plane";

/** GETs `path` through the gateway; resolves with the body, or the error code when the connection fails. */
async function get(port: number, path = "/", host = "reviews.example.com"): Promise<string> {
  return await new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function virtualService(service: string) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "reviews", namespace: "bookinfo" },
    spec: {
      hosts: ["reviews.example.com"],
      gateways: ["istio-system/gw"],
      http: [{ route: [{ destination: { host: service, port: { number: 9080 } } }] }],
    },
  };
}

controlPlaneSuite("gateway proxy on the Kubernetes source", (tools) => {
  let cluster: LocalCluster;
  let source: KubernetesConfigSource;
  let proxy: GatewayProxy;
  const backends: http.Server[] = [];
  let h2Backend: http2.Http2Server;
  const log: string[] = [];

  before(async () => {
    cluster = await startCluster(tools);
    const apply = async (...docs: unknown[]) =>
      await cluster.kubectl(["apply", "-f", "-"], docs.map((d) => JSON.stringify(d)).join("\n"));
    // Two backends on loopback, answering with their version.
    const ports: number[] = [];
    for (const [address, version] of [
      ["127.0.0.1", "v1"],
      ["127.0.0.1", "v2"],
    ] as const) {
      const server = http.createServer((_req, res) => res.end(version));
      await new Promise<void>((resolve) => server.listen(0, address, resolve));
      backends.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
    // An HTTP/2-only backend (h2c, no HTTP/1.1), answering with the HTTP version it was asked in.
    h2Backend = http2.createServer((req, res) => res.end(`HTTP/${req.httpVersion} ${req.url}`));
    await new Promise<void>((resolve) => h2Backend.listen(0, "127.0.0.1", resolve));
    const h2Port = (h2Backend.address() as AddressInfo).port;
    await apply(...buildCustomResourceDefinitions());
    await waitForEstablished((args) => cluster.kubectl(args), ["crd", "--all"]);
    await apply(
      ...["istio-system", "bookinfo"].map((name) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name },
      })),
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "gw", namespace: "istio-system" },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        },
      },
      virtualService("reviews-v1"),
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "greeter", namespace: "bookinfo" },
        spec: {
          hosts: ["greeter.example.com"],
          gateways: ["istio-system/gw"],
          http: ["h2c", "grpc", "plain"].map((kind) => ({
            match: [{ uri: { prefix: `/${kind}` } }],
            route: [{ destination: { host: `greeter-${kind}`, port: { number: 8080 } } }],
          })),
        },
      },
      ...[
        ["h2c", "kubernetes.io/h2c"],
        ["grpc", "grpc"],
        ["plain", undefined],
      ].map(([kind, appProtocol]) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `greeter-${kind}`, namespace: "bookinfo" },
        spec: { ports: [{ name: "web", port: 8080, ...(appProtocol === undefined ? {} : { appProtocol }) }] },
      })),
      ...["v1", "v2"].map((version) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `reviews-${version}`, namespace: "bookinfo" },
        spec: { ports: [{ name: "http", port: 9080 }] },
      })),
    );
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    source = new KubernetesConfigSource({
      kubeConfig: kc,
      identity: { namespace: "istio-system", labels: { istio: "ingressgateway" } },
      onChange: () => void proxy.reload(),
      log: (line) => log.push(line),
    });
    await source.start();
    proxy = new GatewayProxy({
      load: () => source.load(),
      watchPaths: [],
      namespace: "istio-system",
      bind: "127.0.0.1",
      listenPorts: new Map([[80, 0]]),
      resolve: [
        ...ports.map((port, i) => ({ host: `reviews-v${i + 1}`, ip: "127.0.0.1", port })),
        ...["h2c", "grpc", "plain"].map((kind) => ({
          host: `greeter-${kind}`,
          ip: "127.0.0.1",
          port: h2Port,
        })),
      ],
      log: (line) => log.push(line),
    });
    await proxy.start();
  });

  after(async () => {
    source?.stop();
    await proxy?.close();
    for (const b of backends) await new Promise((resolve) => b.close(resolve));
    await new Promise((resolve) => h2Backend?.close(resolve));
    await cluster?.stop();
  });

  it("speaks HTTP/2 to a Service port whose appProtocol is kubernetes.io/h2c or grpc, and HTTP/1.1 to one without", async () => {
    const port = proxy.boundPorts().get(80)!;
    const host = "greeter.example.com";
    // The Services' ports are known once their namespace's watch has synced (after the first load).
    let last = "";
    await eventually("HTTP/2 to greeter-h2c", () => {
      void get(port, "/h2c", host).then((r) => (last = r));
      return last === "200 HTTP/2.0 /h2c";
    });
    assert.deepEqual(
      [await get(port, "/h2c", host), await get(port, "/grpc", host), await get(port, "/plain", host)],
      [
        "200 HTTP/2.0 /h2c",
        "200 HTTP/2.0 /grpc",
        "502 upstream connect error or disconnect/reset before headers. reset reason: protocol error",
      ],
    );
  });

  it("routes as the VirtualService says, follows its change within a second, and closes a deleted Gateway's listener", async () => {
    const port = proxy.boundPorts().get(80)!;
    assert.equal(await get(port), "200 v1");
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(virtualService("reviews-v2")));
    const changed = Date.now();
    let last = "";
    await eventually("traffic to v2", () => {
      void get(port).then((r) => (last = r));
      return last === "200 v2";
    });
    assert.equal(Date.now() - changed < 1000, true, `took ${Date.now() - changed} ms`);
    assert.deepEqual(await Promise.all([get(port), get(port), get(port)]), ["200 v2", "200 v2", "200 v2"]);
    await cluster.kubectl(["-n", "istio-system", "delete", "gateway", "gw"]);
    await eventually("the listener closed", () => proxy.boundPorts().size === 0);
    assert.equal(await get(port), "ECONNREFUSED");
  });
});
