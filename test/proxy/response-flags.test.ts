/**
 * Failures as Envoy shows them, in the router's body and the access log's flags, which it lists in
 * the order they were set. A request whose retries run out: the body says "retried and the latest
 * reset reason", and `URX` (the retry limit was reached) comes before the failure's own flag
 * (`UF`); a retriable answer that is still the last one is passed on, flagged `URX`; without a
 * retry, neither. A fault that delays and then aborts: `DI,FI`; a client that leaves during the
 * delay: `DI,DC`.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { jsonLinesSink, loggedLine, REQUEST_ID } from "./support/access-log-sinks";
import { refusingPort } from "./support/backends";
import { curl } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

describe("failures, as Envoy's router and fault filter show them", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let unavailable: http.Server;
  let answered = 0;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    unavailable = http.createServer((_req, res) => {
      answered++;
      res.writeHead(503, { "content-type": "text/plain" }).end("busy\n");
    });
    unavailable.listen(0, "127.0.0.1");
    await once(unavailable, "listening");
    const busyPort = (unavailable.address() as net.AddressInfo).port;
    const refusedPort = await refusingPort();
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /refused-once}}]
    retries: {attempts: 0}
    route: [{destination: {host: refused.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /refused}}]
    route: [{destination: {host: refused.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /delayed-abort}}]
    fault:
      delay: {fixedDelay: 0.05s, percentage: {value: 100}}
      abort: {httpStatus: 418, percentage: {value: 100}}
    route: [{destination: {host: busy.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /long-delay}}]
    fault: {delay: {fixedDelay: 5s, percentage: {value: 100}}}
    route: [{destination: {host: busy.internal, port: {number: 80}}}]
  - match: [{uri: {prefix: /busy}}]
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: busy.internal, port: {number: 80}}}]
`,
        staticServiceEntry("refused", [{ port: refusedPort }]),
        staticServiceEntry("busy", [{ port: busyPort }]),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
  });

  after(async () => {
    await proxy.close();
    unavailable.close();
    dir.dispose();
  });

  it("answers a refused connection, retried by Istio's default policy, as Envoy does: URX,UF", async () => {
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/refused`]);
    assert.deepEqual(
      [r.status, r.body],
      [
        503,
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: " +
          "remote connection failure, transport failure reason: delayed connect error: Connection refused",
      ],
    );
    const line = await loggedLine(access, "/refused");
    assert.deepEqual([line["response_code"], line["response_flags"]], [503, "URX,UF"]);
  });

  it("says nothing of retries when the route has none", async () => {
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/refused-once`]);
    assert.deepEqual(
      [r.status, r.body],
      [
        503,
        "upstream connect error or disconnect/reset before headers. reset reason: " +
          "remote connection failure, transport failure reason: delayed connect error: Connection refused",
      ],
    );
    const line = await loggedLine(access, "/refused-once");
    assert.deepEqual([line["response_code"], line["response_flags"]], [503, "UF"]);
  });

  it("passes on the last retriable answer, flagged URX, after every attempt", async () => {
    const before = answered;
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/busy`]);
    assert.deepEqual([r.status, r.body], [503, "busy\n"]);
    assert.equal(answered - before, 3);
    const line = await loggedLine(access, "/busy");
    assert.deepEqual([line["response_code"], line["response_flags"]], [503, "URX"]);
  });

  it("flags a fault that delays and then aborts DI,FI, the order Envoy sets them in", async () => {
    const before = answered;
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/delayed-abort`]);
    assert.deepEqual([r.status, r.body], [418, "fault filter abort"]);
    assert.equal(answered, before);
    const line = await loggedLine(access, "/delayed-abort");
    assert.deepEqual([line["response_code"], line["response_flags"]], [418, "DI,FI"]);
  });

  it("flags a client that leaves during an injected delay DI,DC, and never calls the upstream", async () => {
    const before = answered;
    const req = http.get({ port, host: "127.0.0.1", path: "/long-delay", headers: { host: "shop.example" } });
    req.on("error", () => {});
    setTimeout(() => req.destroy(), 200);
    const line = await loggedLine(access, "/long-delay");
    assert.deepEqual(
      [line["response_code"], line["response_flags"], line["response_code_details"]],
      [0, "DI,DC", "downstream_remote_disconnect"],
    );
    assert.equal(answered, before);
  });

  it("counts and logs an aborted request against the route's cluster, with its request id, as Envoy", async () => {
    // Envoy's connection manager resolves the route's cluster and makes the x-request-id before the
    // fault filter runs: Istio's metrics and log name the destination the request never reached.
    const r = await curl(["-H", "Host: shop.example", `http://127.0.0.1:${port}/delayed-abort/counted`]);
    assert.equal(r.status, 418);
    const line = await loggedLine(access, "/delayed-abort/counted");
    assert.equal(line["upstream_cluster"], "outbound|80||busy.internal");
    assert.match(String(line["request_id"]), REQUEST_ID);
    const metrics = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
    const counted = metrics
      .split("\n")
      .find(
        (l) =>
          l.startsWith("istio_requests_total{") &&
          l.includes('response_flags="DI,FI"') &&
          l.includes('destination_service="busy.internal"'),
      );
    assert.ok(
      counted !== undefined,
      metrics
        .split("\n")
        .filter((l) => l.includes("FI"))
        .join("\n"),
    );
  });
});
