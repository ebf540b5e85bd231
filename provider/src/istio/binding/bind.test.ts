import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { intersection, matches } from "../host";
import type { Gateway, Server, VirtualService, VirtualServiceSpec } from "../model";
import { routeBlockFor, serverKind } from "../model";
import { buildGatewayBindings, UnboundReason } from "./bind";
import { serverHostsVisibleTo } from "./server-hosts";
import { resolveShortHost } from "./short-host";

const http = (hosts: string[], number = 80): Server => ({
  port: { number, protocol: "HTTP", name: `http-${number}` },
  hosts,
});
const https = (hosts: string[], mode?: "SIMPLE" | "PASSTHROUGH"): Server => ({
  port: { number: 443, protocol: "HTTPS", name: "https" },
  hosts,
  tls: mode === undefined ? { credentialName: "cert" } : { mode, credentialName: "cert" },
});
const tcp = (hosts: string[]): Server => ({ port: { number: 9000, protocol: "TCP", name: "tcp" }, hosts });

function gw(name: string, servers: Server[], namespace = "istio-system"): Gateway {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name, namespace },
    spec: { servers },
  };
}
function vs(
  name: string,
  spec: VirtualServiceSpec,
  namespace = "default",
  creationTimestamp?: string,
): VirtualService {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace, ...(creationTimestamp === undefined ? {} : { creationTimestamp }) },
    spec,
  };
}
const route = { route: [{ destination: { host: "b" } }] };

/** The bindings of the single attachment of `v`, as plain data. */
function summary(
  gateways: Gateway[],
  virtualServices: VirtualService[],
  target: VirtualService,
  ns?: string,
) {
  const b = buildGatewayBindings({
    gateways,
    virtualServices,
    ...(ns === undefined ? {} : { gatewayNamespace: ns }),
  });
  return b.attachmentsOf(target).map((a) => ({
    gateway: a.gateway,
    unbound: a.unbound,
    bindings: a.bindings.map((x) => ({
      server: x.serverIndex,
      block: x.block,
      hosts: x.hosts,
      routes: x.routes,
    })),
  }));
}

