// A collection the API server does not serve (its CRD is not installed) against one that fails:
// the first counts as listed and empty and is picked up once served, the second keeps the proxy
// waiting. A stand-in API server on loopback answers as told.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { Reflector } from "./reflector";

const PATH = "/apis/networking.istio.io/v1/destinationrules";
const DESCRIPTION = "destinationrules.networking.istio.io";
const BACKOFF = { initialMs: 20, maxMs: 40, jitter: 0 };

const destinationRule = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "reviews", namespace: "default", resourceVersion: "5" },
  spec: { host: "reviews" },
};

/** Polls `probe` every 10 ms for at most 5 s. */
async function eventually(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5000 ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("Reflector on a collection that is not served", () => {
  /** What the stand-in answers a list with: 200 and the DestinationRule, or this status. */
  let answer: 200 | 404 | 503 = 404;
  const watches: http.ServerResponse[] = [];
  let server: http.Server;
  let kubeConfig: KubeConfig;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      if (url.pathname !== PATH || answer === 404) {
        res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
      } else if (answer === 503) {
        res.writeHead(503, { "content-type": "text/plain" }).end("unavailable\n");
      } else if (url.searchParams.get("watch") === "true") {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        watches.push(res);
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ items: [destinationRule], metadata: { resourceVersion: "5" } }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      // The client refuses plain HTTP unless TLS verification is off.
      clusters: [
        {
          name: "stand-in",
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: "anonymous" }],
      contexts: [{ name: "stand-in", cluster: "stand-in", user: "anonymous" }],
      currentContext: "stand-in",
    });
  });

  after(async () => {
    for (const w of watches) w.end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const reflector = (log: string[], changes: { count: number }) =>
    new Reflector({
      kubeConfig,
      path: PATH,
      description: DESCRIPTION,
      onChange: () => changes.count++,
      log: (line) => log.push(line),
      backoff: BACKOFF,
    });

  it(
    "counts a 404 as listed and empty, says so once, and lists the objects once the collection is served",
    { timeout: 20_000 },
    async () => {
      answer = 404;
      const log: string[] = [];
      const changes = { count: 0 };
      const r = reflector(log, changes);
      try {
        r.start();
        await r.waitForSync();
        assert.deepEqual(r.list(), []);
        await eventually("the first change", () => changes.count === 1);
        // Several attempts, one line.
        await eventually("a third attempt", () => r.status().failures >= 3);
        assert.deepEqual(
          { ...r.status(), failures: 0, retryInMs: 0 },
          {
            resource: DESCRIPTION,
            synced: true,
            connected: false,
            failures: 0,
            lastError: "404 Not Found",
            retryInMs: 0,
          },
        );
        assert.deepEqual(log, [
          `${DESCRIPTION} is not served (404 Not Found); taken as empty until it is (is its CRD installed?), listing again with backoff up to 40 ms`,
        ]);

        answer = 200;
        await eventually("the DestinationRule listed", () => r.list().length === 1);
        assert.deepEqual(r.list(), [destinationRule]);
        await eventually("a second change", () => changes.count >= 2);
        assert.equal(r.status().connected, true);
        assert.equal(log.length, 2);
        assert.match(
          log[1]!,
          /^watching destinationrules\.networking\.istio\.io again after \d+ failed attempts$/,
        );
      } finally {
        r.stop();
      }
    },
  );

  it(
    "keeps waiting for the first list when the API server fails otherwise",
    { timeout: 20_000 },
    async () => {
      answer = 503;
      const log: string[] = [];
      const changes = { count: 0 };
      const r = reflector(log, changes);
      try {
        let synced = false;
        void r.waitForSync().then(() => (synced = !r.status().connected && r.list().length === 0));
        r.start();
        await eventually("two attempts", () => log.length >= 2);
        assert.equal(r.synced, false);
        assert.equal(synced, false);
        assert.equal(changes.count, 0);
        assert.equal(
          log[0],
          `cannot watch ${DESCRIPTION}: 503 Service Unavailable; attempt 1 failed, retrying in 20 ms (the last good configuration keeps serving)`,
        );
      } finally {
        r.stop();
      }
    },
  );
});
