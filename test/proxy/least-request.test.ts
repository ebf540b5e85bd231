/**
 * Istio's default load balancer, least request: of two endpoints drawn at random, the one with
 * fewer requests in flight. An endpoint that holds every request it gets keeps them in flight,
 * so it is picked again only when both draws are it: with one such endpoint among four, a new
 * request reaches it once in sixteen, where round robin would send it every fourth.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Backend } from "./support/backends";
import { listenOnLoopback, startEchoBackend } from "./support/backends";
import { request } from "./support/curl";
import { documents, httpGateway, staticServiceEntry, virtualServiceHead } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

/** Requests sent one after another, each once the previous one has reached an endpoint. */
const REQUESTS = 80;

describe("least request, Istio's default load balancer", () => {
  const dir = new ConfigDir();
  const fast: Backend[] = [];
  /** Emits "arrived" for each request the holding endpoint gets; answers them when closed. */
  const holding = new EventEmitter();
  const held: http.ServerResponse[] = [];
  let closeHolding: () => Promise<void>;
  let proxy: GatewayProxy;
  let base: string;

  before(async () => {
    for (const name of ["a", "b", "c"]) fast.push(await startEchoBackend(name));
    const server = await listenOnLoopback(
      http.createServer((_req, res) => {
        held.push(res);
        holding.emit("arrived");
      }),
      () => {
        for (const res of held) res.end("held\n");
      },
    );
    closeHolding = server.close;
    const ports = [server.port, ...fast.map((b) => b.port)];
    dir.write(
      "gateway.yaml",
      documents(
        httpGateway(),
        virtualServiceHead() + "  - route: [{destination: {host: app.internal}}]\n",
        staticServiceEntry(
          "app",
          ports.map((port) => ({ port })),
        ),
      ),
    );
    proxy = await startFileProxy([dir.dir], [8080], []);
    base = `http://127.0.0.1:${proxy.boundPorts().get(8080)}`;
  });

  after(async () => {
    await proxy.close();
    await closeHolding();
    for (const b of fast) await b.close();
    dir.dispose();
  });

  it("sends few requests to the endpoint that holds them", async () => {
    const answered: Promise<unknown>[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const response = request(`${base}/${i}`, { host: "shop.example" });
      answered.push(response);
      // The next request is sent once this one was answered by a fast endpoint or is held.
      await new Promise<void>((resolve) => {
        const arrived = () => resolve();
        holding.once("arrived", arrived);
        void response.then(() => {
          holding.off("arrived", arrived);
          resolve();
        });
      });
    }
    const toHolding = held.length;
    const toFast = fast.reduce((n, b) => n + b.hits.count, 0);
    assert.equal(toHolding + toFast, REQUESTS);
    // Round robin would hold 20 of 80. Least request holds about 80/16, 5; 14 or more happens in
    // fewer than 1 run in 1,000.
    assert.ok(toHolding < 14, `${toHolding} of ${REQUESTS} held`);
    assert.ok(toHolding >= 1, "the holding endpoint got none");
    await closeHolding();
    await Promise.all(answered);
  });
});
