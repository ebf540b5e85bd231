import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptableConnectionHeader } from "./connection-header";

test("a Connection header naming up to nine headers is taken, as Envoy takes it", () => {
  assert.equal(acceptableConnectionHeader({}), true);
  assert.equal(acceptableConnectionHeader({ connection: "close" }), true);
  assert.equal(acceptableConnectionHeader({ connection: "keep-alive, x-a" }), true);
  assert.equal(acceptableConnectionHeader({ connection: "a1,a2,a3,a4,a5,a6,a7,a8,close" }), true);
  assert.equal(acceptableConnectionHeader({ connection: "te", te: "trailers" }), true);
});

test("a Connection header Envoy's codec refuses: ten tokens, forwarding headers, pseudo-headers, a long te", () => {
  assert.equal(acceptableConnectionHeader({ connection: "a1,a2,a3,a4,a5,a6,a7,a8,a9,close" }), false);
  assert.equal(acceptableConnectionHeader({ connection: "close, X-Forwarded-For" }), false);
  assert.equal(acceptableConnectionHeader({ connection: "x-forwarded-host" }), false);
  assert.equal(acceptableConnectionHeader({ connection: "x-forwarded-proto" }), false);
  assert.equal(acceptableConnectionHeader({ connection: ":path" }), false);
  assert.equal(acceptableConnectionHeader({ connection: "te", te: `trailers, ${"x".repeat(250)}` }), false);
});
