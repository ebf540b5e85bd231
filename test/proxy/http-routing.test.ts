import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ProxyConfig } from "../../provider/src/istio/translate/proxy-config";
import { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { textSink } from "./support/access-log-sinks";
import { curl } from "./support/curl";
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

describe("HTTP routing on real sockets", () => {
  let productpage: Backend;
  let reviews: Backend;
  let proxy: GatewayProxy;
  let base: string;
  const logs: string[] = [];
  const access: string[] = [];

  before(async () => {
    productpage = await startEchoBackend("productpage");
    reviews = await startEchoBackend("reviews");
    const config: ProxyConfig = proxyConfig(
      "v1",
      [
        httpListener(8080, [
          vhost(
            "bookinfo.com:8080",
            ["bookinfo.com"],
            [
              route(
                "direct",
                { kind: "directResponse", status: 418, body: { inlineString: "teapot" } },
                { match: match({ uri: { kind: "exact", value: "/teapot" } }) },
              ),
              route(
                "direct-bytes",
                { kind: "directResponse", status: 200, body: { inlineBytes: "aGVsbG8=" } },
                { match: match({ uri: { kind: "exact", value: "/hello-bytes" } }) },
              ),
              route(
                "redirect",
                { kind: "redirect", uri: "/new", responseCode: 302 },
                { match: match({ uri: { kind: "exact", value: "/old" } }) },
              ),
              route("down", forward("outbound|9|v1|down.default.svc.cluster.local"), {
                match: match({ uri: { kind: "prefix", value: "/down" } }),
              }),
              route("empty", forward("outbound|9||empty.default.svc.cluster.local"), {
                match: match({ uri: { kind: "prefix", value: "/empty" } }),
              }),
              // A subset no DestinationRule defines: Istio makes no cluster of it.
              route("undefined-subset", forward("outbound|9|v9|empty.default.svc.cluster.local"), {
                match: match({ uri: { kind: "prefix", value: "/undefined-subset" } }),
              }),
              route(
                "slow",
                forward("outbound|9080||productpage.default.svc.cluster.local", { timeoutMs: 100 }),
                { match: match({ uri: { kind: "prefix", value: "/delay" } }) },
              ),
              route(
                "reviews",
                forward("outbound|9080||reviews.default.svc.cluster.local", { rewrite: { uri: "/" } }),
                {
                  match: match({ uri: { kind: "prefix", value: "/reviews/" } }),
                  headers: {
                    request: { set: [["x-route", "reviews"]], add: [], remove: ["x-secret"] },
                    response: { set: [["x-served-by", "igw"]], add: [], remove: ["x-backend"] },
                  },
                },
              ),
              route("productpage", forward("outbound|9080||productpage.default.svc.cluster.local"), {
                match: match({ uri: { kind: "prefix", value: "/productpage" } }),
              }),
            ],
          ),
        ]),
      ],
      [
        cluster("outbound|9080||productpage.default.svc.cluster.local", [
          { address: "127.0.0.1", port: productpage.port },
        ]),
        cluster("outbound|9080||reviews.default.svc.cluster.local", [
          { address: "127.0.0.1", port: reviews.port },
        ]),
        cluster("outbound|9|v1|down.default.svc.cluster.local", [{ address: "127.0.0.1", port: 1 }]),
        cluster("outbound|9||empty.default.svc.cluster.local", []),
      ],
    );
    void NO_HEADERS;
    proxy = new GatewayProxy({
      load: async () => ({ config, messages: [] }),
      watchPaths: [],
      namespace: "istio-system",
      log: (l) => logs.push(l),
      accessLog: textSink(access),
    });
    await proxy.start();
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
  });
  after(async () => {
    await proxy.close();
    await productpage.close();
    await reviews.close();
  });

  it("forwards by host and path with the upstream's answer", async () => {
    const r = await curl(["-H", "Host: bookinfo.com", `${base}/productpage?u=1`]);
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-backend"], "productpage");
    const echo = JSON.parse(r.body) as Echo;
    assert.equal(echo.url, "/productpage?u=1");
    assert.equal(echo.headers.host, "bookinfo.com");
    assert.equal(echo.headers["x-forwarded-proto"], "http");
    assert.equal(echo.headers["x-forwarded-for"], "127.0.0.1");
    assert.match(String(echo.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });

  it("rewrites the prefix and applies header operations both ways", async () => {
    const r = await curl(["-H", "Host: bookinfo.com", "-H", "x-secret: s", `${base}/reviews/1`]);
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-backend"], undefined);
    assert.equal(r.headers["x-served-by"], "igw");
    const echo = JSON.parse(r.body) as Echo;
    assert.equal(echo.name, "reviews");
    assert.equal(echo.url, "/1");
    assert.equal(echo.headers["x-route"], "reviews");
    assert.equal(echo.headers["x-secret"], undefined);
  });

  const statuses: {
    name: string;
    args: string[];
    path: string;
    status: number;
    code?: string;
    body: string;
  }[] = [
    {
      name: "unknown host",
      args: ["-H", "Host: other.com"],
      path: "/productpage",
      status: 404,
      code: "IGW_ERR_NO_ROUTE",
      body: "",
    },
    {
      name: "no route",
      args: ["-H", "Host: bookinfo.com"],
      path: "/nothing",
      status: 404,
      code: "IGW_ERR_NO_ROUTE",
      body: "",
    },
    {
      name: "direct response",
      args: ["-H", "Host: bookinfo.com"],
      path: "/teapot",
      status: 418,
      body: "teapot",
    },
    {
      name: "connect failure",
      args: ["-H", "Host: bookinfo.com"],
      path: "/down",
      status: 503,
      code: "IGW_ERR_UPSTREAM_CONNECT",
      body: "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused",
    },
    {
      name: "no endpoints",
      args: ["-H", "Host: bookinfo.com"],
      path: "/empty",
      status: 503,
      code: "IGW_ERR_NO_HEALTHY_UPSTREAM",
      body: "no healthy upstream",
    },
    {
      name: "a cluster that does not exist (Envoy's NC, with no body)",
      args: ["-H", "Host: bookinfo.com"],
      path: "/undefined-subset",
      status: 503,
      code: "IGW_ERR_NO_CLUSTER",
      body: "",
    },
    {
      name: "route timeout",
      args: ["-H", "Host: bookinfo.com"],
      path: "/delay/2000",
      status: 504,
      code: "IGW_ERR_UPSTREAM_TIMEOUT",
      body: "upstream request timeout",
    },
  ];
  for (const c of statuses) {
    it(`answers ${c.status} for ${c.name}`, async () => {
      const r = await curl([...c.args, `${base}${c.path}`]);
      assert.equal(r.status, c.status);
      assert.equal(r.headers["x-igw-error-code"], c.code);
      assert.equal(r.body, c.body);
    });
  }

  it("types a direct response's body as text/plain, bytes as well as a string, as Envoy's local reply", async () => {
    for (const [path, body] of [
      ["/teapot", "teapot"],
      ["/hello-bytes", "hello"],
    ]) {
      const r = await curl(["-H", "Host: bookinfo.com", `${base}${path}`]);
      assert.deepEqual(
        [r.body, r.headers["content-type"], r.headers["content-length"]],
        [body, "text/plain", String(body!.length)],
      );
    }
  });

  it("redirects", async () => {
    const r = await curl(["-H", "Host: bookinfo.com", `${base}/old?q=1`]);
    assert.equal(r.status, 302);
    assert.equal(r.headers["location"], "http://bookinfo.com/new?q=1");
  });

  it("streams request bodies upstream", async () => {
    const r = await curl(
      ["-H", "Host: bookinfo.com", "--data-binary", "@-", `${base}/productpage`].map((a) =>
        a === "@-" ? "x".repeat(100000) : a,
      ),
    );
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Echo).bodyLength, 100000);
  });

  it("writes one access-log line naming every stage", async () => {
    await curl(["-H", "Host: bookinfo.com", "-A", "test-agent", `${base}/productpage/x`]);
    // Lines are written in batches, at the latest 100 ms after the first one.
    const find = () =>
      access
        .join("")
        .trim()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l["path"] === "/productpage/x");
    for (let i = 0; i < 40 && find() === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    const line = find();
    assert.ok(line !== undefined);
    assert.equal(line["listener"], "127.0.0.1_8080");
    assert.equal(line["filter_chain"], "http.8080");
    assert.equal(line["route_config"], "http.8080");
    assert.equal(line["virtual_host"], "bookinfo.com:8080");
    assert.equal(line["route_name"], "productpage");
    assert.equal(line["upstream_cluster"], "outbound|9080||productpage.default.svc.cluster.local");
    assert.equal(line["upstream_host"], `127.0.0.1:${productpage.port}`);
    assert.equal(line["response_code"], 200);
    assert.equal(line["response_flags"], "-");
    assert.equal(line["user_agent"], "test-agent");
  });
});
