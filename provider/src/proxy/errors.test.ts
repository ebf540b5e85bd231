import assert from "node:assert/strict";
import { test } from "node:test";
import { errors as undiciErrors } from "undici";
import { toProxyError } from "./errors";

test("undici's failures map to Envoy's statuses and flags", () => {
  const cases: [unknown, string, number][] = [
    [Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), "IGW_ERR_UPSTREAM_CONNECT", 503],
    [new undiciErrors.ConnectTimeoutError(), "IGW_ERR_UPSTREAM_CONNECT", 503],
    [new undiciErrors.HeadersTimeoutError(), "IGW_ERR_UPSTREAM_TIMEOUT", 504],
    [new undiciErrors.SocketError("closed"), "IGW_ERR_UPSTREAM_RESET", 502],
    [
      Object.assign(new Error("bad status"), { code: "HPE_INVALID_STATUS" }),
      "IGW_ERR_UPSTREAM_PROTOCOL",
      502,
    ],
    [Object.assign(new Error("odd"), { code: "HPE_SOMETHING_NEW" }), "IGW_ERR_UPSTREAM_PROTOCOL", 502],
    [new undiciErrors.HTTPParserError("Expected HTTP/"), "IGW_ERR_UPSTREAM_PROTOCOL", 502],
    // An upstream certificate that fails verification fails the connection (503 UF), as in Envoy.
    [
      Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      }),
      "IGW_ERR_UPSTREAM_CONNECT",
      503,
    ],
    [
      Object.assign(new Error("no match"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }),
      "IGW_ERR_UPSTREAM_CONNECT",
      503,
    ],
    [
      Object.assign(new Error("version"), { code: "ERR_SSL_WRONG_VERSION_NUMBER" }),
      "IGW_ERR_UPSTREAM_CONNECT",
      503,
    ],
    [new Error("something else"), "IGW_ERR_INTERNAL", 500],
  ];
  for (const [error, code, status] of cases) {
    const mapped = toProxyError(error);
    assert.deepEqual([mapped.code, mapped.status], [code, status], String(error));
  }
});