describe("buildGatewayBindings", () => {
  const public_ = gw("public-gw", [
    http(["*.example.com", "./internal.example.com"]),
    https(["a.example.com"], "SIMPLE"),
  ]);

  it("binds http routes to HTTP and terminated HTTPS servers with intersected hosts", () => {
    const v = vs("r", { hosts: ["a.example.com"], gateways: ["istio-system/public-gw"], http: [route] });
    assert.deepEqual(summary([public_], [v], v), [
      {
        gateway: "istio-system/public-gw",
        unbound: undefined,
        bindings: [
          { server: 0, block: "http", hosts: ["a.example.com"], routes: [0] },
          { server: 1, block: "http", hosts: ["a.example.com"], routes: [0] },
        ],
      },
    ]);
  });

  it("keeps the narrower name of each pair: VS * on a server with named hosts", () => {
    const v = vs("r", { hosts: ["*"], gateways: ["istio-system/public-gw"], http: [route] }, "istio-system");
    assert.deepEqual(summary([public_], [v], v)[0]!.bindings, [
      { server: 0, block: "http", hosts: ["*.example.com", "internal.example.com"], routes: [0] },
      { server: 1, block: "http", hosts: ["a.example.com"], routes: [0] },
    ]);
  });

  it("does not let another namespace bind ./ hosts", () => {
    const v = vs("r", {
      hosts: ["internal.example.com"],
      gateways: ["istio-system/public-gw"],
      http: [route],
    });
    assert.deepEqual(summary([public_], [v], v)[0]!.bindings, [
      { server: 0, block: "http", hosts: ["internal.example.com"], routes: [0] },
    ]);
    const exact = gw("g", [http(["./internal.example.com"])]);
    const w = vs("r", { hosts: ["internal.example.com"], gateways: ["istio-system/g"], http: [route] });
    assert.deepEqual(summary([exact], [w], w), [
      { gateway: "istio-system/g", unbound: UnboundReason.NO_HOST_OVERLAP, bindings: [] },
    ]);
  });

  it("expands short VirtualService hosts before intersecting", () => {
    const g = gw("g", [http(["reviews.default.svc.cluster.local"]), http(["reviews"], 8080)]);
    const v = vs("r", { hosts: ["reviews"], gateways: ["istio-system/g"], http: [route] });
    assert.deepEqual(summary([g], [v], v)[0]!.bindings, [
      { server: 0, block: "http", hosts: ["reviews.default.svc.cluster.local"], routes: [0] },
    ]);
  });

  it("uses tls rules on PASSTHROUGH servers (omitted mode too) and ignores http there", () => {
    const g = gw("g", [https(["a.example.com"])]);
    const v = vs("r", { hosts: ["a.example.com"], gateways: ["istio-system/g"], http: [route] });
    assert.deepEqual(summary([g], [v], v), [
      { gateway: "istio-system/g", unbound: UnboundReason.NO_ROUTE_BLOCK, bindings: [] },
    ]);
    const t = vs("t", {
      hosts: ["a.example.com"],
      gateways: ["istio-system/g"],
      tls: [{ match: [{ sniHosts: ["a.example.com"] }], route: route.route }],
    });
    assert.deepEqual(summary([g], [t], t)[0]!.bindings, [
      { server: 0, block: "tls", hosts: ["a.example.com"], routes: [0] },
    ]);
  });

  it("uses tcp rules on TCP servers, matching hosts with Matches", () => {
    const g = gw("g", [tcp(["*.db.example.com"])]);
    const v = vs("r", {
      hosts: ["*.example.com"],
      gateways: ["istio-system/g"],
      tcp: [{ route: route.route }],
    });
    assert.deepEqual(summary([g], [v], v)[0]!.bindings, [
      { server: 0, block: "tcp", hosts: ["*.example.com"], routes: [0] },
    ]);
  });

  it("reports a missing gateway, resolving short names in the VirtualService namespace", () => {
    const v = vs("r", { hosts: ["a.example.com"], gateways: ["public-gw", "mesh"], http: [route] });
    assert.deepEqual(summary([public_], [v], v), [
      { gateway: "default/public-gw", unbound: UnboundReason.GATEWAY_NOT_FOUND, bindings: [] },
    ]);
  });

  it("does not bind a VirtualService not exported to the gateway pod namespace", () => {
    const v = vs("r", {
      hosts: ["a.example.com"],
      gateways: ["istio-system/public-gw"],
      exportTo: ["."],
      http: [route],
    });
    assert.deepEqual(summary([public_], [v], v), [
      { gateway: "istio-system/public-gw", unbound: UnboundReason.NOT_EXPORTED, bindings: [] },
    ]);
    assert.equal(summary([public_], [v], v, "default")[0]!.bindings.length, 2);
  });

  it("drops rules whose match.port or match.gateways never apply to the server", () => {
    const v = vs("r", {
      hosts: ["a.example.com"],
      gateways: ["istio-system/public-gw", "istio-system/other"],
      http: [
        { match: [{ port: 443 }], ...route },
        { match: [{ gateways: ["istio-system/other"] }], ...route },
        { match: [{ port: 80, gateways: ["public-gw.istio-system"] }], ...route },
      ],
    });
    assert.deepEqual(summary([public_], [v], v)[0]!.bindings, [
      { server: 0, block: "http", hosts: ["a.example.com"], routes: [2] },
      { server: 1, block: "http", hosts: ["a.example.com"], routes: [0] },
    ]);
    const never = vs("n", {
      hosts: ["a.example.com"],
      gateways: ["istio-system/public-gw"],
      http: [{ match: [{ port: 8443 }], ...route }],
    });
    assert.deepEqual(summary([public_], [never], never), [
      { gateway: "istio-system/public-gw", unbound: UnboundReason.NO_APPLICABLE_ROUTE, bindings: [] },
    ]);
  });

  it("lists a gateway pod's own namespace's VirtualServices first, then those exported to it, then public ones", () => {
    const bound = (name: string, namespace: string, created: string, exportTo?: string[]) =>
      vs(
        name,
        {
          hosts: ["e.example.com"],
          gateways: ["istio-system/public-gw"],
          http: [route],
          ...(exportTo === undefined ? {} : { exportTo }),
        },
        namespace,
        created,
      );
    const bindings = buildGatewayBindings({
      gateways: [public_],
      virtualServices: [
        bound("public-old", "team-a", "2024-01-01T00:00:00Z"),
        bound("exported-new", "team-b", "2024-06-01T00:00:00Z", ["istio-system"]),
        bound("private-newest", "istio-system", "2024-09-01T00:00:00Z", ["."]),
        bound("public-star", "team-c", "2023-01-01T00:00:00Z", ["*", "istio-system"]),
        bound("hidden", "team-d", "2020-01-01T00:00:00Z", ["team-d"]),
      ],
    }).bindingsFor("istio-system/public-gw", 0);
    assert.deepEqual(
      bindings.map((x) => x.virtualService.metadata.name),
      ["private-newest", "exported-new", "public-star", "public-old"],
    );
  });

  it("orders bindings of a server by creation time, then by name and namespace, as pilot sorts them", () => {
    const a = vs(
      "a",
      { hosts: ["a.example.com"], gateways: ["istio-system/public-gw"], http: [route] },
      "default",
      "2024-01-02T00:00:00Z",
    );
    const b = vs(
      "b",
      { hosts: ["b.example.com"], gateways: ["istio-system/public-gw"], http: [route] },
      "default",
      "2024-01-01T00:00:00Z",
    );
    const c = vs("c", { hosts: ["c.example.com"], gateways: ["istio-system/public-gw"], http: [route] });
    // Tied with b to the second, and without a timestamp as c: the name decides, then the namespace.
    const b2 = vs(
      "b2",
      { hosts: ["b.example.com"], gateways: ["istio-system/public-gw"], http: [route] },
      "default",
      "2024-01-01T00:00:00Z",
    );
    const c2 = vs(
      "c",
      { hosts: ["c.example.com"], gateways: ["istio-system/public-gw"], http: [route] },
      "apps",
    );
    const a0 = vs("a0", { hosts: ["a.example.com"], gateways: ["istio-system/public-gw"], http: [route] });
    const bindings = buildGatewayBindings({
      gateways: [public_],
      virtualServices: [a, b2, c, b, c2, a0],
    }).bindingsFor("istio-system/public-gw", 0);
    assert.deepEqual(
      bindings.map((x) => `${x.virtualService.metadata.namespace}/${x.virtualService.metadata.name}`),
      ["default/a0", "apps/c", "default/c", "default/b", "default/b2", "default/a"],
    );
  });

  it("keeps server indexes of spec.servers when a server is malformed", () => {
    const g = gw("g", [null as unknown as Server, http(["a.example.com"])]);
    const v = vs("r", { hosts: ["a.example.com"], gateways: ["istio-system/g"], http: [route] });
    assert.deepEqual(summary([g], [v], v)[0]!.bindings, [
      { server: 1, block: "http", hosts: ["a.example.com"], routes: [0] },
    ]);
  });

  it("counts a repeated gateway reference once", () => {
    const v = vs("r", {
      hosts: ["a.example.com"],
      gateways: ["istio-system/public-gw", "public-gw.istio-system"],
      http: [route],
    });
    const b = buildGatewayBindings({ gateways: [public_], virtualServices: [v] });
    assert.deepEqual(
      b.attachmentsOf(v).map((a) => [a.duplicate, a.bindings.length]),
      [
        [false, 2],
        [true, 0],
      ],
    );
    assert.equal(b.bindingsFor("istio-system/public-gw", 0).length, 1);
  });
});

