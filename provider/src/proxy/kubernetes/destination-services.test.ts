import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VirtualService } from "../../istio/model";
import { destinationServices, serviceHost, serviceOfHost } from "./destination-services";

describe("serviceOfHost", () => {
  const cases: [string, ReturnType<typeof serviceOfHost>][] = [
    ["reviews.default.svc.cluster.local", { name: "reviews", namespace: "default" }],
    ["Reviews.Default.svc.cluster.local", { name: "reviews", namespace: "default" }],
    ["reviews.svc.cluster.local", undefined],
    ["a.b.c.svc.cluster.local", undefined],
    ["*.default.svc.cluster.local", undefined],
    ["reviews", undefined],
    ["httpbin.org", undefined],
    ["10.0.0.1", undefined],
  ];
  for (const [host, want] of cases) {
    it(JSON.stringify(host), () => assert.deepEqual(serviceOfHost(host), want));
  }
  it("serviceHost is its inverse", () => {
    assert.equal(serviceHost({ name: "reviews", namespace: "default" }), "reviews.default.svc.cluster.local");
  });
});

function vs(
  namespace: string,
  exportTo: string[] | undefined,
  spec: Partial<VirtualService["spec"]>,
): VirtualService {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "vs", namespace },
    spec: { hosts: ["*"], ...(exportTo === undefined ? {} : { exportTo }), ...spec },
  };
}

describe("destinationServices", () => {
  it("expands short hosts against the VirtualService's namespace, across every route kind", () => {
    const got = destinationServices(
      [
        vs("bookinfo", undefined, {
          http: [
            {
              route: [
                { destination: { host: "productpage" } },
                { destination: { host: "reviews.other.svc.cluster.local" } },
              ],
              mirror: { host: "mirror" },
              mirrors: [{ destination: { host: "mirror2" } }],
            },
          ],
          tls: [
            { match: [{ sniHosts: ["a.example.com"] }], route: [{ destination: { host: "tls-backend" } }] },
          ],
          tcp: [
            {
              route: [
                { destination: { host: "db.data.svc.cluster.local" } },
                { destination: { host: "httpbin.org" } },
              ],
            },
          ],
        }),
      ],
      "istio-system",
    );
    assert.deepEqual(got, [
      { name: "mirror", namespace: "bookinfo" },
      { name: "mirror2", namespace: "bookinfo" },
      { name: "productpage", namespace: "bookinfo" },
      { name: "tls-backend", namespace: "bookinfo" },
      { name: "db", namespace: "data" },
      { name: "reviews", namespace: "other" },
    ]);
  });

  it("leaves out VirtualServices not exported to the proxy's namespace", () => {
    const route = { http: [{ route: [{ destination: { host: "a" } }] }] };
    assert.deepEqual(
      destinationServices([vs("x", ["."], route), vs("y", ["other"], route)], "istio-system"),
      [],
    );
    assert.deepEqual(destinationServices([vs("x", ["istio-system"], route)], "istio-system"), [
      { name: "a", namespace: "x" },
    ]);
  });
});
