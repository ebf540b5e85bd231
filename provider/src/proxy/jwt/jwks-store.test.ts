import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { JwksStore } from "./jwks-store";
import type { RemoteKeys } from "./jwks-store";

/** A key set of one EC key whose `kid` is `kid` (the material does not matter here). */
const keySet = (kid: string) =>
  JSON.stringify({
    keys: [
      {
        kty: "EC",
        crv: "P-256",
        kid,
        x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
      },
    ],
  });

const kids = (keys: RemoteKeys) => (keys.state === "ready" ? keys.jwks.keys.map((k) => k.kid) : keys.state);

/** Polls `read` every 10ms until `done` holds or 3s pass. */
async function until<T>(read: () => T | Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("JwksStore", () => {
  let answer: { status: number; body: string } = { status: 200, body: keySet("one") };
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches++;
    res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
  });
  let uri = "";

  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("fetches once for every configuration, refreshes on its schedule, and keeps the keys when a refresh fails", async () => {
    const logs: string[] = [];
    const store = new JwksStore((l) => logs.push(l), { refreshMs: 50, retryMs: 50 });
    try {
      const set = store.get("issuer", uri, 1000);
      assert.equal(store.get("issuer", uri, 1000), set);
      assert.deepEqual(kids(await set.current()), ["one"]);
      answer = { status: 200, body: keySet("two") };
      assert.deepEqual(
        kids(
          await until(
            () => set.current(),
            (k) => kids(k)[0] === "two",
          ),
        ),
        ["two"],
      );
      answer = { status: 503, body: "down" };
      await until(
        () => logs.length,
        (n) => n > 0,
      );
      assert.deepEqual(kids(await set.current()), ["two"]);
      assert.equal(logs[0], `warning: cannot fetch the JWKS of ${uri}: ${uri} answered 503`);
    } finally {
      store.close();
    }
  });

  it("says failed when the first fetch fails, and stops refreshing what no configuration uses", async () => {
    answer = { status: 404, body: "" };
    const store = new JwksStore(() => {}, { refreshMs: 20, retryMs: 20 });
    const set = store.get("issuer", uri, 1000);
    assert.deepEqual(await set.current(), { state: "failed", reason: `${uri} answered 404` });
    store.retain(new Set());
    const stoppedAt = fetches;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fetches, stoppedAt);
  });
});