describe("ServerHostIndex through buildGatewayBindings agrees with a direct scan", () => {
  const label = fc.constantFrom("a", "b", "example", "com", "x");
  const plain = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join("."));
  const host = fc.oneof(
    plain,
    plain.map((h) => `*.${h}`),
    fc.constant("*"),
    plain.map((h) => `*${h}`),
    fc.constantFrom("reviews", "a"),
  );
  const serverHost = fc.oneof(
    host,
    host.map((h) => `./${h}`),
    host.map((h) => `*/${h}`),
    host.map((h) => `default/${h}`),
    fc.constant("*/*"),
  );
  const kinds = fc.constantFrom("HTTP", "TCP", "HTTPS");

  it("finds the same servers and hosts", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ hosts: fc.array(serverHost, { minLength: 1, maxLength: 4 }), protocol: kinds }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(host, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("default", "istio-system", "other"),
        (servers, vsHosts, ns) => {
          const g = gw(
            "g",
            servers.map((s, i) => ({
              port: { number: 1000 + i, protocol: s.protocol, name: `p${i}` },
              hosts: s.hosts,
              ...(s.protocol === "HTTPS" ? { tls: { mode: "SIMPLE" as const, credentialName: "c" } } : {}),
            })),
          );
          const v = vs(
            "r",
            { hosts: vsHosts, gateways: ["istio-system/g"], http: [route], tcp: [route] },
            ns,
          );
          const got = buildGatewayBindings({ gateways: [g], virtualServices: [v] })
            .attachmentsOf(v)[0]!
            .servers.map((m) => [m.serverIndex, m.hosts]);
          const expanded = vsHosts.map((h) => resolveShortHost(h, ns));
          const want: Array<[number, string[]]> = [];
          g.spec.servers!.forEach((s, i) => {
            const visible = serverHostsVisibleTo(s, "istio-system", ns);
            if (routeBlockFor(serverKind(s)) === "http") {
              const hosts = intersection(visible, expanded);
              if (hosts.length > 0) want.push([i, hosts]);
            } else {
              const hosts = [...new Set(expanded.filter((h) => visible.some((sh) => matches(sh, h))))];
              if (hosts.length > 0) want.push([i, hosts]);
            }
          });
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 2000, seed: 4242 },
    );
  });
});
