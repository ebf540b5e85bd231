// The request headers an upstream gets through the proxy, on real sockets, from Istio YAML: what an
// Istio gateway's Envoy adds and removes at the edge (x-forwarded-*, a fresh x-request-id, no
// client-set x-envoy-* control headers), a route's header operations applied after that, so
// that `set: {x-forwarded-proto: https}` reaches the upstream as Istio users expect, and what
// Envoy's router adds to each attempt (x-envoy-attempt-count, x-envoy-expected-rq-timeout-ms,
// x-envoy-original-path), and the route's operation Istio's default tracing names
// (x-envoy-decorator-operation).
import assert from "node:assert/strict";
import { REQUEST_ID } from "./support/access-log-sinks";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

/** A backend that keeps each request's headers and answers 503 to `/fail`, 200 otherwise. */
async function startRecordingBackend(): Promise<{
  port: number;
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(req.url === "/fail" ? 503 : 200, { "content-length": "0" }).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: plain
spec:
  hosts: [plain.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: behind-lb
spec:
  hosts: [lb.example.com]
  gateways: [gw]
  http:
  - headers:
      request:
        set:
          x-forwarded-proto: https
          x-forwarded-for: 203.0.113.9
          x-request-id: chosen-by-route
        add:
          x-envoy-internal: "set-by-route"
      response:
        set:
          x-seen-proto: "%REQ(x-forwarded-proto)%"
          x-seen-answer: "%RESPONSE_CODE% %RESP(content-type)% from %UPSTREAM_REMOTE_ADDRESS% of %UPSTREAM_CLUSTER%"
    route:
    - destination: {host: httpbin, port: {number: 8000}}
      headers:
        response:
          set:
            x-seen-id: "%REQ(x-request-id)%"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: router
spec:
  hosts: [router.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /timeout}}]
    timeout: 0.5s
    route:
    - destination: {host: recorder, port: {number: 8000}}
  - match: [{uri: {exact: /fail}}]
    timeout: 5s
    retries: {attempts: 2, perTryTimeout: 0.2s, retryOn: 5xx}
    route:
    - destination: {host: recorder, port: {number: 8000}}
  - match: [{uri: {prefix: /api/v1}}]
    rewrite: {uri: /v2}
    route:
    - destination: {host: recorder, port: {number: 8000}}
  - route:
    - destination: {host: recorder, port: {number: 8000}}
