/**
 * A gateway behind proxies of its own (a cloud load balancer, a CDN), as Istio's
 * `gatewayTopology.numTrustedProxies` sets it up: the client is the address the last trusted
 * proxy put in `x-forwarded-for`, and the scheme the one it put in `x-forwarded-proto`, as Envoy
 * reads them with `xff_num_trusted_hops` (its example 5 among the cases). Without trusted proxies
 * both come from the connection, whatever the client sends. curl plays the proxy in front.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

const CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [app.example.com]
  - port: {number: 80, name: http-secure, protocol: HTTP}
    hosts: [secure.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: istio-system}
spec:
  hosts: [app.example.com, secure.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: web, port: {number: 8080}}}]
`;

describe("numTrustedProxies: the client and scheme trusted proxies in front tell of", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let backend: Backend;
  let trusting: GatewayProxy;
  let plain: GatewayProxy;

  before(async () => {
    backend = await startEchoBackend("web");
    const file = dir.write("edge.yaml", CONFIG);
    const resolve = [{ host: "web", ip: "127.0.0.1", port: backend.port }];
    trusting = await startFileProxy([file], [80], resolve, [], jsonLinesSink(access), {
      numTrustedProxies: 2,
    });
    plain = await startFileProxy([file], [80], resolve);
  });
  after(async () => {
    await trusting.close();
    await plain.close();
    await backend.close();
    dir.dispose();
  });

  /** What the backend saw of a request to `proxy` for `host` + `path` with `headers`. */
  async function send(proxy: GatewayProxy, host: string, path: string, headers: string[]) {
    const r = await curl([
      ...headers.flatMap((h) => ["-H", h]),
      "-H",
      `Host: ${host}`,
      `http://127.0.0.1:${proxy.boundPorts().get(80)!}${path}`,
    ]);
    return {
      status: r.status,
      location: r.headers["location"],
      echo: r.status === 200 ? (JSON.parse(r.body) as Echo) : undefined,
    };
  }

  it("takes the client from x-forwarded-for, two addresses from the right (Envoy's example 5)", async () => {
    const r = await send(trusting, "app.example.com", "/example-5", [
      "X-Forwarded-For: 203.0.113.128, 203.0.113.10, 203.0.113.1",
    ]);
    const h = r.echo?.headers;
    assert.deepEqual(
      [h?.["x-envoy-external-address"], h?.["x-forwarded-for"]],
      ["203.0.113.10", "203.0.113.128, 203.0.113.10, 203.0.113.1,127.0.0.1"],
    );
    assert.equal((await loggedLine(access, "/example-5"))["downstream_remote_address"], "203.0.113.10:0");
  });

  it("keeps to the connection's peer when x-forwarded-for has too few addresses, or not an address", async () => {
    for (const [path, xff] of [
      ["/one-hop", "203.0.113.1"],
      ["/not-an-ip", "unknown, 203.0.113.1"],
    ] as const) {
      const r = await send(trusting, "app.example.com", path, [`X-Forwarded-For: ${xff}`]);
      assert.equal(r.echo?.headers["x-envoy-external-address"], "127.0.0.1", path);
      assert.match(
        String((await loggedLine(access, path))["downstream_remote_address"]),
        /^127\.0\.0\.1:\d+$/,
      );
    }
  });

  it("keeps the x-forwarded-proto a trusted proxy set, so httpsRedirect lets through what arrived over HTTPS", async () => {
    const forwarded = await send(trusting, "secure.example.com", "/pay", [
      "X-Forwarded-For: 198.51.100.2, 10.0.0.1",
      "X-Forwarded-Proto: https",
    ]);
    assert.deepEqual([forwarded.status, forwarded.echo?.headers["x-forwarded-proto"]], [200, "https"]);
    const direct = await send(trusting, "secure.example.com", "/pay", []);
    assert.deepEqual([direct.status, direct.location], [301, "https://secure.example.com/pay"]);
  });

  it("trusts nothing a client sends without numTrustedProxies", async () => {
    const r = await send(plain, "app.example.com", "/plain", [
      "X-Forwarded-For: 203.0.113.128, 203.0.113.10, 203.0.113.1",
      "X-Forwarded-Proto: https",
    ]);
    assert.deepEqual(
      [r.echo?.headers["x-envoy-external-address"], r.echo?.headers["x-forwarded-proto"]],
      ["127.0.0.1", "http"],
    );
    const secure = await send(plain, "secure.example.com", "/pay", ["X-Forwarded-Proto: https"]);
    assert.deepEqual([secure.status, secure.location], [301, "https://secure.example.com/pay"]);
  });
});
