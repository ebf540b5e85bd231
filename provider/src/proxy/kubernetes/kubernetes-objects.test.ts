import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toEndpointSliceInfo, toPlainObject, toPodInfo, toSecret, toServiceInfo } from "./kubernetes-objects";

describe("core objects as the source keeps them", () => {
  it("keeps a Secret's name, namespace, type and base64 data only", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "cred",
        namespace: "istio-system",
        resourceVersion: "42",
        uid: "u",
        managedFields: [{}],
      },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5", odd: 7 },
    };
    assert.deepEqual(toSecret(secret), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cred", namespace: "istio-system", resourceVersion: "42" },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" },
    });
  });

  it("reads Service ports, keeping numeric target ports only, transports other than TCP and application protocols", () => {
    const service = {
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        ports: [
          { name: "http", port: 9080, targetPort: 9081, protocol: "TCP" },
          { name: "metrics", port: 9090, targetPort: "metrics" },
          { name: "api", port: 9091, appProtocol: "kubernetes.io/h2c" },
          { name: "dns", port: 53, protocol: "UDP", appProtocol: 7 },
          { port: "bad" },
        ],
      },
    };
    assert.deepEqual(toServiceInfo(service), {
      namespace: "default",
      name: "reviews",
      type: "ClusterIP",
      ports: [
        { name: "http", port: 9080, targetPort: 9081 },
        { name: "metrics", port: 9090 },
        { name: "api", port: 9091, appProtocol: "kubernetes.io/h2c" },
        { name: "dns", port: 53, protocol: "UDP" },
      ],
    });
  });

  it("reads an EndpointSlice's service, ports, readiness and pods", () => {
    const slice = {
      metadata: {
        name: "reviews-abc",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "reviews" },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 9081, protocol: "TCP" }],
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name: "reviews-v1-x", namespace: "default" },
        },
        {
          addresses: ["10.0.0.2"],
          conditions: { ready: false },
          targetRef: { kind: "Pod", name: "reviews-v2-y" },
        },
        { addresses: ["10.0.0.3"], targetRef: { kind: "Node", name: "n1" } },
      ],
    };
    assert.deepEqual(toEndpointSliceInfo(slice), {
      namespace: "default",
      name: "reviews-abc",
      serviceName: "reviews",
      addressType: "IPv4",
      ports: [{ name: "http", port: 9081 }],
      endpoints: [
        { addresses: ["10.0.0.1"], ready: true, pod: { namespace: "default", name: "reviews-v1-x" } },
        { addresses: ["10.0.0.2"], ready: false, pod: { namespace: "default", name: "reviews-v2-y" } },
        { addresses: ["10.0.0.3"], ready: true },
      ],
    });
  });

  it("reads a Pod's labels", () => {
    assert.deepEqual(
      toPodInfo({ metadata: { name: "p", namespace: "n", labels: { app: "a", n: 1 } }, spec: {} }),
      {
        namespace: "n",
        name: "p",
        labels: { app: "a" },
      },
    );
  });

  it("turns a client Date timestamp back into RFC 3339 text and leaves plain JSON alone", () => {
    const plain = { metadata: { name: "g", creationTimestamp: "2026-01-02T03:04:05Z" } };
    assert.equal(toPlainObject(plain), plain);
    assert.deepEqual(
      toPlainObject({ metadata: { name: "g", creationTimestamp: new Date("2026-01-02T03:04:05Z") } }),
      plain,
    );
  });
});
