// Path normalization through the proxy on real sockets, from Istio YAML: as Istio's default
// `normalize_path` has Envoy do, a path is canonicalized before routing and sent upstream in that
// form, so escaped dot segments and escaped letters reach the rule for the path they spell (a deny
// rule cannot be walked around), and a path holding a NUL is refused with 400.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { ConfigDir, startFileProxy } from "./support/samples";

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
    hosts: [app.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: app
spec:
  hosts: [app.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /admin}}]
    directResponse: {status: 403, body: {string: "admin is closed"}}
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
`;

describe("path normalization on real sockets", () => {
  const dir = new ConfigDir();
  let httpbin: Backend;
  let proxy: GatewayProxy;
  let base: string;
  before(async () => {
    httpbin = await startEchoBackend("httpbin");
    proxy = await startFileProxy(
      [dir.write("paths.yaml", CONFIG)],
      [80],
      [{ host: "httpbin", ip: "127.0.0.1", port: httpbin.port }],
    );
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
  });
  after(async () => {
    await proxy.close();
    await httpbin.close();
    dir.dispose();
  });

  /** Sends `path` exactly as written (curl's --path-as-is keeps its dot segments). */
  const get = (path: string) => curl(["--path-as-is", "-H", "Host: app.example.com", `${base}${path}`]);

  for (const path of [
    "/admin",
    "/static/../admin",
    "/static/%2e%2e/admin",
    "/static/%2E%2E/admin",
    "/%61dmin",
  ]) {
    it(`${path} reaches the rule for /admin`, async () => {
      const r = await get(path);
      assert.deepEqual([r.status, r.body], [403, "admin is closed"]);
    });
  }

  const forwarded: [string, string][] = [
    ["/files/%7Euser/a%20b?q=%2e%2e", "/files/~user/a%20b?q=%2e%2e"],
    ["/files/./x/%2e/y", "/files/x/y"],
    ["/files/a%2Fb/%2f", "/files/a%2Fb/%2f"],
    ["/files/caf%C3%A9", "/files/caf%C3%A9"],
  ];
  for (const [path, upstream] of forwarded) {
    it(`${path} goes upstream as ${upstream}`, async () => {
      const r = await get(path);
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body) as Echo).url, upstream);
    });
  }

  it("refuses a path holding an escaped NUL with 400, and sends nothing upstream", async () => {
    const before = httpbin.hits.count;
    const r = await get("/files/a%00b");
    assert.equal(r.status, 400);
    assert.equal(httpbin.hits.count, before);
  });
});
