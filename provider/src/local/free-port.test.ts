import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { ephemeralRange, freePort, isPortAvailable } from "./free-port";

describe("ephemeralRange", () => {
  it("reads the kernel's range", () => {
    assert.deepEqual(
      ephemeralRange(() => "32768\t60999\n"),
      [32768, 60999],
    );
  });

  it("gives nothing for what it cannot read or use", () => {
    const unreadable = () => {
      throw new Error("ENOENT");
    };
    assert.equal(ephemeralRange(unreadable), undefined);
    assert.equal(
      ephemeralRange(() => "garbage"),
      undefined,
    );
    assert.equal(
      ephemeralRange(() => "5000 60999"),
      undefined,
      "no room below the range",
    );
    assert.equal(
      ephemeralRange(() => "40000 30000"),
      undefined,
    );
  });
});

describe("freePort", () => {
  it("gives a port outside the ephemeral range that can be bound on every address", async () => {
    const range = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      if (range !== undefined) assert.ok(port >= 10_000 && port < range[0], `${port} is below ${range[0]}`);
      assert.equal(await isPortAvailable(port, "0.0.0.0"), true);
    }
  });
});

describe("isPortAvailable", () => {
  it("says no for a port a listener holds, on its address and on the wildcard", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      assert.equal(await isPortAvailable(port, "127.0.0.1"), false);
      assert.equal(await isPortAvailable(port, "0.0.0.0"), false);
    } finally {
      server.close();
    }
  });
});
