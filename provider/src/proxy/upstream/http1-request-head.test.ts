import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serializeRequestHead } from "./http1-request-head";

describe("serializeRequestHead", () => {
  it("writes the request line, host first, then every header in order, repeated names on their own lines", () => {
    const head = serializeRequestHead(
      "GET",
      "/a?b=1",
      { "x-one": "1", host: "example.com", "set-x": ["a", "b"], accept: "*/*" },
      false,
    );
    assert.deepEqual(head, {
      text: "GET /a?b=1 HTTP/1.1\r\nhost: example.com\r\nx-one: 1\r\nset-x: a\r\nset-x: b\r\naccept: */*\r\n\r\n",
      framing: "none",
    });
  });

  it("sends a body by its content-length, chunked without one", () => {
    assert.deepEqual(serializeRequestHead("POST", "/", { host: "h", "content-length": "3" }, true), {
      text: "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\n",
      framing: "length",
    });
    assert.deepEqual(serializeRequestHead("POST", "/", { host: "h" }, true), {
      text: "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n",
      framing: "chunked",
    });
  });

  it("says content-length: 0 for a POST, PUT or PATCH without a body, and nothing for a GET", () => {
    for (const method of ["POST", "PUT", "PATCH"]) {
      assert.equal(
        serializeRequestHead(method, "/", { host: "h" }, false).text,
        `${method} / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n`,
      );
    }
    assert.equal(
      serializeRequestHead("DELETE", "/", { host: "h" }, false).text,
      "DELETE / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
  });

  it("keeps Latin-1 bytes of values as they are", () => {
    assert.equal(
      serializeRequestHead("GET", "/caf\u00e9", { host: "h", "x-name": "caf\u00e9" }, false).text,
      "GET /caf\u00e9 HTTP/1.1\r\nhost: h\r\nx-name: caf\u00e9\r\n\r\n",
    );
  });

  it("refuses what would break the framing: line breaks in values, bad names, spaces in the target", () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        "CRLF in a value",
        () => serializeRequestHead("GET", "/", { host: "h", "x-a": "1\r\nx-b: 2" }, false),
        /x-a/,
      ],
      [
        "LF in a listed value",
        () => serializeRequestHead("GET", "/", { host: "h", "x-a": ["ok", "1\n"] }, false),
        /x-a/,
      ],
      ["NUL in host", () => serializeRequestHead("GET", "/", { host: "h\0" }, false), /host/],
      ["space in a name", () => serializeRequestHead("GET", "/", { host: "h", "x a": "1" }, false), /name/],
      ["space in the target", () => serializeRequestHead("GET", "/a b", { host: "h" }, false), /target/],
      ["empty target", () => serializeRequestHead("GET", "", { host: "h" }, false), /target/],
    ];
    for (const [what, f, message] of cases) assert.throws(f, message, what);
  });
});
