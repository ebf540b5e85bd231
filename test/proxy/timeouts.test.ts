/**
 * When a route's `timeout` and a retry policy's `perTryTimeout` start, checked against Envoy's
 * router, which Istio's routes configure: both time the upstream's answer from the moment the
 * downstream has sent the whole request (`onRequestComplete`), so an upload slower than the
 * timeout is not cut, while an answer slower than it is, from the end of the request. Real clients
 * (node:http over HTTP/1.1, node:http2) send their bodies in timed pieces to a real backend.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { listenOnLoopback } from "./support/backends";
import { ConfigDir, startFileProxy } from "./support/samples";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A backend that reads the whole body, waits the `delay` query parameter's milliseconds, and
 * answers the body's length; `seen` counts the requests of each path.
 */
async function startUploadBackend(): Promise<{
  port: number;
  seen: Map<string, number>;
  close(): Promise<void>;
}> {
  const seen = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://backend");
    seen.set(url.pathname, (seen.get(url.pathname) ?? 0) + 1);
    let length = 0;
    req.on("data", (c: Buffer) => (length += c.length));
    req.on("end", () => {
      const t = setTimeout(
        () => {
          timers.delete(t);
          res.writeHead(200, { "content-type": "text/plain" }).end(`received ${length}`);
        },
        Number(url.searchParams.get("delay") ?? 0),
      );
      timers.add(t);
    });
  });
  return { ...(await listenOnLoopback(server, () => timers.forEach(clearTimeout))), seen };
}

/** What a client saw of one request: status, body, and milliseconds from its last body byte. */
interface Answer {
  status: number;
  body: string;
  afterBody: number;
}

/** POSTs `pieces` pieces of 1 KiB over HTTP/1.1 (chunked), `gapMs` apart. */
async function slowUploadH1(port: number, path: string, pieces: number, gapMs: number): Promise<Answer> {
  const req = http.request({
    host: "127.0.0.1",
    port,
    method: "POST",
    path,
    headers: { host: "upload.example.com" },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, afterBody: performance.now() - sent }),
      );
    });
    req.on("error", reject);
  });
  let sent = 0;
  for (let i = 0; i < pieces; i++) {
    if (i > 0) await sleep(gapMs);
    req.write(Buffer.alloc(1024, 0x61));
  }
  req.end();
  sent = performance.now();
  return answer;
}

/** The same over HTTP/2 (prior knowledge, h2c). */
async function slowUploadH2(port: number, path: string, pieces: number, gapMs: number): Promise<Answer> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    const stream = session.request({ ":method": "POST", ":path": path, ":authority": "upload.example.com" });
    let status = 0;
    let body = "";
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => (body += c));
    for (let i = 0; i < pieces; i++) {
      if (i > 0) await sleep(gapMs);
      stream.write(Buffer.alloc(1024, 0x61));
    }
    stream.end();
    const sent = performance.now();
    await once(stream, "close");
    return { status, body, afterBody: performance.now() - sent };
  } finally {
    session.close();
  }
}

describe("route and per-try timeouts run from the end of the request, as in Envoy's router", () => {
  const dir = new ConfigDir();
  let backend: Awaited<ReturnType<typeof startUploadBackend>>;
  let proxy: GatewayProxy;
  let port: number;

  before(async () => {
    backend = await startUploadBackend();
    const file = dir.write(
      "upload.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: upload, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [upload.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: upload, namespace: istio-system}
spec:
  hosts: [upload.example.com]
  gateways: [upload]
  http:
  - match: [{uri: {prefix: /per-try/}}]
    retries: {attempts: 2, perTryTimeout: 0.4s, retryOn: 5xx}
    route: [{destination: {host: uploads, port: {number: 8080}}}]
  - timeout: 0.4s
    route: [{destination: {host: uploads, port: {number: 8080}}}]
`,
    );
    proxy = await startFileProxy([file], [80], [{ host: "uploads", ip: "127.0.0.1", port: backend.port }]);
    port = proxy.boundPorts().get(80)!;
  });
  after(async () => {
    await proxy.close();
    await backend.close();
    dir.dispose();
  });

  it("does not cut an HTTP/1.1 upload that takes longer than the route's timeout", async () => {
    // Six pieces 200 ms apart: the body takes a second, the timeout is 0.4 s.
    const a = await slowUploadH1(port, "/upload/h1", 6, 200);
    assert.deepEqual([a.status, a.body], [200, "received 6144"]);
  });

  it("does not cut an HTTP/2 upload that takes longer than the route's timeout", async () => {
    const a = await slowUploadH2(port, "/upload/h2", 6, 200);
    assert.deepEqual([a.status, a.body], [200, "received 6144"]);
  });

  it("times the answer from the end of the request: 504 at the timeout after the last byte", async () => {
    const a = await slowUploadH1(port, "/upload/slow-answer?delay=1500", 4, 200);
    assert.deepEqual([a.status, a.body], [504, "upstream request timeout"]);
    assert.ok(a.afterBody >= 350 && a.afterBody < 1200, `answered ${a.afterBody} ms after the body`);
  });

  it("does not cut an upload that takes longer than the per-try timeout, nor retry it", async () => {
    const a = await slowUploadH1(port, "/per-try/upload", 6, 200);
    assert.deepEqual([a.status, a.body, backend.seen.get("/per-try/upload")], [200, "received 6144", 1]);
  });

  it("times each try from the end of the request, and retries one that runs out", async () => {
    const a = await slowUploadH1(port, "/per-try/slow-answer?delay=1500", 3, 200);
    // Three tries (attempts: 2 are the retries) of 0.4 s each, the body kept for them, then
    // Envoy's timeout answer.
    assert.deepEqual(
      [a.status, a.body, backend.seen.get("/per-try/slow-answer")],
      [504, "upstream request timeout", 3],
    );
    assert.ok(a.afterBody >= 1100 && a.afterBody < 2500, `answered ${a.afterBody} ms after the body`);
  });
});
