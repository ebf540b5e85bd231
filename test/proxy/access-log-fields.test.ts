/**
 * The access log's fields from Istio's default JSON format that say who made a response and where
 * the request came from: `response_code_details` in Envoy's words for every kind of answer,
 * `upstream_transport_failure_reason` for a refused connect, `x_forwarded_for` as sent upstream
 * (the peer appended) and `downstream_local_address`. Real sockets, curl as the client.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { ACCESS_LOG_KEYS } from "../../provider/src/proxy/observability/access-log-line";
import { jsonLinesSink, loggedLine } from "./support/access-log-sinks";
import { refusingPort } from "./support/backends";
import { curl } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** What the backend does for a path: answer, answer late, close before answering, or cut its answer. */
function backend(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  const path = req.url ?? "";
  if (path.startsWith("/busy")) return void res.writeHead(503).end("busy");
  if (path.startsWith("/slow") || path.startsWith("/per-try") || path.startsWith("/hold")) {
    const timer = setTimeout(() => res.writeHead(200).end("late"), 2000);
    res.once("close", () => clearTimeout(timer));
    return;
  }
  if (path.startsWith("/close")) return void req.socket.destroy();
  if (path.startsWith("/cut")) {
    res.writeHead(200, { "content-length": "100" });
    res.write("part");
    setTimeout(() => req.socket.destroy(), 50);
    return;
  }
  // The port the proxy's connection comes from, for the access log's upstream_local_address.
  const peer = { "x-peer-port": String(req.socket.remotePort) };
  res.writeHead(200, path.endsWith("/last") ? { ...peer, connection: "close" } : peer).end("ok");
}

