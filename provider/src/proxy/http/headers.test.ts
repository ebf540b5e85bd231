import assert from "node:assert/strict";
import { test } from "node:test";
import {
  downstreamResponseHeaders,
  downstreamResponseHeadersFromRaw,
  upstreamRequestHeaders,
} from "./headers";

const how = {
  clientIp: "10.0.0.7",
  requestId: "5f0d6b1e-3c1a-4a8e-9b57-0d2f7c9e1a42",
  externalAddress: "10.0.0.7",
  scheme: "https",
  keepTeTrailers: true,
};

test("a request upstream loses hop-by-hop, Connection-named and pseudo-headers, keeps Expect, and gains forwarding headers", () => {
  const out = upstreamRequestHeaders(
    {
      host: "bookinfo.com",
      ":authority": "bookinfo.com",
      connection: "keep-alive, X-Private",
      "keep-alive": "timeout=5",
      "x-private": "secret",
      "proxy-connection": "keep-alive",
      "transfer-encoding": "chunked",
      upgrade: "h2c",
      expect: "100-continue",
      "http2-settings": "AAMAAABkAAQCAAAAAAIAAAAA",
      te: "trailers, deflate",
      accept: ["text/html", "application/json"],
      "x-request-id": "given-id",
      "x-forwarded-for": "192.0.2.1",
      cookie: undefined,
    },
    how,
  );
  const { "x-request-id": id, ...rest } = out;
  // The client's is replaced by the one the proxy made for the request.
  assert.equal(id, how.requestId);
  // `expect` goes on, as Envoy forwards it with Istio's `proxy_100_continue`.
  assert.deepEqual(rest, {
    host: "bookinfo.com",
    expect: "100-continue",
    accept: ["text/html", "application/json"],
    "x-forwarded-for": "192.0.2.1,10.0.0.7",
    te: "trailers",
    "x-forwarded-proto": "https",
    "x-envoy-external-address": "10.0.0.7",
  });
});

test("the x-envoy-* headers Envoy removes from an edge request are removed; others cross", () => {
  const removed = [
    "x-envoy-internal",
    "x-envoy-decorator-operation",
    "x-envoy-downstream-service-cluster",
    "x-envoy-downstream-service-node",
    "x-envoy-retriable-status-codes",
    "x-envoy-retriable-header-names",
    "x-envoy-retry-on",
    "x-envoy-retry-grpc-on",
    "x-envoy-max-retries",
    "x-envoy-upstream-alt-stat-name",
    "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-upstream-rq-per-try-timeout-ms",
    "x-envoy-upstream-rq-timeout-alt-response",
    "x-envoy-expected-rq-timeout-ms",
    "x-envoy-force-trace",
    "x-envoy-ip-tags",
    "x-envoy-original-url",
    "x-envoy-hedge-on-per-try-timeout",
    // Removed from untrusted requests since Envoy 1.26 (CVE-2023-27487): a client could forge it.
    "x-envoy-original-path",
  ];
  const kept = ["x-envoy-foo", "x-env", "x-custom"];
  const out = upstreamRequestHeaders(Object.fromEntries([...removed, ...kept].map((n) => [n, "1"])), how);
  assert.deepEqual(
    Object.keys(out).filter((n) => !n.startsWith("x-forwarded-") && n !== "x-request-id"),
    [...kept, "x-envoy-external-address"],
  );
});

test("te is dropped unless it asks for trailers and the caller keeps it", () => {
  assert.equal(upstreamRequestHeaders({ te: "gzip" }, how)["te"], undefined);
  assert.equal(
    upstreamRequestHeaders({ te: "trailers" }, { ...how, keepTeTrailers: false })["te"],
    undefined,
  );
});

test("repeated x-forwarded-for values are joined", () => {
  const out = upstreamRequestHeaders({ "x-forwarded-for": ["192.0.2.1", "192.0.2.2"] }, how);
  assert.equal(out["x-forwarded-for"], "192.0.2.1,192.0.2.2,10.0.0.7");
});

test("the request's own header object is never changed", () => {
  const source = { host: "a", connection: "close", accept: ["x", "y"] };
  const out = upstreamRequestHeaders(source, how);
  (out["accept"] as string[]).push("z");
  assert.deepEqual(source, { host: "a", connection: "close", accept: ["x", "y"] });
});

test("a response downstream loses hop-by-hop headers and keeps content-length, as Envoy does on either protocol", () => {
  const upstream = {
    "content-type": "text/plain",
    "content-length": "12",
    connection: "keep-alive, x-hop",
    "x-hop": "1",
    "keep-alive": "timeout=5",
    "transfer-encoding": "chunked",
    "set-cookie": ["a=1", "b=2"],
  };
  assert.deepEqual(downstreamResponseHeaders(upstream), {
    "content-type": "text/plain",
    "content-length": "12",
    "set-cookie": ["a=1", "b=2"],
  });
});

test("a response head from the HTTP/1.1 parser gets the same treatment: names lower-cased, repeats listed", () => {
  const raw = [
    ["Content-Type", "text/plain"],
    ["Content-Length", "12"],
    ["Connection", "keep-alive, X-Hop"],
    ["X-Hop", "1"],
    ["Keep-Alive", "timeout=5"],
    ["Set-Cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["Set-Cookie", "c=3"],
    ["Connection", "x-other"],
    ["X-Other", "gone"],
    ["Vary", "Accept-Encoding"],
    ["Server", "caf\u00e9"],
  ].flat();
  const expected = {
    "content-type": "text/plain",
    "content-length": "12",
    "set-cookie": ["a=1", "b=2", "c=3"],
    vary: "Accept-Encoding",
    server: "caf\u00e9",
  };
  assert.deepEqual(downstreamResponseHeadersFromRaw(raw), expected);
  assert.deepEqual(downstreamResponseHeadersFromRaw([]), {});
});

test("headers named like object properties are headers both ways, never the object's own members", () => {
  const response = downstreamResponseHeadersFromRaw([
    "Constructor",
    "a",
    "constructor",
    "b",
    "__proto__",
    "p",
    "toString",
    "t",
  ]);
  assert.equal(Object.getPrototypeOf(response), Object.prototype);
  assert.deepEqual(Object.entries(response), [
    ["constructor", ["a", "b"]],
    ["__proto__", "p"],
    ["tostring", "t"],
  ]);
  const request = upstreamRequestHeaders(
    Object.defineProperty({ host: "a.test" }, "__proto__", { value: "p", enumerable: true }),
    {
      clientIp: "10.0.0.1",
      requestId: how.requestId,
      externalAddress: "10.0.0.1",
      scheme: "http",
      keepTeTrailers: false,
    },
  );
  assert.equal(Object.getPrototypeOf(request), Object.prototype);
  assert.deepEqual(
    Object.entries(request).filter(([k]) => k === "host" || k === "__proto__"),
    [
      ["host", "a.test"],
      ["__proto__", "p"],
    ],
  );
});
