import assert from "node:assert/strict";
import { test } from "node:test";
import { UpstreamTimeoutError, toProxyError } from "./errors";

const failure = (code: string) => Object.assign(new Error(code), { code });

test("Node's upstream failures map to Envoy's statuses and flags", () => {
  const cases: [unknown, string, number, string][] = [
    [failure("ECONNREFUSED"), "IGW_ERR_UPSTREAM_CONNECT", 503, "UF"],
    [failure("EHOSTUNREACH"), "IGW_ERR_UPSTREAM_CONNECT", 503, "UF"],
    // Envoy's router answers 503 for every reset but a protocol error (502).
    [failure("ECONNRESET"), "IGW_ERR_UPSTREAM_RESET", 503, "UC"],
    [failure("EPIPE"), "IGW_ERR_UPSTREAM_RESET", 503, "UC"],
    // A RST_STREAM from the upstream is its remote reset.
    [failure("ERR_HTTP2_STREAM_ERROR"), "IGW_ERR_UPSTREAM_REMOTE_RESET", 503, "UR"],
    [failure("HPE_INVALID_STATUS"), "IGW_ERR_UPSTREAM_PROTOCOL", 502, "UPE"],
    [failure("HPE_SOMETHING_NEW"), "IGW_ERR_UPSTREAM_PROTOCOL", 502, "UPE"],
    // An upstream certificate that fails verification fails the connection (503 UF), as in Envoy.
    [failure("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "IGW_ERR_UPSTREAM_CONNECT", 503, "UF"],
    [failure("ERR_TLS_CERT_ALTNAME_INVALID"), "IGW_ERR_UPSTREAM_CONNECT", 503, "UF"],
    [failure("ERR_SSL_WRONG_VERSION_NUMBER"), "IGW_ERR_UPSTREAM_CONNECT", 503, "UF"],
    // node:http2 cancels the streams of a session that could not connect: the cause decides.
    [
      Object.assign(failure("ERR_HTTP2_STREAM_CANCEL"), { cause: failure("ECONNREFUSED") }),
      "IGW_ERR_UPSTREAM_CONNECT",
      503,
      "UF",
    ],
    [
      Object.assign(failure("ERR_HTTP2_STREAM_CANCEL"), { cause: failure("ERR_TLS_CERT_ALTNAME_INVALID") }),
      "IGW_ERR_UPSTREAM_CONNECT",
      503,
      "UF",
    ],
    [
      Object.assign(failure("ERR_HTTP2_STREAM_CANCEL"), { cause: failure("ECONNRESET") }),
      "IGW_ERR_UPSTREAM_RESET",
      503,
      "UC",
    ],
    [failure("ERR_HTTP2_STREAM_CANCEL"), "IGW_ERR_UPSTREAM_RESET", 503, "UC"],
    // nghttp2 failing to read the upstream's bytes (an HTTP/1.1 server's answer to h2c) is
    // Envoy's codec protocol error, on the stream that saw it and on those it cancelled.
    [failure("ERR_HTTP2_ERROR"), "IGW_ERR_UPSTREAM_PROTOCOL", 502, "UPE"],
    [
      Object.assign(failure("ERR_HTTP2_STREAM_CANCEL"), { cause: failure("ERR_HTTP2_ERROR") }),
      "IGW_ERR_UPSTREAM_PROTOCOL",
      502,
      "UPE",
    ],
    // The proxy's own errors pass through as they are.
    [new UpstreamTimeoutError(), "IGW_ERR_UPSTREAM_TIMEOUT", 504, "UT"],
    [new Error("something else"), "IGW_ERR_INTERNAL", 500, "-"],
  ];
  for (const [error, code, status, flag] of cases) {
    const mapped = toProxyError(error);
    assert.deepEqual([mapped.code, mapped.status, mapped.responseFlag], [code, status, flag], String(error));
  }
});
