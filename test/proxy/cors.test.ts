/**
 * A corsPolicy as Envoy's cors filter applies it at Istio's gateway, with curl as the browser:
 * a preflight answered by the filter carries the policy's headers (`-Expose-Headers` too, added on
 * its way out) and none of the route's response header operations, which only the router applies;
 * a route that answers itself (a redirect, a direct response) has no route entry, so the filter
 * passes over it: its preflight gets the route's own answer, without CORS headers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { curl } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

const POLICY = `corsPolicy:
      allowOrigins: [{exact: "https://app.example"}]
      allowMethods: [GET, POST]
      exposeHeaders: [x-trace]
      maxAge: 60s`;

describe("corsPolicy as Envoy's cors filter applies it", () => {
  const dir = new ConfigDir();
  let web: Backend;
  let proxy: GatewayProxy;
  let base: string;

  before(async () => {
    web = await startEchoBackend("web");
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() +
          `  - match: [{uri: {prefix: /proxied}}]
    ${POLICY}
    headers: {response: {set: {x-route: "1"}}}
    route: [{destination: {host: web.internal}}]
  - match: [{uri: {prefix: /direct}}]
    ${POLICY}
    headers: {response: {set: {x-route: "1"}}}
    directResponse: {status: 200, body: {string: direct}}
  - match: [{uri: {prefix: /moved}}]
    ${POLICY}
    redirect: {uri: /elsewhere}
`,
        staticServiceEntry("web", [{ port: web.port }]),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], []);
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
  });

  after(async () => {
    await proxy.close();
    await web.close();
    dir.dispose();
  });

  const preflight = (path: string) =>
    curl([
      "-X",
      "OPTIONS",
      "-H",
      "Origin: https://app.example",
      "-H",
      "Access-Control-Request-Method: POST",
      `${base}${path}`,
    ]);
  const cors = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith("access-control-")));

  it("answers a preflight with the policy's headers and without the route's response operations", async () => {
    const r = await preflight("/proxied");
    assert.equal(r.status, 200);
    assert.deepEqual(cors(r.headers), {
      "access-control-allow-origin": "https://app.example",
      "access-control-allow-methods": "GET,POST",
      "access-control-max-age": "60",
      "access-control-expose-headers": "x-trace",
    });
    assert.equal(r.headers["x-route"], undefined);
    // The request itself goes upstream, and its answer has both.
    const get = await curl(["-H", "Origin: https://app.example", `${base}/proxied`]);
    assert.equal(get.status, 200);
    assert.equal(get.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(get.headers["x-route"], "1");
  });

  it("passes over a direct response: its preflight and its answers carry no CORS headers", async () => {
    const r = await preflight("/direct");
    assert.deepEqual([r.status, r.body, cors(r.headers), r.headers["x-route"]], [200, "direct", {}, "1"]);
    const get = await curl(["-H", "Origin: https://app.example", `${base}/direct`]);
    assert.deepEqual([get.status, cors(get.headers)], [200, {}]);
  });

  it("passes over a redirect: its preflight is redirected", async () => {
    const r = await preflight("/moved");
    assert.deepEqual([r.status, r.headers["location"], cors(r.headers)], [301, `${base}/elsewhere`, {}]);
  });
});
