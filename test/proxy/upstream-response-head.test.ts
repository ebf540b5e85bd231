import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A backend on the loopback that calls `onRequest` each time a request's head (no body) has come. */
async function rawBackend(onRequest: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    let seen = "";
    socket.on("data", (d: Buffer) => {
      seen += d.toString("latin1");
      if (!seen.includes("\r\n\r\n")) return;
      seen = "";
      onRequest(socket);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/**
 * An HTTP/1.1 backend writing its response head byte for byte: mixed-case and repeated names,
 * hop-by-hop headers, a header a `Connection` header names, and a chunked body with trailers.
 */
function startRawBackend(): Promise<net.Server> {
  return rawBackend((socket) =>
    socket.write(
      "HTTP/1.1 200 OK\r\n" +
        "Content-Type: text/plain\r\n" +
        "Set-Cookie: a=1\r\n" +
        "set-cookie: b=2\r\n" +
        "Connection: keep-alive, X-Hop\r\n" +
        "X-Hop: dropped\r\n" +
        "Keep-Alive: timeout=5\r\n" +
        "X-Kept: caf\xe9\r\n" +
        "Server: upstream/1.0\r\n" +
        "Trailer: X-Checksum\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\n\r\n",
      "latin1",
    ),
  );
}

/**
 * A backend that answers with its head at once and its body only when told, as a stream of
 * server-sent events does: `release` sends the body of the answer waiting.
 */
async function startHeadFirstBackend(): Promise<{ server: net.Server; release(): void }> {
  let waiting: net.Socket | undefined;
  const server = await rawBackend((socket) => {
    socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
    waiting = socket;
  });
  return { server, release: () => waiting?.write("d\r\ndata: hello\n\n\r\n0\r\n\r\n") };
}

/** `promise`, or a failure saying `what` when it takes more than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Gateway with an HTTP server on port 8080 and an HTTP2 one on 8081, for any host, and a
 * VirtualService sending everything to the backend on `backendPort` (through a ServiceEntry), with
 * the route's `headers` (YAML) when given.
 */
function gatewayTo(backendPort: number, routeHeaders?: string): string {
  const headers = routeHeaders === undefined ? "" : `\n    headers: ${routeHeaders}`;
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8081, name: http2, protocol: HTTP2}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: raw.internal, port: {number: 80}}}]${headers}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: raw, namespace: istio-system}
spec:
  hosts: [raw.internal]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: ${backendPort}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
`;
}

describe("an HTTP/1.1 upstream's response head and trailers", () => {
  const dir = new ConfigDir();
  let backend: net.Server;
  let proxy: GatewayProxy;
  let port: number;
  let h2Port: number;

  before(async () => {
    backend = await startRawBackend();
    const backendPort = (backend.address() as net.AddressInfo).port;
    dir.write("gateway.yaml", gatewayTo(backendPort, "{response: {set: {server: set-by-route}}}"));
    proxy = await startFileProxy([dir.dir], [8080, 8081], []);
    port = proxy.boundPorts().get(8080)!;
    h2Port = proxy.boundPorts().get(8081)!;
  });

  after(async () => {
    await proxy.close();
    backend.close();
    dir.dispose();
  });

  it("reaches an HTTP/1.1 client lower-cased, without hop-by-hop headers, server istio-envoy, trailers dropped", async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/", headers: { host: "shop.example" }, agent: false }, resolve)
        .on("error", reject);
    });
    let body = "";
    res.setEncoding("latin1");
    res.on("data", (c: string) => (body += c));
    await once(res, "end");
    assert.equal(res.statusCode, 200);
    assert.equal(body, "hello world");
    assert.deepEqual(res.headers["set-cookie"], ["a=1", "b=2"]);
    assert.equal(res.headers["content-type"], "text/plain");
    assert.equal(res.headers["x-kept"], "caf\xe9");
    assert.equal(res.headers["x-hop"], undefined);
    assert.equal(res.headers["keep-alive"], undefined);
    // Istio's gateway overwrites it last, after the route's header operations.
    assert.equal(res.headers["server"], "istio-envoy");
    assert.equal(res.headers["transfer-encoding"], "chunked");
    assert.match(String(res.headers["x-envoy-upstream-service-time"]), /^\d+$/);
    // Envoy's HTTP/1.1 codec, as Istio configures it, drops trailers (`enable_trailers` off).
    assert.deepEqual(res.trailers, {});
  });

  it("reaches an HTTP/2 client without content framing headers, and without the trailers the HTTP/1.1 codec dropped", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    try {
      const stream = session.request({ ":path": "/", ":authority": "shop.example" });
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      let trailers: http2.IncomingHttpHeaders | undefined;
      stream.on("trailers", (t: http2.IncomingHttpHeaders) => (trailers = t));
      let body = "";
      stream.setEncoding("latin1");
      stream.on("data", (c: string) => (body += c));
      await once(stream, "end");
      assert.equal(headers[":status"], 200);
      assert.deepEqual(headers["set-cookie"], ["a=1", "b=2"]);
      assert.equal(headers["x-hop"], undefined);
      assert.equal(headers["transfer-encoding"], undefined);
      assert.equal(body, "hello world");
      assert.equal(trailers, undefined);
    } finally {
      session.close();
    }
  });
});

describe("an upstream's head that comes before its body", () => {
  const dir = new ConfigDir();
  let backend: { server: net.Server; release(): void };
  let proxy: GatewayProxy;
  let port: number;
  let h2Port: number;

  before(async () => {
    backend = await startHeadFirstBackend();
    const backendPort = (backend.server.address() as net.AddressInfo).port;
    dir.write("gateway.yaml", gatewayTo(backendPort));
    proxy = await startFileProxy([dir.dir], [8080, 8081], []);
    port = proxy.boundPorts().get(8080)!;
    h2Port = proxy.boundPorts().get(8081)!;
  });

  after(async () => {
    await proxy.close();
    backend.server.close();
    dir.dispose();
  });

  it("reaches an HTTP/1.1 client at once, not with the body, as Envoy sends it", async () => {
    const req = http.get({
      host: "127.0.0.1",
      port,
      path: "/events",
      headers: { host: "shop.example" },
      agent: false,
    });
    const response = once(req, "response");
    // Failing, the test leaves the request to the proxy's close: its error goes here.
    response.catch(() => {});
    const [res] = (await within(response, 5000, "no head before the body")) as [http.IncomingMessage];
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "text/event-stream");
    assert.equal(res.headers["transfer-encoding"], "chunked");
    backend.release();
    let body = "";
    res.setEncoding("latin1");
    res.on("data", (c: string) => (body += c));
    await once(res, "end");
    assert.equal(body, "data: hello\n\n");
  });

  it("reaches an HTTP/2 client at once too", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    try {
      const stream = session.request({ ":path": "/events", ":authority": "shop.example" });
      const response = once(stream, "response");
      response.catch(() => {});
      const [headers] = (await within(response, 5000, "no head before the body")) as [
        http2.IncomingHttpHeaders,
      ];
      assert.equal(headers[":status"], 200);
      assert.equal(headers["content-type"], "text/event-stream");
      backend.release();
      let body = "";
      stream.setEncoding("latin1");
      stream.on("data", (c: string) => (body += c));
      await once(stream, "end");
      assert.equal(body, "data: hello\n\n");
    } finally {
      session.close();
    }
  });
});
