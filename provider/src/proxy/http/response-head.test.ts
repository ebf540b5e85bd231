import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_RESPONSE_HEAD_BYTES, parseResponseHead, serializeResponseHead } from "./response-head";

test("parseResponseHead: status, reason, headers by lower-case name, repeated headers in order", () => {
  const head =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: a=1\r\nset-cookie:  b=2 \r\n\r\n";
  assert.deepEqual(parseResponseHead(Buffer.from(head + "frame")), {
    status: 101,
    reason: "Switching Protocols",
    headers: { upgrade: "websocket", connection: "Upgrade", "set-cookie": ["a=1", "b=2"] },
    length: Buffer.byteLength(head),
  });
});

test("parseResponseHead: incomplete and invalid heads", () => {
  const cases: [string, string][] = [
    ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n", "incomplete"],
    ["", "incomplete"],
    ["HTTP/2 101 x\r\n\r\n", "invalid"],
    ["HTTP/1.1 1010 x\r\n\r\n", "invalid"],
    ["SSH-2.0-OpenSSH\r\n\r\n", "invalid"],
    ["HTTP/1.1 101 x\r\nno colon\r\n\r\n", "invalid"],
    ["HTTP/1.1 101 x\r\nbad name: v\r\n\r\n", "invalid"],
    ["HTTP/1.1 101 x\r\n: v\r\n\r\n", "invalid"],
    [`HTTP/1.1 101 x\r\nx: ${"a".repeat(MAX_RESPONSE_HEAD_BYTES)}`, "invalid"],
    [`HTTP/1.1 101 x\r\nx: ${"a".repeat(MAX_RESPONSE_HEAD_BYTES)}\r\n\r\n`, "invalid"],
  ];
  for (const [text, want] of cases)
    assert.equal(parseResponseHead(Buffer.from(text)), want, text.slice(0, 40));
  assert.deepEqual(parseResponseHead(Buffer.from("HTTP/1.0 200\r\n\r\n")), {
    status: 200,
    reason: "",
    headers: {},
    length: 16,
  });
});

test("serializeResponseHead: one line per value, values with line breaks dropped", () => {
  assert.equal(
    serializeResponseHead(101, "Switching Protocols", {
      upgrade: "websocket",
      "set-cookie": ["a=1", "b=2"],
      "x-bad": "v\r\nx-injected: 1",
      date: "Fri, 27 Nov 2026 12:00:00 GMT",
    }).toString("latin1"),
    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ndate: Fri, 27 Nov 2026 12:00:00 GMT\r\n\r\n",
  );
  // Without one, the head is dated now.
  assert.match(
    serializeResponseHead(101, "Switching Protocols", {}).toString("latin1"),
    /^HTTP\/1\.1 101 Switching Protocols\r\ndate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n\r\n$/,
  );
});
