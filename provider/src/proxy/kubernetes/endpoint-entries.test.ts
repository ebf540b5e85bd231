import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildEndpointEntries } from "./endpoint-entries";
import type { EndpointInputs } from "./endpoint-entries";

const inputs: EndpointInputs = {
  services: [
    {
      namespace: "default",
      name: "reviews",
      type: "ClusterIP",
      ports: [{ name: "http", port: 9080, targetPort: 9081 }],
    },
    { namespace: "default", name: "plain", type: "ClusterIP", ports: [{ name: "", port: 80 }] },
    { namespace: "default", name: "nothing-yet", type: "ClusterIP", ports: [{ name: "http", port: 80 }] },
    { namespace: "default", name: "external", type: "ExternalName", ports: [] },
  ],
  endpointSlices: [
    {
      namespace: "default",
      name: "reviews-b",
      serviceName: "reviews",
      addressType: "IPv4",
      ports: [{ name: "http", port: 9081 }],
      endpoints: [
        { addresses: ["10.0.0.2"], ready: true, pod: { namespace: "default", name: "reviews-v2" } },
        { addresses: ["10.0.0.3"], ready: false, pod: { namespace: "default", name: "reviews-v3" } },
      ],
    },
    {
      namespace: "default",
      name: "reviews-a",
      serviceName: "reviews",
      addressType: "IPv4",
      ports: [{ name: "http", port: 9081 }],
      endpoints: [
        { addresses: ["10.0.0.1"], ready: true, pod: { namespace: "default", name: "reviews-v1" } },
        { addresses: ["10.0.0.9"], ready: true, pod: { namespace: "default", name: "gone" } },
      ],
    },
    {
      namespace: "default",
      name: "plain-a",
      serviceName: "plain",
      addressType: "IPv4",
      ports: [{ name: "", port: 8080 }],
      endpoints: [{ addresses: ["10.0.1.1"], ready: true }],
    },
    { namespace: "default", name: "orphan", serviceName: "", addressType: "IPv4", ports: [], endpoints: [] },
  ],
  pods: [
    { namespace: "default", name: "reviews-v1", labels: { app: "reviews", version: "v1" } },
    { namespace: "default", name: "reviews-v2", labels: { app: "reviews", version: "v2" } },
  ],
};

const ref = (name: string) => ({ namespace: "default", name });

describe("buildEndpointEntries", () => {
  it("lists ready addresses with their pods' labels and ports by Service port name", () => {
    assert.deepEqual(buildEndpointEntries([ref("reviews")], inputs), [
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: {
          name: "reviews.endpointslices",
          namespace: "default",
          annotations: { "istio-gateway.dev/endpoints-of": "Service default/reviews" },
        },
        spec: {
          hosts: ["reviews.default.svc.cluster.local"],
          ports: [{ number: 9080, name: "http", protocol: "HTTP", targetPort: 9081 }],
          location: "MESH_INTERNAL",
          resolution: "STATIC",
          endpoints: [
            { address: "10.0.0.1", ports: { http: 9081 }, labels: { app: "reviews", version: "v1" } },
            { address: "10.0.0.2", ports: { http: 9081 }, labels: { app: "reviews", version: "v2" } },
            { address: "10.0.0.9", ports: { http: 9081 }, labels: {} },
          ],
          exportTo: ["*"],
        },
      },
    ]);
  });

  it("names an unnamed port so the endpoint's port can refer to it", () => {
    const [entry] = buildEndpointEntries([ref("plain")], inputs);
    assert.deepEqual(entry?.spec.ports, [{ number: 80, name: "port-80" }]);
    assert.deepEqual(entry?.spec.endpoints, [
      { address: "10.0.1.1", ports: { "port-80": 8080 }, labels: {} },
    ]);
  });

  it("makes no entry without a Service, for ExternalName, or when a ServiceEntry has the host", () => {
    assert.deepEqual(
      buildEndpointEntries(
        [ref("missing"), ref("external"), ref("reviews")],
        inputs,
        new Set(["reviews.default.svc.cluster.local"]),
      ),
      [],
    );
  });

  it("gives a Service without EndpointSlices an entry without endpoints, resolved by DNS on its own ports", () => {
    assert.deepEqual(buildEndpointEntries([ref("nothing-yet")], inputs), [
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: {
          name: "nothing-yet.endpointslices",
          namespace: "default",
          annotations: { "istio-gateway.dev/endpoints-of": "Service default/nothing-yet" },
        },
        spec: {
          hosts: ["nothing-yet.default.svc.cluster.local"],
          ports: [{ number: 80, name: "http", protocol: "HTTP" }],
          location: "MESH_INTERNAL",
          resolution: "DNS",
          exportTo: ["*"],
        },
      },
    ]);
  });

  it("gives each port the protocol Istio reads from its appProtocol, else its name", () => {
    const service = (ports: EndpointInputs["services"][number]["ports"]) => ({
      ...inputs,
      services: [{ namespace: "default", name: "api", type: "ClusterIP", ports }],
    });
    const [entry] = buildEndpointEntries(
      [ref("api")],
      service([
        { name: "web", port: 80, appProtocol: "kubernetes.io/h2c" },
        { name: "rpc", port: 81, targetPort: 9081, appProtocol: "grpc" },
        { name: "http", port: 82, appProtocol: "example.com/custom" },
        { name: "grpc-api", port: 83 },
        { name: "admin", port: 84 },
      ]),
    );
    assert.deepEqual(entry?.spec.ports, [
      { number: 80, name: "web", protocol: "HTTP2" },
      { number: 81, name: "rpc", protocol: "GRPC" },
      { number: 82, name: "http", protocol: "example.com/custom" },
      { number: 83, name: "grpc-api", protocol: "GRPC" },
      { number: 84, name: "admin" },
    ]);
  });

  it("resolves by DNS when a slice holds names", () => {
    const [entry] = buildEndpointEntries([ref("plain")], {
      ...inputs,
      endpointSlices: [
        {
          namespace: "default",
          name: "p",
          serviceName: "plain",
          addressType: "FQDN",
          ports: [{ name: "", port: 80 }],
          endpoints: [{ addresses: ["db.example.com"], ready: true }],
        },
      ],
    });
    assert.equal(entry?.spec.resolution, "DNS");
  });
});
