/**
 * A DestinationRule's `trafficPolicy.proxyProtocol` (Istio's `applyUpstreamProxyProtocol`, which
 * wraps the cluster's transport socket in Envoy's `upstream_proxy_protocol`): every upstream
 * connection starts with a PROXY header naming the downstream connection's source and destination,
 * before any TLS the rule originates, and a connection carrying one client's addresses never
 * carries another client's requests (Envoy keys its connection pools by the header's addresses).
 *
 * The routes are Istio's ingress-control task's httpbin Gateway and VirtualService, and the
 * tcp-traffic-shifting task's `samples/tcp-echo/tcp-echo-all-v1.yaml`, as they are. Istio's pages
 * show no DestinationRule with `proxyProtocol`: the ones here are written from its API reference
 * (`TrafficPolicy.ProxyProtocol`, `version: V1 | V2`), and the tcp-echo sample's DestinationRule
 * gets a `trafficPolicy` with it. Service names go to loopback backends (`--resolve`, or a
 * ServiceEntry for tcp-echo's pods), certificates come from TestPki. The backends read the header
 * with the test's own parser (support/proxy-protocol-backend.ts).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { TestPki } from "./support/certs";
import type { ProxyProtocolBackend } from "./support/proxy-protocol-backend";
import {
  startProxyProtocolH2cBackend,
  startProxyProtocolHttpBackend,
  startProxyProtocolTcpBackend,
} from "./support/proxy-protocol-backend";
import { RawClient } from "./support/raw-http1-client";
import { HTTPBIN_GATEWAY } from "./support/ingress-task-yaml";
import { ConfigDir, sample, startFileProxy } from "./support/samples";
import { tcpEchoPods } from "./support/traffic-task-yaml";

/** A DestinationRule for httpbin sending `version` headers, with `tls` settings when given. */
function httpbinRule(version: "V1" | "V2", tls = ""): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    proxyProtocol:
      version: ${version}
${tls}`;
}

/** GETs `path` on `client` (keep-alive) and returns the backend's JSON answer. */
async function get(client: RawClient, path: string): Promise<{ header: string; path: string; xff: string }> {
  await client.write(`GET ${path} HTTP/1.1\r\nHost: httpbin.example.com\r\n\r\n`);
  const r = await client.readResponse();
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString()) as { header: string; path: string; xff: string };
}

describe("DestinationRule proxyProtocol: HTTP routes", () => {
  const dir = new ConfigDir();
  const pki = new TestPki("example.com");
  const cert = pki.issue("httpbin.example.com", ["DNS:httpbin.example.com"]);
  let plain: ProxyProtocolBackend;
  let secure: ProxyProtocolBackend;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    plain = await startProxyProtocolHttpBackend();
    secure = await startProxyProtocolHttpBackend({ cert: cert.cert, key: cert.key });
    dir.write("httpbin.yaml", HTTPBIN_GATEWAY);
    dir.write("rule.yaml", httpbinRule("V1"));
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: plain.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(80)!;
  });

  after(async () => {
    await proxy.close();
    await Promise.all([plain.close(), secure.close()]);
    pki.dispose();
    dir.dispose();
  });

  it("V1: the upstream connection starts with the client's address and port, and the gateway's", async () => {
    const client = await RawClient.connect(port);
    const clientPort = client.socket.localPort;
    const answer = await get(client, "/status/v1");
    client.destroy();
    assert.deepEqual(answer, {
      header: `PROXY TCP4 127.0.0.1 127.0.0.1 ${clientPort} ${port}`,
      path: "/status/v1",
      xff: "127.0.0.1",
    });
    assert.equal(plain.connections.at(-1)!.header.version, "v1");
  });

  it("V2: the same addresses in the binary header", async () => {
    dir.write("rule.yaml", httpbinRule("V2"));
    assert.equal(await proxy.reload(), true);
    const client = await RawClient.connect(port);
    const clientPort = client.socket.localPort;
    const answer = await get(client, "/status/v2");
    client.destroy();
    assert.equal(answer.header, `PROXY TCP4 127.0.0.1 127.0.0.1 ${clientPort} ${port}`);
    assert.equal(plain.connections.at(-1)!.header.version, "v2");
  });

  it("never lets two clients share an upstream connection, while each client's requests share its own", async () => {
    const before = plain.connections.length;
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    const [aPort, bPort] = [a.socket.localPort, b.socket.localPort];
    // Interleaved, one at a time: a single pool would carry all four on one idle connection.
    await get(a, "/status/a1");
    await get(b, "/status/b1");
    await get(a, "/status/a2");
    await get(b, "/status/b2");
    a.destroy();
    b.destroy();
    const made = plain.connections.slice(before).map((c) => [c.header.line, c.paths]);
    assert.deepEqual(made, [
      [`PROXY TCP4 127.0.0.1 127.0.0.1 ${aPort} ${port}`, ["/status/a1", "/status/a2"]],
      [`PROXY TCP4 127.0.0.1 127.0.0.1 ${bPort} ${port}`, ["/status/b1", "/status/b2"]],
    ]);
  });

  it("gives each client HTTP/2 connections of its own, however many streams one could carry", async () => {
    const h2c = await startProxyProtocolH2cBackend();
    const upgrade = `    connectionPool:
      http:
        h2UpgradePolicy: UPGRADE
