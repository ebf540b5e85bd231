import assert from "node:assert/strict";
import { test } from "node:test";
import type { H2UpgradePolicy, ServicePort } from "../model";
import { destinationPortProtocol, upstreamProtocolOf } from "./upstream-protocol";

test("destinationPortProtocol: the entry's protocol, else Istio's reading of the port name", () => {
  const cases: [ServicePort | undefined, string | undefined][] = [
    [undefined, undefined],
    [{ number: 80, name: "web", protocol: "HTTP2" }, "HTTP2"],
    [{ number: 80, name: "grpc", protocol: "http" }, "HTTP"],
    [{ number: 80, name: "x", protocol: "grpc" }, "GRPC"],
    [{ number: 80, name: "x", protocol: "QUIC" }, undefined],
    [{ number: 80, name: "http2" }, "HTTP2"],
    [{ number: 80, name: "grpc-api" }, "GRPC"],
    [{ number: 80, name: "GRPC" }, "GRPC"],
    [{ number: 80, name: "grpc-web" }, "GRPC-WEB"],
    [{ number: 80, name: "grpc-web-ui" }, "GRPC-WEB"],
    [{ number: 80, name: "http-api" }, "HTTP"],
    [{ number: 80, name: "tcp" }, "TCP"],
    [{ number: 80, name: "port-80" }, undefined],
    [{ number: 80, name: "" }, undefined],
  ];
  for (const [port, want] of cases) assert.equal(destinationPortProtocol(port), want, JSON.stringify(port));
});

test("upstreamProtocolOf: HTTP2, GRPC and GRPC-WEB ports always, other HTTP ports on UPGRADE", () => {
  const cases: [string | undefined, H2UpgradePolicy | undefined, string][] = [
    [undefined, undefined, "HTTP/1.1"],
    ["HTTP", undefined, "HTTP/1.1"],
    ["HTTP2", undefined, "HTTP/2"],
    ["GRPC", undefined, "HTTP/2"],
    ["GRPC", "DO_NOT_UPGRADE", "HTTP/2"],
    ["HTTP2", "DEFAULT", "HTTP/2"],
    ["GRPC-WEB", undefined, "HTTP/2"],
    ["GRPC-WEB", "DO_NOT_UPGRADE", "HTTP/2"],
    ["HTTP", "UPGRADE", "HTTP/2"],
    [undefined, "UPGRADE", "HTTP/2"],
    ["GRPC-WEB", "UPGRADE", "HTTP/2"],
    ["HTTP", "DEFAULT", "HTTP/1.1"],
    ["HTTP", "DO_NOT_UPGRADE", "HTTP/1.1"],
    ["TCP", "UPGRADE", "HTTP/1.1"],
    ["TLS", "UPGRADE", "HTTP/1.1"],
    ["HTTPS", "UPGRADE", "HTTP/1.1"],
  ];
  for (const [protocol, policy, want] of cases) {
    assert.equal(
      upstreamProtocolOf(protocol as Parameters<typeof upstreamProtocolOf>[0], policy),
      want,
      `${protocol} ${policy}`,
    );
  }
});
