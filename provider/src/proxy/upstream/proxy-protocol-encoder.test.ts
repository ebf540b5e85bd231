import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseProxyHeader } from "../listener/proxy-protocol-header";
import { proxyProtocolHeader } from "./proxy-protocol-encoder";

test("writes Envoy's V1 line and V2 block for IPv4 and IPv6 addresses", () => {
  const v4 = { remoteAddress: "192.0.2.1", remotePort: 5000, localAddress: "192.0.2.2", localPort: 80 };
  const v6 = {
    remoteAddress: "2001:db8::7",
    remotePort: 5000,
    localAddress: "::ffff:192.0.2.1",
    localPort: 80,
  };
  assert.equal(
    proxyProtocolHeader("V1", v4).toString("latin1"),
    "PROXY TCP4 192.0.2.1 192.0.2.2 5000 80\r\n",
  );
  assert.equal(
    proxyProtocolHeader("V1", v6).toString("latin1"),
    "PROXY TCP6 2001:db8::7 ::ffff:192.0.2.1 5000 80\r\n",
  );
  assert.equal(
    proxyProtocolHeader("V2", v4).toString("hex"),
    "0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "c0000201" + "c0000202" + "1388" + "0050",
  );
  assert.equal(
    proxyProtocolHeader("V2", v6).toString("hex"),
    "0d0a0d0a000d0a515549540a" +
      "21" +
      "21" +
      "0024" +
      "20010db8000000000000000000000007" +
      "00000000000000000000ffffc0000201" +
      "1388" +
      "0050",
  );
});

test("reads back every header the upstream side writes, with whatever follows it", () => {
  const octet = fc.integer({ min: 1, max: 223 });
  const ipv4 = fc
    .tuple(octet, fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
    .map((p) => p.join("."));
  const ipv6 = fc
    .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
    // A first group neither 0 (inet_ntop writes some of those with a dotted IPv4 tail) nor
    // multicast.
    .filter((g) => g[0]! !== 0 && g[0]! < 0xff00)
    .map((g) => g.map((x) => x.toString(16)).join(":"))
    // As node writes addresses (the parser's form).
    .map((a) => new URL(`http://[${a}]/`).hostname.slice(1, -1));
  const pair = fc.oneof(fc.tuple(ipv4, ipv4), fc.tuple(ipv6, ipv6));
  fc.assert(
    fc.property(
      pair,
      fc.nat(65535),
      fc.nat(65535),
      fc.constantFrom("V1", "V2"),
      fc.uint8Array({ maxLength: 40 }),
      ([src, dst], sport, dport, version, rest) => {
        const addresses = { remoteAddress: src, remotePort: sport, localAddress: dst, localPort: dport };
        const header = proxyProtocolHeader(version as "V1" | "V2", addresses);
        const parsed = parseProxyHeader(Buffer.concat([header, rest]));
        assert.deepEqual(parsed, { kind: "header", length: header.length, addresses });
      },
    ),
    { numRuns: 300 },
  );
});
