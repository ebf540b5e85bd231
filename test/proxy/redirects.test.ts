// Redirects through the proxy on real sockets, from Istio YAML: the `Location` a client gets for
// `HTTPRedirect` and for a server's `tls.httpsRedirect`, with the Host ports clients send, as
// Envoy writes it (`RouteEntryImplBase::newUri` and `createSslRedirectPath`).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
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
    hosts: ["rw.example.com"]
  - port: {number: 80, name: http-secure, protocol: HTTP}
    hosts: ["secure.example.com"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: rw
spec:
  hosts: [rw.example.com, secure.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /to-https}}]
    redirect: {scheme: https}
  - match: [{uri: {prefix: /moved}}]
    redirect: {uri: /new}
  - match: [{uri: {prefix: /port}}]
    redirect: {scheme: https, port: 8443}
  - match: [{uri: {prefix: /elsewhere}}]
    redirect: {authority: new.example.com, redirectCode: 302}
`;

describe("redirects on real sockets", () => {
  const dir = new ConfigDir();
  let proxy: GatewayProxy;
  let base: string;
  before(async () => {
    proxy = await startFileProxy([dir.write("redirects.yaml", CONFIG)], [80], []);
    base = `http://127.0.0.1:${proxy.boundPorts().get(80)}`;
  });
  after(async () => {
    await proxy.close();
    dir.dispose();
  });

  const cases: { host: string; path: string; status: number; location: string }[] = [
    // A scheme change drops the default port of the request's scheme, and only that one.
    {
      host: "rw.example.com",
      path: "/to-https?a=1",
      status: 301,
      location: "https://rw.example.com/to-https?a=1",
    },
    {
      host: "rw.example.com:80",
      path: "/to-https",
      status: 301,
      location: "https://rw.example.com/to-https",
    },
    {
      host: "rw.example.com:443",
      path: "/to-https",
      status: 301,
      location: "https://rw.example.com:443/to-https",
    },
    {
      host: "rw.example.com:8080",
      path: "/to-https",
      status: 301,
      location: "https://rw.example.com:8080/to-https",
    },
    // Without a scheme change the Host is kept as sent, :80 included.
    { host: "rw.example.com:80", path: "/moved?q", status: 301, location: "http://rw.example.com:80/new?q" },
    { host: "rw.example.com:8080", path: "/moved", status: 301, location: "http://rw.example.com:8080/new" },
    // A port replaces the request's; an authority replaces host and port.
    {
      host: "rw.example.com:8080",
      path: "/port/x",
      status: 301,
      location: "https://rw.example.com:8443/port/x",
    },
    {
      host: "rw.example.com:8080",
      path: "/elsewhere",
      status: 302,
      location: "http://new.example.com/elsewhere",
    },
    // httpsRedirect writes the Host as sent, port included.
    { host: "secure.example.com", path: "/a?b=c", status: 301, location: "https://secure.example.com/a?b=c" },
    { host: "secure.example.com:80", path: "/a", status: 301, location: "https://secure.example.com:80/a" },
    { host: "secure.example.com:443", path: "/a", status: 301, location: "https://secure.example.com:443/a" },
  ];
  for (const c of cases) {
    it(`Host ${c.host} ${c.path} -> ${c.status} ${c.location}`, async () => {
      const r = await curl(["-H", `Host: ${c.host}`, `${base}${c.path}`]);
      assert.deepEqual([r.status, r.headers["location"], r.body], [c.status, c.location, ""]);
    });
  }
});
