import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { ProxyConfig } from "../../provider/src/istio/translate/proxy-config";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { loggedLine, REQUEST_ID } from "./support/access-log-sinks";
import { undated } from "./support/http1-response-parser";
import { startConfigProxy } from "./support/config-proxy";
import { curl } from "./support/curl";
import type { WebSocketBackend } from "./support/websocket-backend";
import { frame, parseFrame, startWebSocketBackend } from "./support/websocket-backend";
import {
  NO_HEADERS,
  cluster,
  forward,
  httpListener,
  match,
  proxyConfig,
  route,
  vhost,
} from "./support/proxy-config-builders";

/** Reads from `s` until `bytes` are there (or it closes), resolving with what came. */
function readAtLeast(s: net.Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const done = () => {
      s.removeListener("data", onData);
      s.removeListener("close", done);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      n += c.length;
      if (n >= bytes) done();
    };
    s.on("data", onData);
    s.once("close", done);
  });
}

const HANDSHAKE = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUser-Agent: ws-test\r\n\r\n`;

describe("WebSocket upgrades, observed like other requests", () => {
  let ws: WebSocketBackend;
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];

  before(async () => {
    ws = await startWebSocketBackend();
    const responseOps = {
      ...NO_HEADERS,
      response: { set: [["x-gateway", "igw"] as const], add: [], remove: ["x-upstream"] },
    };
    const config: ProxyConfig = proxyConfig(
      "ws1",
      [
        httpListener(8080, [
          vhost(
            "chat",
            ["chat.example"],
            [
              route("refused", forward("outbound|80||refused"), {
                match: match({ uri: { kind: "prefix", value: "/refused" } }),
                headers: responseOps,
              }),
              route("ws", forward("outbound|80||ws"), {
                match: match({ uri: { kind: "prefix", value: "/ws" } }),
                headers: responseOps,
              }),
            ],
          ),
        ]),
      ],
      [
        cluster("outbound|80||ws", [{ address: "127.0.0.1", port: ws.port }]),
        cluster("outbound|80||refused", [{ address: "127.0.0.1", port: 1 }]),
      ],
    );
    proxy = await startConfigProxy(config, access, { statusPort: true });
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    ws.close();
  });

  /** The access-log line of `path`, without the fields that differ between runs. */
  async function logLine(path: string): Promise<Record<string, unknown>> {
    const line = { ...(await loggedLine(access, path)) };
    assert.deepEqual([typeof line["start_time"], typeof line["duration"]], ["string", "number"]);
    assert.match(String(line["downstream_remote_address"]), /^127\.0\.0\.1:\d+$/);
    assert.equal(line["downstream_local_address"], `127.0.0.1:${port}`);
    if (line["upstream_local_address"] !== null) {
      assert.match(String(line["upstream_local_address"]), /^127\.0\.0\.1:\d+$/);
    }
    // Made for every request, upgrades too, as Envoy's connection manager makes one.
    assert.match(String(line["request_id"]), REQUEST_ID);
    for (const k of [
      "start_time",
      "duration",
      "upstream_service_time",
      "downstream_remote_address",
      "downstream_local_address",
      "upstream_local_address",
      "request_id",
    ]) {
      delete line[k];
    }
    return line;
  }

  const common = {
    method: "GET",
    protocol: "HTTP/1.1",
    authority: "chat.example",
    user_agent: "ws-test",
    x_forwarded_for: "127.0.0.1",
    listener: "127.0.0.1_8080",
    filter_chain: "http.8080",
    route_config: "http.8080",
    virtual_host: "chat",
    // Every key of the line is there, null where a request has no value.
    connection_termination_details: null,
    requested_server_name: null,
    error_code: null,
    route_name: null,
    upstream_cluster: null,
    upstream_host: null,
    upstream_transport_failure_reason: null,
  };

  it("echoes frames through, with the route's response header operations on the 101; one log line and one metric when the tunnel closes", async () => {
    const s = net.connect(port, "127.0.0.1");
    await once(s, "connect");
    s.write(HANDSHAKE("/ws/echo"));
    const head = await readAtLeast(s, 1);
    assert.equal(
      undated(head.toString("latin1")),
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nx-gateway: igw\r\nserver: istio-envoy\r\n\r\n",
    );
    const sent = frame(1, Buffer.from("hello"), Buffer.from([1, 2, 3, 4]));
    s.write(sent);
    const echoed = await readAtLeast(s, 7);
    assert.deepEqual([echoed.length, parseFrame(echoed)?.payload.toString()], [7, "hello"]);
    s.end();
    await once(s, "close");
    assert.deepEqual(await logLine("/ws/echo"), {
      ...common,
      path: "/ws/echo",
      response_code: 101,
      response_flags: "-",
      response_code_details: "via_upstream",
      bytes_received: sent.length,
      bytes_sent: 7,
      route_name: "ws",
      upstream_cluster: "outbound|80||ws",
      upstream_host: `127.0.0.1:${ws.port}`,
    });
    const metrics = await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`]);
    const requests = metrics.body
      .split("\n")
      .filter((l) => l.startsWith("istio_requests_total{") && l.includes('response_code="101"'));
    assert.deepEqual(requests, [
      "istio_requests_total{" +
        [
          'reporter="source"',
          'source_workload="istio-ingressgateway"',
          'source_workload_namespace="istio-system"',
          'source_principal="unknown"',
          'source_app="istio-ingressgateway"',
          'source_version="unknown"',
          'source_cluster="Kubernetes"',
          'source_canonical_service="istio-ingressgateway"',
          'source_canonical_revision="latest"',
          'destination_workload="unknown"',
          'destination_workload_namespace="unknown"',
          'destination_principal="unknown"',
          'destination_app="unknown"',
          'destination_version="unknown"',
          'destination_service="ws"',
          'destination_service_name="ws"',
          'destination_service_namespace="istio-system"',
          'destination_cluster="unknown"',
          'destination_canonical_service="ws"',
          'destination_canonical_revision="latest"',
          'request_protocol="http"',
          'response_flags="-"',
          'connection_security_policy="unknown"',
          'response_code="101"',
          'grpc_response_status=""',
        ].join(",") +
        "} 1",
    ]);
  });

  it("logs UC when the upstream resets the tunnel", async () => {
    const s = net.connect(port, "127.0.0.1");
    await once(s, "connect");
    s.write(HANDSHAKE("/ws/reset"));
    await readAtLeast(s, 1);
    const sent = frame(1, Buffer.from("bye"), Buffer.from([9, 9, 9, 9]));
    s.write(sent);
    s.on("error", () => {});
    await once(s, "close");
    assert.deepEqual(await logLine("/ws/reset"), {
      ...common,
      path: "/ws/reset",
      response_code: 101,
      response_flags: "UC",
      response_code_details: "via_upstream",
      bytes_received: sent.length,
      bytes_sent: 0,
      route_name: "ws",
      upstream_cluster: "outbound|80||ws",
      upstream_host: `127.0.0.1:${ws.port}`,
    });
  });

  it("answers 503 UF when the upstream refuses the connection, with the route's header operations, and logs it", async () => {
    const s = net.connect(port, "127.0.0.1");
    await once(s, "connect");
    s.write(HANDSHAKE("/refused"));
    const answer = await readAtLeast(s, 1_000_000);
    const body =
      "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused";
    assert.equal(
      undated(answer.toString("latin1")),
      `HTTP/1.1 503 Service Unavailable\r\nx-igw-error-code: IGW_ERR_UPSTREAM_CONNECT\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\nx-gateway: igw\r\nserver: istio-envoy\r\n\r\n${body}`,
    );
    assert.deepEqual(await logLine("/refused"), {
      ...common,
      path: "/refused",
      response_code: 503,
      response_flags: "UF",
      response_code_details:
        "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}",
      error_code: "IGW_ERR_UPSTREAM_CONNECT",
      bytes_received: 0,
      bytes_sent: body.length,
      route_name: "refused",
      upstream_cluster: "outbound|80||refused",
      upstream_host: "127.0.0.1:1",
      upstream_transport_failure_reason: "delayed connect error: Connection refused",
    });
  });

  it("answers 404 NR to an upgrade no route matches", async () => {
    const s = net.connect(port, "127.0.0.1");
    await once(s, "connect");
    s.write(HANDSHAKE("/elsewhere"));
    const answer = await readAtLeast(s, 1_000_000);
    assert.equal(
      undated(answer.toString("latin1")),
      "HTTP/1.1 404 Not Found\r\nx-igw-error-code: IGW_ERR_NO_ROUTE\r\ncontent-length: 0\r\nconnection: close\r\nserver: istio-envoy\r\n\r\n",
    );
    const line = await logLine("/elsewhere");
    assert.deepEqual(line, {
      ...common,
      path: "/elsewhere",
      response_code: 404,
      response_flags: "NR",
      response_code_details: "route_not_found",
      error_code: "IGW_ERR_NO_ROUTE",
      bytes_received: 0,
      bytes_sent: 0,
    });
  });
});
