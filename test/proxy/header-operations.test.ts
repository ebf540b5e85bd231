/**
 * The order of a route's and a destination's header operations, as an Istio gateway applies them.
 * With one destination, Istio merges its operations into the route's: every removal first, then the
 * route's `set` and `add`, then the destination's, so the destination's win. With several, each
 * destination's are Envoy's weighted cluster's, applied before the route's, so the route's win.
 * Either way the route's authority rewrite wins over a destination's Host.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend, Echo } from "./support/backends";
import { startEchoBackend } from "./support/backends";
import { request } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** The same operations on the route and on each of its destinations. */
const ROUTE_HEADERS = `headers:
      request: {remove: [x-a], set: {x-over: route}, add: {x-add: route}}
      response: {remove: [x-backend], set: {x-resp: route}}`;
const DESTINATION_HEADERS = `headers:
        request: {set: {x-a: dest, x-over: dest}, add: {x-add: dest}}
        response: {set: {x-backend: dest, x-resp: dest}}`;

describe("route and destination header operations, in Istio's order", () => {
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
          `  - match: [{uri: {prefix: /single}}]
    ${ROUTE_HEADERS}
    route:
    - destination: {host: web.internal}
      ${DESTINATION_HEADERS}
  - match: [{uri: {prefix: /weighted}}]
    ${ROUTE_HEADERS}
    route:
    - destination: {host: web.internal}
      weight: 50
      ${DESTINATION_HEADERS}
    - destination: {host: web.internal}
      weight: 50
      ${DESTINATION_HEADERS}
  - match: [{uri: {prefix: /authority}}]
    rewrite: {authority: route.example.com}
    route:
    - destination: {host: web.internal}
      headers: {request: {set: {host: dest.example.com}}}
  - match: [{uri: {prefix: /destination-authority}}]
    route:
    - destination: {host: web.internal}
      headers: {request: {set: {host: dest.example.com}}}
  - match: [{uri: {prefix: /several-authority}}]
    headers: {request: {set: {":authority": route.example.com}}}
    route:
    - destination: {host: web.internal}
      weight: 50
      headers: {request: {set: {host: dest.example.com}}}
    - destination: {host: web.internal}
      weight: 50
  - match: [{uri: {prefix: /several-rewrite}}]
    rewrite: {authority: rewrite.example.com}
    route:
    - destination: {host: web.internal}
      weight: 50
      headers: {request: {set: {host: dest.example.com}}}
    - destination: {host: web.internal}
      weight: 50
      headers: {request: {set: {host: dest.example.com}}}
  - match: [{uri: {prefix: /several-destination-authority}}]
    route:
    - destination: {host: web.internal}
      weight: 50
      headers: {request: {set: {host: dest.example.com}}}
    - destination: {host: web.internal}
      weight: 50
      headers: {request: {set: {host: dest.example.com}}}
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

  /** What the upstream saw of the client's headers, and the response headers the client got. */
  async function exchange(path: string): Promise<{ upstream: Record<string, unknown>; response: unknown[] }> {
    const r = await request(`${base}${path}`, { host: "shop.example", "x-a": "client", "x-over": "client" });
    assert.equal(r.status, 200);
    const seen = (JSON.parse(r.body) as Echo).headers;
    return {
      upstream: { "x-a": seen["x-a"], "x-over": seen["x-over"], "x-add": seen["x-add"] },
      response: [r.headers["x-backend"], r.headers["x-resp"]],
    };
  }

  it("a lone destination's operations come after the route's, its removals before them", async () => {
    assert.deepEqual(await exchange("/single"), {
      upstream: { "x-a": "dest", "x-over": "dest", "x-add": "route, dest" },
      response: ["dest", "dest"],
    });
  });

  it("a destination among several applies its operations before the route's", async () => {
    assert.deepEqual(await exchange("/weighted"), {
      upstream: { "x-a": undefined, "x-over": "route", "x-add": "dest, route" },
      response: [undefined, "route"],
    });
  });

  it("the route's authority rewrite wins over a lone destination's Host", async () => {
    const r = await request(`${base}/authority`, { host: "shop.example" });
    assert.equal((JSON.parse(r.body) as Echo).headers.host, "route.example.com");
    const d = await request(`${base}/destination-authority`, { host: "shop.example" });
    assert.equal((JSON.parse(d.body) as Echo).headers.host, "dest.example.com");
  });

  it("the route's authority wins over the Host of destinations among several", async () => {
    // Istio's "set host header in route and multi destination" case: Envoy rewrites the host for
    // the weighted cluster first, then for the route. Twenty requests meet both destinations.
    const hosts = async (path: string) => {
      const seen = new Set<unknown>();
      for (let i = 0; i < 20; i++) {
        const r = await request(`${base}${path}`, { host: "shop.example" });
        seen.add((JSON.parse(r.body) as Echo).headers.host);
      }
      return [...seen];
    };
    assert.deepEqual(await hosts("/several-authority"), ["route.example.com"]);
    assert.deepEqual(await hosts("/several-rewrite"), ["rewrite.example.com"]);
    assert.deepEqual(await hosts("/several-destination-authority"), ["dest.example.com"]);
  });
});
