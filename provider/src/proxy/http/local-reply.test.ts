import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProxyError } from "../errors";
import {
  toProxyError,
  UpstreamConnectTimeoutError,
  UpstreamOverflowError,
  UpstreamRemoteResetError,
  UpstreamResetError,
} from "../errors";
import {
  errorReply,
  grpcLocalReplyHeaders,
  isGrpcContentType,
  percentEncodeGrpcMessage,
} from "./local-reply";

test("gRPC content types are Envoy's: application/grpc and application/grpc+codec, not gRPC-Web", () => {
  const cases: [string | undefined, boolean][] = [
    ["application/grpc", true],
    ["application/grpc+proto", true],
    ["application/grpc+json", true],
    ["application/grpc-web", false],
    ["application/grpc-web+proto", false],
    ["application/grpcx", false],
    ["application/json", false],
    [undefined, false],
  ];
  assert.deepEqual(
    cases.map(([ct]) => isGrpcContentType(ct)),
    cases.map(([, grpc]) => grpc),
  );
});

test("grpc-message is percent-encoded as Envoy's PercentEncoding::encode does", () => {
  assert.deepEqual(
    [
      percentEncodeGrpcMessage("upstream request timeout"),
      percentEncodeGrpcMessage("100% down\n"),
      percentEncodeGrpcMessage("café"),
      percentEncodeGrpcMessage(Buffer.from([0x61, 0xff])),
    ],
    ["upstream request timeout", "100%25 down%0A", "caf%C3%A9", "a%FF"],
  );
});

test("a local reply to a gRPC request becomes a trailers-only response", () => {
  assert.deepEqual(
    grpcLocalReplyHeaders(
      {
        "content-type": "text/plain",
        "content-length": "19",
        "x-igw-error-code": "IGW_ERR_NO_HEALTHY_UPSTREAM",
      },
      503,
      "no healthy upstream",
      undefined,
      false,
    ),
    {
      "content-type": "application/grpc",
      "x-igw-error-code": "IGW_ERR_NO_HEALTHY_UPSTREAM",
      "grpc-status": "14",
      "grpc-message": "no healthy upstream",
    },
  );
  // A given gRPC status wins over the mapped one; one a header operation set wins over both.
  assert.deepEqual(
    [
      grpcLocalReplyHeaders({}, 200, "fault filter abort", 8, true),
      grpcLocalReplyHeaders({ "grpc-status": "3" }, 404, "", undefined, false),
    ],
    [
      {
        "content-type": "application/grpc",
        "grpc-status": "8",
        "grpc-message": "fault filter abort",
        "content-length": "0",
      },
      { "grpc-status": "3", "content-type": "application/grpc" },
    ],
  );
});

test("a failure before the upstream answered reads as Envoy's router words it, retried or not", () => {
  const prefix = "upstream connect error or disconnect/reset before headers. ";
  const coded = (code: string): ProxyError => toProxyError(Object.assign(new Error(code), { code }));
  const cases: [string, ProxyError, boolean, string][] = [
    [
      "a refused connect",
      coded("ECONNREFUSED"),
      false,
      "reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused",
    ],
    [
      "an unreachable host, retried",
      coded("EHOSTUNREACH"),
      true,
      "retried and the latest reset reason: remote connection failure, transport failure reason: " +
        "delayed connect error: No route to host",
    ],
    [
      "a certificate that failed verification",
      coded("CERT_HAS_EXPIRED"),
      false,
      "reset reason: remote connection failure, transport failure reason: " +
        "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
    ],
    [
      "the cluster's connect timeout",
      new UpstreamConnectTimeoutError(),
      false,
      "reset reason: connection timeout",
    ],
    [
      "the system's connect timeout",
      coded("ETIMEDOUT"),
      true,
      "retried and the latest reset reason: connection timeout",
    ],
    ["a reset", new UpstreamResetError(), false, "reset reason: connection termination"],
    ["a stream the upstream reset", new UpstreamRemoteResetError(false), false, "reset reason: remote reset"],
    [
      "a stream the upstream refused, retried",
      new UpstreamRemoteResetError(true),
      true,
      "retried and the latest reset reason: remote refused stream reset",
    ],
    ["a circuit breaker", new UpstreamOverflowError(), false, "reset reason: overflow"],
  ];
  for (const [what, err, retried, rest] of cases)
    assert.equal(errorReply(err, retried).body, prefix + rest, what);
  assert.equal(errorReply(new UpstreamConnectTimeoutError()).headers["content-type"], "text/plain");
});
