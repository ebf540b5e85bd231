import assert from "node:assert/strict";
import { test } from "node:test";
import type { ServicePortInfo } from "./kubernetes-objects";
import { servicePortProtocol } from "./service-port-protocol";

test("servicePortProtocol: appProtocol first, then the port name, as Istio converts a Service", () => {
  const cases: [Omit<ServicePortInfo, "port"> & { port?: number }, string | undefined][] = [
    // The port name alone.
    [{ name: "http" }, "HTTP"],
    [{ name: "http2-api" }, "HTTP2"],
    [{ name: "GRPC" }, "GRPC"],
    [{ name: "grpc-web" }, "GRPC-WEB"],
    [{ name: "Grpc-Web-ui" }, "GRPC-WEB"],
    [{ name: "https-admin" }, "HTTPS"],
    [{ name: "tcp-db" }, "TCP"],
    [{ name: "tls" }, "TLS"],
    [{ name: "web" }, undefined],
    [{ name: "" }, undefined],
    // appProtocol replaces the name, read the same way and case-insensitively.
    [{ name: "web", appProtocol: "http" }, "HTTP"],
    [{ name: "web", appProtocol: "HTTP2" }, "HTTP2"],
    [{ name: "web", appProtocol: "grpc" }, "GRPC"],
    [{ name: "web", appProtocol: "gRPC-Web" }, "GRPC-WEB"],
    [{ name: "web", appProtocol: "https" }, "HTTPS"],
    [{ name: "http", appProtocol: "tcp" }, "TCP"],
    [{ name: "web", appProtocol: "tls" }, "TLS"],
    [{ name: "web", appProtocol: "http-legacy" }, "HTTP"],
    [{ name: "grpc", appProtocol: "example.com/custom" }, undefined],
    // Kubernetes' standard application protocols, exactly spelled and only in appProtocol.
    [{ name: "web", appProtocol: "kubernetes.io/h2c" }, "HTTP2"],
    [{ name: "web", appProtocol: "kubernetes.io/ws" }, "HTTP"],
    [{ name: "web", appProtocol: "kubernetes.io/wss" }, "HTTPS"],
    [{ name: "web", appProtocol: "Kubernetes.io/H2C" }, undefined],
    [{ name: "kubernetes.io/h2c" }, undefined],
    // UDP whatever the names; TCP on well-known ports when nothing else says.
    [{ name: "http", protocol: "UDP" }, "UDP"],
    [{ name: "dns", port: 53 }, "TCP"],
    [{ name: "", port: 3306 }, "TCP"],
    [{ name: "web", port: 27017 }, "TCP"],
    [{ name: "smtp", port: 25, appProtocol: "custom" }, "TCP"],
    [{ name: "http", port: 3306 }, "HTTP"],
  ];
  for (const [port, want] of cases) {
    assert.equal(servicePortProtocol({ port: 8080, ...port }), want, JSON.stringify(port));
  }
});
