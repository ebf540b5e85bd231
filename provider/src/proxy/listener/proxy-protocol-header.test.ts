import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { ProxyHeaderParse } from "./proxy-protocol-header";
import { parseProxyHeader } from "./proxy-protocol-header";

const SIG = "0d0a0d0a000d0a515549540a";

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

test("reads whole headers, v1 and v2, and tells how long they are", () => {
  const cases: [string, Buffer, ProxyHeaderParse][] = [
    [
      "v1 TCP4, with a request after it",
      Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.2 5000 80\r\nGET / HTTP/1.1\r\n"),
      {
        kind: "header",
        length: 40,
        addresses: { remoteAddress: "192.0.2.1", remotePort: 5000, localAddress: "192.0.2.2", localPort: 80 },
      },
    ],
    [
      "v1 TCP6, written as inet_ntop writes it",
      Buffer.from("PROXY TCP6 2001:DB8:0:0:0:0:0:7 ::ffff:192.0.2.1 5000 +080\r\n"),
      {
        kind: "header",
        length: 60,
        addresses: {
          remoteAddress: "2001:db8::7",
          remotePort: 5000,
          localAddress: "::ffff:192.0.2.1",
          localPort: 80,
        },
      },
    ],
    [
      "v1 UNKNOWN, anything after it",
      Buffer.from("PROXY UNKNOWN whatever\r\n"),
      { kind: "header", length: 24, addresses: undefined },
    ],
    [
      "v1 UNKNOWN, nothing after it",
      Buffer.from("PROXY UNKNOWN\r\n"),
      { kind: "header", length: 15, addresses: undefined },
    ],
    [
      "v2 PROXY TCP over IPv4 with a TLV",
      hex(`${SIG} 21 11 0010  c0000201 c0000202 1388 0050  04 0001 ff`),
      {
        kind: "header",
        length: 32,
        addresses: { remoteAddress: "192.0.2.1", remotePort: 5000, localAddress: "192.0.2.2", localPort: 80 },
      },
    ],
    [
      "v2 PROXY UDP over IPv6 (Envoy takes datagram headers too)",
      hex(`${SIG} 21 22 0024 20010db8000000000000000000000007 20010db8000000000000000000000001 1388 0050`),
      {
        kind: "header",
        length: 52,
        addresses: {
          remoteAddress: "2001:db8::7",
          remotePort: 5000,
          localAddress: "2001:db8::1",
          localPort: 80,
        },
      },
    ],
    [
      "v2 LOCAL, its TLVs skipped unread",
      hex(`${SIG} 20 00 0003 ffffff`),
      { kind: "header", length: 19, addresses: undefined },
    ],
  ];
  for (const [name, buf, expected] of cases) assert.deepEqual(parseProxyHeader(buf), expected, name);
});

test("waits for more bytes while a header may still come whole", () => {
  const cases: [string, Buffer][] = [
    ["nothing yet", Buffer.alloc(0)],
    ["a v1 line without its CRLF", Buffer.from("PROXY TCP4 192.0.2.1")],
    ["short, starting with CRLF (a v2 signature's start)", Buffer.from("\r\n\r\n")],
    ["a v2 fixed part without its addresses", hex(`${SIG} 21 11 000c c0000201`)],
    ["a v2 header without all of its TLVs", hex(`${SIG} 21 11 0010 c0000201 c0000202 1388 0050 04`)],
  ];
  for (const [name, buf] of cases) assert.deepEqual(parseProxyHeader(buf), { kind: "incomplete" }, name);
});

test("refuses what Envoy's listener filter refuses", () => {
  const cases: [string, Buffer, string][] = [
    [
      "an HTTP request",
      Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
      "neither a v1 nor a v2 PROXY protocol header",
    ],
    ["a short line", Buffer.from("HI\r\n"), "not a v1 PROXY protocol line"],
    [
      "v1 with five fields",
      Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.2 5000\r\n"),
      "a v1 PROXY protocol line needs four addresses and ports",
    ],
    [
      "v1 TCP6 with IPv4 addresses",
      Buffer.from("PROXY TCP6 192.0.2.1 192.0.2.2 5000 80\r\n"),
      "a v1 PROXY protocol line with a malformed address or port",
    ],
    [
      "v1 with a zone",
      Buffer.from("PROXY TCP6 fe80::1%eth0 fe80::2 5000 80\r\n"),
      "a v1 PROXY protocol line with a malformed address or port",
    ],
    [
      "v1 port -1",
      Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.2 -1 80\r\n"),
      "a v1 PROXY protocol line with a malformed address or port",
    ],
    [
      "v1 multicast IPv6",
      Buffer.from("PROXY TCP6 ff02::1 2001:db8::1 5000 80\r\n"),
      "PROXY protocol addresses must be unicast",
    ],
    [
      "v1 without CRLF in 108 bytes",
      Buffer.from(`PROXY TCP4 ${"1".repeat(120)}`),
      "v1 PROXY protocol line longer than 108 bytes",
    ],
    [
      "v2 version 3",
      hex(`${SIG} 31 11 000c c0000201 c0000202 1388 0050`),
      "unsupported v2 PROXY protocol version",
    ],
    ["v2 AF_UNIX", hex(`${SIG} 21 31 0000`), "unsupported v2 PROXY protocol address family"],
    [
      "v2 IPv6 block of 12 bytes",
      hex(`${SIG} 21 21 000c c0000201 c0000202 1388 0050`),
      "v2 PROXY protocol address block too short",
    ],
    [
      "v2 transport 3",
      hex(`${SIG} 21 13 000c c0000201 c0000202 1388 0050`),
      "unsupported v2 PROXY protocol command or transport",
    ],
    [
      "v2 TLV longer than the header",
      hex(`${SIG} 21 11 0010 c0000201 c0000202 1388 0050 04 0002 ff`),
      "malformed v2 PROXY protocol TLV",
    ],
  ];
  for (const [name, buf, reason] of cases)
    assert.deepEqual(parseProxyHeader(buf), { kind: "error", reason }, name);
});

test("never throws on any bytes, and never reads past 108 bytes of a line or a v2 header's length", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, v2) => {
      const buf = v2 ? Buffer.concat([hex(SIG), bytes]) : Buffer.concat([Buffer.from("PROXY "), bytes]);
      const parsed = parseProxyHeader(buf);
      if (parsed.kind === "header") assert.ok(parsed.length <= buf.length);
      if (!v2 && parsed.kind === "incomplete") assert.ok(buf.length <= 108);
    }),
    { numRuns: 2000 },
  );
});