`;

describe("forwarded request headers on real sockets", () => {
  const dir = new ConfigDir();
  let httpbin: Backend;
  let recorder: Awaited<ReturnType<typeof startRecordingBackend>>;
  let proxy: GatewayProxy;
  let base: string;
  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    recorder = await startRecordingBackend();
    proxy = await startFileProxy(
      [dir.write("headers.yaml", CONFIG)],
      [80],
      [
        { host: "httpbin", ip: "127.0.0.1", port: httpbin.port },
        { host: "recorder", ip: "127.0.0.1", port: recorder.port },
      ],
    );
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    await recorder.close();
    dir.dispose();
  });

  it("adds Envoy's edge headers, with a fresh x-request-id, and drops the client's x-envoy-* controls", async () => {
    const r = await curl([
      "-H",
      "Host: plain.example.com",
      "-H",
      "x-request-id: from-client",
      "-H",
      "x-forwarded-proto: https",
      "-H",
      "x-forwarded-for: 192.0.2.1",
      "-H",
      "x-envoy-internal: true",
      "-H",
      "x-envoy-retry-on: 5xx",
      "-H",
      "x-envoy-upstream-rq-timeout-ms: 1",
      "-H",
      "x-envoy-decorator-operation: op",
      "-H",
      "x-envoy-custom: kept",
      `${base}/headers`,
    ]);
    assert.equal(r.status, 200);
    const { "x-request-id": id, ...headers } = (JSON.parse(r.body) as Echo).headers;
    assert.match(String(id), REQUEST_ID);
    assert.deepEqual(headers, {
      host: "plain.example.com",
      "user-agent": headers["user-agent"],
      accept: "*/*",
      "x-forwarded-for": "192.0.2.1,127.0.0.1",
      "x-forwarded-proto": "http",
      "x-envoy-custom": "kept",
      "x-envoy-external-address": "127.0.0.1",
      // The route's own operation, not the client's: Istio turns tracing on by default.
      "x-envoy-decorator-operation": "httpbin.default.svc.cluster.local:8000/*",
      "x-envoy-attempt-count": "1",
    });
  });

  it("applies a route's request header operations over the forwarding headers", async () => {
    const r = await curl([
      "-H",
      "Host: lb.example.com",
      "-H",
      "x-request-id: from-client",
      `${base}/headers`,
    ]);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as Echo;
    assert.deepEqual(
      [
        echo.headers["x-forwarded-proto"],
        echo.headers["x-forwarded-for"],
        echo.headers["x-request-id"],
        echo.headers["x-envoy-internal"],
      ],
      ["https", "203.0.113.9", "chosen-by-route", "set-by-route"],
    );
    // Response header formatters read the request as it was sent upstream.
    assert.deepEqual([r.headers["x-seen-proto"], r.headers["x-seen-id"]], ["https", "chosen-by-route"]);
    // ... and the answer as the upstream gave it.
    assert.equal(
      r.headers["x-seen-answer"],
      `200 application/json from 127.0.0.1:${httpbin.port} of outbound|8000||httpbin.default.svc.cluster.local`,
    );
  });

  it("gives each request its own x-request-id", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await curl(["-H", "Host: plain.example.com", "-H", "x-request-id: same", `${base}/headers`]);
      ids.add(String((JSON.parse(r.body) as Echo).headers["x-request-id"]));
    }
    assert.equal(ids.size, 3);
    assert.equal(ids.has("same"), false);
  });

  /** The x-envoy-* headers each request `args` made reached the recorder with. */
  async function envoyHeaders(args: string[]): Promise<Record<string, unknown>[]> {
    const from = recorder.seen.length;
    await curl(["-H", "Host: router.example.com", ...args]);
    return recorder.seen
      .slice(from)
      .map((h) =>
        Object.fromEntries(
          Object.entries(h).filter(
            ([k]) =>
              k.startsWith("x-envoy-") &&
              k !== "x-envoy-external-address" &&
              k !== "x-envoy-decorator-operation",
          ),
        ),
      );
  }

  it("names each route's operation in x-envoy-decorator-operation, as Istio decorates routes", async () => {
    const operation = async (path: string) => {
      const from = recorder.seen.length;
      await curl(["-H", "Host: router.example.com", `${base}${path}`]);
      return recorder.seen[from]?.["x-envoy-decorator-operation"];
    };
    assert.deepEqual(
      [await operation("/timeout/x"), await operation("/api/v1/users"), await operation("/other")],
      [
        "recorder.default.svc.cluster.local:8000/timeout*",
        "recorder.default.svc.cluster.local:8000/api/v1*",
        "recorder.default.svc.cluster.local:8000/*",
      ],
    );
  });

  it("sends the route timeout as x-envoy-expected-rq-timeout-ms, and nothing without one", async () => {
    assert.deepEqual(await envoyHeaders([`${base}/timeout`]), [
      { "x-envoy-attempt-count": "1", "x-envoy-expected-rq-timeout-ms": "500" },
    ]);
    assert.deepEqual(await envoyHeaders([`${base}/other`]), [{ "x-envoy-attempt-count": "1" }]);
  });

  it("counts the attempts of a retried request, each expecting its per-try timeout", async () => {
    assert.deepEqual(await envoyHeaders([`${base}/fail`]), [
      { "x-envoy-attempt-count": "1", "x-envoy-expected-rq-timeout-ms": "200" },
      { "x-envoy-attempt-count": "2", "x-envoy-expected-rq-timeout-ms": "200" },
      { "x-envoy-attempt-count": "3", "x-envoy-expected-rq-timeout-ms": "200" },
    ]);
  });

  it("sends the path before a rewrite as x-envoy-original-path", async () => {
    assert.deepEqual(await envoyHeaders([`${base}/api/v1/users?id=7`]), [
      { "x-envoy-original-path": "/api/v1/users?id=7", "x-envoy-attempt-count": "1" },
    ]);
  });

  it("drops a client's x-envoy-original-path, which only a rewrite sets (CVE-2023-27487)", async () => {
    const forged = ["-H", "x-envoy-original-path: /admin"];
    assert.deepEqual(await envoyHeaders([...forged, `${base}/plain`]), [{ "x-envoy-attempt-count": "1" }]);
    assert.deepEqual(await envoyHeaders([...forged, `${base}/api/v1/x`]), [
      { "x-envoy-original-path": "/api/v1/x", "x-envoy-attempt-count": "1" },
    ]);
  });

  /** The headers the echo backend saw for a request with `headers`, sent as node's client sends them. */
  async function echoedOverHttp1(
    headers: Record<string, string | string[]>,
  ): Promise<http.IncomingHttpHeaders> {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(`${base}/headers`, { headers: { host: "plain.example.com", ...headers }, agent: false }, resolve)
        .on("error", reject),
    );
    let body = "";
    for await (const chunk of res) body += String(chunk);
    assert.equal(res.statusCode, 200);
    return (JSON.parse(body) as Echo).headers;
  }

  it("keeps every value of a repeated header, joined with commas as Envoy joins them", async () => {
    const seen = await echoedOverHttp1({
      "user-agent": ["ua-1", "ua-2"],
      authorization: ["Bearer a", "Bearer b"],
      "x-multi": ["1", "2", "3"],
      cookie: ["a=1", "b=2"],
    });
    assert.equal(seen["user-agent"], "ua-1,ua-2");
    assert.equal(seen["authorization"], "Bearer a,Bearer b");
    assert.equal(seen["x-multi"], "1,2,3");
    assert.equal(seen["cookie"], "a=1; b=2");
  });

  it("keeps every value of a repeated header over HTTP/2, as over HTTP/1.1", async () => {
    const session = http2.connect(base);
    session.on("error", () => {});
    try {
      const stream = session.request({
        ":path": "/headers",
        ":authority": "plain.example.com",
        "x-multi": ["1", "2"],
        cookie: ["a=1", "b=2"],
      });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (body += chunk));
      const [head] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      await once(stream, "end");
      assert.equal(head[":status"], 200);
      const seen = (JSON.parse(body) as Echo).headers;
      assert.equal(seen["x-multi"], "1,2");
      assert.equal(seen["cookie"], "a=1; b=2");
    } finally {
      session.close();
    }
  });

  it("removes a Referer that is repeated or no URL, as Envoy sanitizes it, and keeps a good one", async () => {
    assert.equal(
      (await echoedOverHttp1({ referer: "https://shop.example.com/cart?id=1" }))["referer"],
      "https://shop.example.com/cart?id=1",
    );
    assert.equal(
      (await echoedOverHttp1({ referer: "../relative/page.html" }))["referer"],
      "../relative/page.html",
    );
    assert.equal((await echoedOverHttp1({ referer: "not a url" }))["referer"], undefined);
    assert.equal((await echoedOverHttp1({ referer: "http://user:pw@example.com/" }))["referer"], undefined);
    assert.equal((await echoedOverHttp1({ referer: ["/a", "/b"] }))["referer"], undefined);
  });
});