describe("Istio's access-log fields", () => {
  const dir = new ConfigDir();
  const access: Record<string, unknown>[] = [];
  let server: http.Server;
  /** A TCP backend that writes back the port the proxy's connection comes from, then closes. */
  let tcpServer: net.Server;
  let proxy: GatewayProxy;
  let base: string;
  let port: number;

  before(async () => {
    server = http.createServer(backend);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const web = (server.address() as net.AddressInfo).port;
    tcpServer = net.createServer((s) => s.end(String(s.remotePort)));
    tcpServer.listen(0, "127.0.0.1");
    await once(tcpServer, "listening");
    const tcpPort = (tcpServer.address() as net.AddressInfo).port;
    const to = (host: string) => `route: [{destination: {host: ${host}.internal, port: {number: 80}}}]`;
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - name: direct
    match: [{uri: {prefix: /direct}, name: hello}]
    directResponse: {status: 200, body: {string: hi}}
  - match: [{uri: {prefix: /moved}}]
    redirect: {uri: /elsewhere}
  - match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    ${to("web")}
  - match: [{uri: {prefix: /cors}}]
    corsPolicy: {allowOrigins: [{exact: "https://app.example"}], allowMethods: [GET]}
    ${to("web")}
  - match: [{uri: {prefix: /refused}}]
    retries: {attempts: 0}
    ${to("refused")}
  - match: [{uri: {prefix: /slow}}]
    timeout: 0.2s
    ${to("web")}
  - match: [{uri: {prefix: /per-try}}]
    retries: {attempts: 1, perTryTimeout: 0.1s, retryOn: 5xx}
    ${to("web")}
  - match: [{uri: {prefix: /close}}]
    retries: {attempts: 0}
    ${to("web")}
  - match: [{uri: {prefix: /no-subset}}]
    route: [{destination: {host: web.internal, subset: v9, port: {number: 80}}}]
  - match: [{uri: {prefix: /}}]
    ${to("web")}
`,
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-tcp, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}
`,
        `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw-tcp]
  tcp:
  - route: [{destination: {host: echo.internal, port: {number: 80}}}]
`,
        staticServiceEntry("echo", [{ port: tcpPort }], "TCP"),
        staticServiceEntry("web", [{ port: web }]),
        staticServiceEntry("refused", [{ port: await refusingPort() }]),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080, 31400], [], [], jsonLinesSink(access));
    port = proxy.boundPorts().get(8080)!;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await proxy.close();
    server.close();
    tcpServer.close();
    dir.dispose();
  });

  /** Requests `path` with curl (`args` before the URL) and returns its status and log line. */
  async function exchange(path: string, ...args: string[]): Promise<[number, Record<string, unknown>]> {
    const r = await curl([...args, `${base}${path}`]);
    return [r.status, await loggedLine(access, path)];
  }

  it("names a route as Istio does: the rule's name and its match's, or none", async () => {
    const [, direct] = await exchange("/direct/named");
    const [, unnamed] = await exchange("/ok/unnamed");
    assert.deepEqual([direct["route_name"], unnamed["route_name"]], ["direct.hello", null]);
  });

  it("says which answers the upstream made: its 200, and its own 503 too", async () => {
    const [ok, okLine] = await exchange("/ok");
    const [busy, busyLine] = await exchange("/busy");
    assert.deepEqual(
      [
        ok,
        okLine["response_code_details"],
        busy,
        busyLine["response_code_details"],
        busyLine["response_flags"],
      ],
      [200, "via_upstream", 503, "via_upstream", "-"],
    );
  });

  it("names the proxy's own answers as Envoy does", async () => {
    const cases: [string, string[], number, string][] = [
      ["/direct", [], 200, "direct_response"],
      ["/moved", [], 301, "direct_response"],
      ["/abort", [], 418, "fault_filter_abort"],
      [
        "/cors",
        ["-X", "OPTIONS", "-H", "origin: https://app.example", "-H", "access-control-request-method: GET"],
        200,
        "cors_response",
      ],
      ["/no-subset", [], 503, "cluster_not_found"],
    ];
    for (const [path, args, status, details] of cases) {
      const [got, line] = await exchange(path, ...args);
      assert.deepEqual([got, line["response_code_details"]], [status, details], path);
    }
  });

  it("words an upstream failure as Envoy's router: reset reason, then the transport's", async () => {
    const [status, line] = await exchange("/refused");
    assert.equal(status, 503);
    assert.deepEqual(
      [line["response_flags"], line["response_code_details"], line["upstream_transport_failure_reason"]],
      [
        "UF",
        "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}",
        "delayed connect error: Connection refused",
      ],
    );
    const [closed, closedLine] = await exchange("/close");
    assert.deepEqual(
      [closed, closedLine["response_flags"], closedLine["response_code_details"]],
      [503, "UC", "upstream_reset_before_response_started{connection_termination}"],
    );
    assert.equal(closedLine["upstream_transport_failure_reason"], null);
  });

  it("tells the route's timeout from a try's own, and a response cut after its head", async () => {
    const [slow, slowLine] = await exchange("/slow");
    const [perTry, perTryLine] = await exchange("/per-try");
    assert.deepEqual(
      [slow, slowLine["response_code_details"], perTry, perTryLine["response_code_details"]],
      [504, "response_timeout", 504, "upstream_per_try_timeout"],
    );
    const r = await curl([`${base}/cut`]);
    assert.equal(r.status, 200);
    const cut = await loggedLine(access, "/cut");
    assert.deepEqual(
      [cut["response_flags"], cut["response_code_details"]],
      ["UC", "upstream_reset_after_response_started{connection_termination}"],
    );
  });

  it("logs the x-forwarded-for sent upstream and the address the client reached", async () => {
    const [, line] = await exchange("/ok/xff", "-H", "x-forwarded-for: 203.0.113.7");
    const [, local] = await exchange("/direct/xff", "-H", "x-forwarded-for: 203.0.113.7, 198.51.100.2");
    const [, bare] = await exchange("/ok/bare");
    assert.deepEqual(
      [line["x_forwarded_for"], local["x_forwarded_for"], bare["x_forwarded_for"]],
      ["203.0.113.7,127.0.0.1", "203.0.113.7, 198.51.100.2,127.0.0.1", "127.0.0.1"],
    );
    assert.equal(line["downstream_local_address"], `127.0.0.1:${port}`);
  });

  it("logs the proxy's own address on the upstream connection, and none when it could not connect", async () => {
    for (const path of ["/ok/local", "/ok/local/last"]) {
      // The second connection closes with its response, before the line is written.
      const r = await curl([`${base}${path}`]);
      const line = await loggedLine(access, path);
      assert.equal(line["upstream_local_address"], `127.0.0.1:${r.headers["x-peer-port"]}`, path);
    }
    await curl([`${base}/refused/local`]);
    // A TCP connection's line has both addresses too.
    const tcpPort = proxy.boundPorts().get(31400)!;
    const socket = net.connect(tcpPort, "127.0.0.1");
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    await once(socket, "end");
    socket.end();
    await once(socket, "close");
    for (let i = 0; i < 100 && !access.some((l) => l["listener"] === "0.0.0.0_31400"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const tcp = access.find((l) => l["listener"] === "0.0.0.0_31400");
    assert.deepEqual(
      [tcp?.["downstream_local_address"], tcp?.["upstream_local_address"]],
      [`127.0.0.1:${tcpPort}`, `127.0.0.1:${answer}`],
    );
    // Its line has every key too; the HTTP ones are null, and so is the protocol, as Envoy's
    // %PROTOCOL% has none for a connection.
    assert.deepEqual(Object.keys(tcp ?? {}), ACCESS_LOG_KEYS);
    assert.deepEqual(
      ACCESS_LOG_KEYS.filter((k) => tcp?.[k] === null),
      [
        "authority",
        "connection_termination_details",
        "method",
        "path",
        "protocol",
        "request_id",
        "requested_server_name",
        "response_code_details",
        "route_name",
        "upstream_service_time",
        "upstream_transport_failure_reason",
        "user_agent",
        "x_forwarded_for",
        "error_code",
        "route_config",
        "virtual_host",
      ],
    );
    assert.equal((await loggedLine(access, "/refused/local"))["upstream_local_address"], null);
  });

  it("writes every key of Istio's format on every line, null where there is no value, typed as Envoy types them", async () => {
    // A direct response: no cluster, no upstream host, no upstream service time.
    const [, direct] = await exchange("/direct/shape");
    const [, ok] = await exchange("/ok/shape");
    for (const line of [direct, ok])
      assert.deepEqual(Object.keys(line), ACCESS_LOG_KEYS, String(line["path"]));
    assert.deepEqual(
      [
        direct["route_name"],
        direct["upstream_cluster"],
        direct["upstream_host"],
        direct["upstream_service_time"],
        direct["connection_termination_details"],
        direct["requested_server_name"],
        direct["error_code"],
      ],
      ["direct.hello", null, null, null, null, null, null],
    );
    // The upstream's time is the x-envoy-upstream-service-time header's text; counts are numbers.
    assert.match(String(ok["upstream_service_time"]), /^\d+$/);
    assert.deepEqual(
      ["upstream_service_time", "response_code", "bytes_received", "bytes_sent", "duration"].map(
        (k) => typeof ok[k],
      ),
      ["string", "number", "number", "number", "number"],
    );
    assert.ok(Number.isInteger(ok["duration"]));
  });

  it("tells an HTTP/2 client's reset stream (DR) from its closed connection (DC)", async () => {
    const left = async (
      path: string,
      how: (session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream) => void,
    ) => {
      const session = http2.connect(base);
      session.on("error", () => {});
      const stream = session.request({ ":path": path });
      stream.on("error", () => {});
      await once(stream, "ready");
      await new Promise((r) => setTimeout(r, 100));
      how(session, stream);
      const line = await loggedLine(access, path);
      session.destroy();
      return [line["response_code"], line["response_flags"], line["response_code_details"]];
    };
    assert.deepEqual(
      await left("/hold/reset", (_session, stream) => stream.close(http2.constants.NGHTTP2_CANCEL)),
      [0, "DR", "http2.remote_reset"],
    );
    assert.deepEqual(await left("/hold/closed", (session) => session.destroy()), [
      0,
      "DC",
      "downstream_remote_disconnect",
    ]);
  });
});
