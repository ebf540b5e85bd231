import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import fc from "fast-check";
import { MAX_CLIENT_HELLO, parseClientHello } from "./client-hello";

/** Captures the first bytes a real TLS client sends, for the given connect options. */
async function captureHello(server: net.Server, options: tls.ConnectionOptions): Promise<Buffer> {
  const port = (server.address() as net.AddressInfo).port;
  const got = once(server, "hello") as Promise<[Buffer]>;
  const socket = tls.connect({ host: "127.0.0.1", port, ...options });
  socket.on("error", () => {});
  const [bytes] = await got;
  socket.destroy();
  return bytes;
}

describe("parseClientHello", () => {
  let server: net.Server;
  before(async () => {
    server = net.createServer((s) => {
      const chunks: Buffer[] = [];
      s.on("data", (d) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (parseClientHello(all).kind !== "incomplete") {
          server.emit("hello", all);
          s.destroy();
        }
      });
      s.on("error", () => {});
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  });
  after(() => server.close());

  const cases: { name: string; options: tls.ConnectionOptions; want: unknown }[] = [
    {
      name: "server name and ALPN",
      options: { servername: "Bookinfo.Example.com", ALPNProtocols: ["h2", "http/1.1"] },
      want: { kind: "client-hello", serverName: "bookinfo.example.com", alpn: ["h2", "http/1.1"] },
    },
    { name: "no server name", options: { servername: "" }, want: { kind: "client-hello", alpn: [] } },
    {
      name: "TLS 1.2 only",
      options: { servername: "a.test", maxVersion: "TLSv1.2" },
      want: { kind: "client-hello", serverName: "a.test", alpn: [] },
    },
  ];
  for (const c of cases) {
    it(`reads a real ClientHello: ${c.name}`, async () => {
      const bytes = await captureHello(server, c.options);
      assert.deepEqual(parseClientHello(bytes), c.want);
      // Every proper prefix is incomplete, never an error.
      for (const cut of [0, 1, 4, 5, 6, 40, bytes.length - 1]) {
        assert.deepEqual(parseClientHello(bytes.subarray(0, cut)), { kind: "incomplete" }, `cut ${cut}`);
      }
    });
  }

  it("reads a ClientHello split over two records", async () => {
    const bytes = await captureHello(server, { servername: "split.test" });
    const body = bytes.subarray(5, 5 + ((bytes[3]! << 8) | bytes[4]!));
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
    const split = Buffer.concat([record(body.subarray(0, 2)), record(body.subarray(2))]);
    assert.deepEqual(parseClientHello(split), { kind: "client-hello", serverName: "split.test", alpn: [] });
  });

  it("says not-tls for HTTP and other bytes", () => {
    assert.deepEqual(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n")), { kind: "not-tls" });
    assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x02, 0, 0, 1, 1])), { kind: "not-tls" });
    assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x03, 1, 0, 4, 2, 0, 0, 0])), { kind: "not-tls" });
  });

  it("never throws and never waits beyond the bound on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (tail, asRecord) => {
        const bytes = asRecord
          ? Buffer.concat([Buffer.from([0x16, 0x03, 0x01, tail.length >> 8, tail.length & 0xff]), tail])
          : Buffer.from(tail);
        const result = parseClientHello(bytes);
        assert.ok(["incomplete", "not-tls", "client-hello"].includes(result.kind));
      }),
      { numRuns: 3000 },
    );
    const huge = Buffer.alloc(MAX_CLIENT_HELLO + 10);
    huge.set([0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff]);
    assert.deepEqual(parseClientHello(huge), { kind: "not-tls" });
  });
});
