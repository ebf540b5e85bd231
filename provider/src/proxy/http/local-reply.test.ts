import assert from "node:assert/strict";
import { test } from "node:test";
import { grpcLocalReplyHeaders, isGrpcContentType, percentEncodeGrpcMessage } from "./local-reply";

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