`;
    dir.write("rule.yaml", httpbinRule("V1", upgrade));
    await proxy.close();
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: h2c.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(80)!;
    try {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      const [aPort, bPort] = [a.socket.localPort, b.socket.localPort];
      await get(a, "/status/h2-a1");
      await get(b, "/status/h2-b1");
      await get(a, "/status/h2-a2");
      await get(b, "/status/h2-b2");
      a.destroy();
      b.destroy();
      assert.deepEqual(
        h2c.connections.map((c) => [c.header.line, c.paths]),
        [
          [`PROXY TCP4 127.0.0.1 127.0.0.1 ${aPort} ${port}`, ["/status/h2-a1", "/status/h2-a2"]],
          [`PROXY TCP4 127.0.0.1 127.0.0.1 ${bPort} ${port}`, ["/status/h2-b1", "/status/h2-b2"]],
        ],
      );
    } finally {
      await h2c.close();
    }
  });

  it("writes the header before the TLS handshake the rule originates", async () => {
    const tls = `    tls:
      mode: SIMPLE
      caCertificates: ${pki.ca.certPath}
`;
    dir.write("rule.yaml", httpbinRule("V1", tls));
    await proxy.close();
    proxy = await startFileProxy(
      [dir.dir],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: secure.port }],
      [],
      undefined,
      { watchPaths: [] },
    );
    port = proxy.boundPorts().get(80)!;
    const client = await RawClient.connect(port);
    const expected = `PROXY TCP4 127.0.0.1 127.0.0.1 ${client.socket.localPort} ${port}`;
    const first = await get(client, "/status/tls1");
    const second = await get(client, "/status/tls2");
    client.destroy();
    assert.deepEqual([first.header, second.header], [expected, expected]);
    assert.deepEqual(
      secure.connections.map((c) => [c.tls, c.header.line, c.paths]),
      [[true, expected, ["/status/tls1", "/status/tls2"]]],
    );
    assert.equal(secure.refused.count, 0);
  });
});

describe("DestinationRule proxyProtocol behind a PROXY protocol load balancer: TCP and HTTP routes", () => {
  const dir = new ConfigDir();
  let tcpBackend: ProxyProtocolBackend;
  let httpBackend: ProxyProtocolBackend;
  let proxy: GatewayProxy;

  before(async () => {
    tcpBackend = await startProxyProtocolTcpBackend();
    httpBackend = await startProxyProtocolHttpBackend();
    // tcp-echo-all-v1.yaml, its DestinationRule given the policy.
    const withPolicy = sample("tcp-echo-all-v1.yaml").replace(
      "spec:\n  host: tcp-echo\n",
      "spec:\n  host: tcp-echo\n  trafficPolicy:\n    proxyProtocol:\n      version: V2\n",
    );
    dir.write("tcp-echo-all-v1.yaml", withPolicy);
    dir.write("tcp-echo-pods.yaml", tcpEchoPods(tcpBackend.port, tcpBackend.port));
    dir.write("httpbin.yaml", HTTPBIN_GATEWAY);
    dir.write("rule.yaml", httpbinRule("V1"));
    proxy = await startFileProxy(
      [dir.dir],
      [80, 31400],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpBackend.port }],
      [],
      undefined,
      { watchPaths: [], proxyProtocol: true },
    );
  });

  after(async () => {
    await proxy.close();
    await Promise.all([tcpBackend.close(), httpBackend.close()]);
    dir.dispose();
  });

  it("passes a TCP connection's claimed client on in a V2 header", async () => {
    const socket = net.connect(proxy.boundPorts().get(31400)!, "127.0.0.1");
    await once(socket, "connect");
    socket.write("PROXY TCP6 2001:db8::9 2001:db8::1 41000 31400\r\nhello\n");
    let answer = "";
    while (!answer.endsWith("\n")) {
      const [data] = (await once(socket, "data")) as [Buffer];
      answer += data.toString();
    }
    socket.destroy();
    assert.equal(answer, "PROXY TCP6 2001:db8::9 2001:db8::1 41000 31400 | hello\n");
    assert.equal(tcpBackend.connections.at(-1)!.header.version, "v2");
  });

  it("passes an HTTP client's claimed addresses on, one upstream connection per claimed pair", async () => {
    const port = proxy.boundPorts().get(80)!;
    const answers: string[] = [];
    for (const claimed of ["203.0.113.7 198.51.100.1 40000 80", "203.0.113.8 198.51.100.1 40000 80"]) {
      const client = await RawClient.connect(port);
      await client.write(`PROXY TCP4 ${claimed}\r\n`);
      answers.push((await get(client, "/status/claimed")).header);
      client.destroy();
    }
    assert.deepEqual(answers, [
      "PROXY TCP4 203.0.113.7 198.51.100.1 40000 80",
      "PROXY TCP4 203.0.113.8 198.51.100.1 40000 80",
    ]);
    assert.equal(httpBackend.connections.length, 2);
  });
});
