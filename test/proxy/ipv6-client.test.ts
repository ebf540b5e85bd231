/**
 * A client on IPv6 loopback (`::1`), through a listener bound there: its address reaches the
 * upstream in `x-forwarded-for` and `x-envoy-external-address` as it is, and the access log writes
 * it as Envoy writes `%DOWNSTREAM_REMOTE_ADDRESS%`, bracketed before its port.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { loggedLine } from "./support/access-log-sinks";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { startConfigProxy } from "./support/config-proxy";
import { curl } from "./support/curl";
import { cluster, forward, httpListener, proxyConfig, route, vhost } from "./support/proxy-config-builders";

describe("a client on IPv6 loopback", () => {
  let backend: Backend;
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];

  before(async () => {
    backend = await startEchoBackend("v6");
    const listener = {
      ...httpListener(8080, [vhost("v6", ["v6.example"], [route("all", forward("outbound|80||v6"))])]),
      name: "[::1]_8080",
      address: "::1",
    };
    const config = proxyConfig(
      "v6",
      [listener],
      [cluster("outbound|80||v6", [{ address: "127.0.0.1", port: backend.port }])],
    );
    proxy = await startConfigProxy(config, access);
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    await backend.close();
  });

  it("is forwarded as ::1 and logged as [::1]:port", async () => {
    const r = await curl(["-H", "Host: v6.example", `http://[::1]:${port}/hello`]);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as Echo;
    assert.equal(echo.headers["x-forwarded-for"], "::1");
    assert.equal(echo.headers["x-envoy-external-address"], "::1");
    const line = await loggedLine(access, "/hello");
    assert.match(String(line["downstream_remote_address"]), /^\[::1\]:\d+$/);
    assert.equal(line["upstream_host"], `127.0.0.1:${backend.port}`);
  });
});
