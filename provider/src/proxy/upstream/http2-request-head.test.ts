import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { http2RequestHead } from "./http2-request-head";

describe("http2RequestHead", () => {
  it("opens with the pseudo-headers, carries host as :authority only, and keeps every other header and list", () => {
    const headers = { host: "api.example.com:8443", accept: "*/*", "x-b3": ["1", "2"], te: "trailers" };
    const head = http2RequestHead("POST", "/pkg.Svc/Call?x=1", headers, "https");
    assert.deepEqual(Object.entries(head), [
      [":method", "POST"],
      [":path", "/pkg.Svc/Call?x=1"],
      [":authority", "api.example.com:8443"],
      [":scheme", "https"],
      ["accept", "*/*"],
      ["x-b3", ["1", "2"]],
      ["te", "trailers"],
    ]);
    assert.equal(headers.host, "api.example.com:8443", "the forwarded headers are left as they were");
  });

  it("says http for a cleartext upstream", () => {
    assert.equal(http2RequestHead("GET", "/", { host: "h" }, "http")[":scheme"], "http");
  });
});
