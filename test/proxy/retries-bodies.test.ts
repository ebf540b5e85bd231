import assert from "node:assert/strict";
import crypto from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { ProxyConfig } from "../../provider/src/istio/translate/proxy-config";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { startConfigProxy } from "./support/config-proxy";
import { REQUEST_BODY_BUFFER_LIMIT } from "../../provider/src/proxy/http/replayable-body";
import {
  cluster,
  forward,
  httpListener,
  match,
  proxyConfig,
  route,
  vhost,
} from "./support/proxy-config-builders";

/** What a recording backend saw of one request. */
interface Seen {
  attempt: number;
  host: string;
  length: number;
  sha256: string;
}

/**
 * A backend that hashes every request body. Paths under `/fail-once/` answer 503 to their first
 * request (after reading the body) and 200 afterwards; under `/fail-early/` the 503 goes out
 * before the body is read. Every answer is the JSON of what it saw.
 */
async function startRecordingBackend(): Promise<{
  port: number;
  seen: Map<string, Seen[]>;
  close(): Promise<void>;
}> {
  const seen = new Map<string, Seen[]>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    const list = seen.get(path) ?? [];
    seen.set(path, list);
    const attempt = list.length + 1;
    if (path.startsWith("/fail-early/") && attempt === 1) {
      list.push({ attempt, host: req.headers.host ?? "", length: -1, sha256: "" });
      res.writeHead(503, { connection: "close", "content-length": "0" });
      res.end();
      req.resume();
      return;
    }
    const hash = crypto.createHash("sha256");
    let length = 0;
    req.on("data", (c: Buffer) => {
      length += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      const s: Seen = { attempt, host: req.headers.host ?? "", length, sha256: hash.digest("hex") };
      list.push(s);
      const status = path.startsWith("/fail-once/") && attempt === 1 ? 503 : 200;
      const body = JSON.stringify(s);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Sends `body` in `pieces` writes (chunked when `chunked`), resolving with status and body. */
function post(
  port: number,
  path: string,
  body: Buffer,
  chunked: boolean,
  pieces = 1,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: chunked ? { host: "shop.example" } : { host: "shop.example", "content-length": body.length },
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    const size = Math.ceil(body.length / pieces);
    let offset = 0;
    const next = (): void => {
      if (offset >= body.length) {
        req.end();
        return;
      }
      req.write(body.subarray(offset, offset + size));
      offset += size;
      setTimeout(next, 5);
    };
    next();
  });
}

/** An HTTP/2 (h2c) POST of `body` in two writes, resolving with status and body. */
async function postH2(port: number, path: string, body: Buffer): Promise<{ status: number; body: string }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, ":authority": "shop.example" });
    const [headers] = (await new Promise((resolve, reject) => {
      stream.once("response", (h) => resolve([h]));
      stream.once("error", reject);
      stream.write(body.subarray(0, body.length / 2));
      setTimeout(() => stream.end(body.subarray(body.length / 2)), 5);
    })) as [http2.IncomingHttpHeaders];
    let text = "";
    stream.setEncoding("utf8");
    for await (const c of stream) text += c as string;
    return { status: Number(headers[":status"]), body: text };
  } finally {
    session.close();
  }
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

const waitFor = async (check: () => boolean, ms = 3000): Promise<void> => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("retries and mirrors of requests with a body", () => {
  let main: Awaited<ReturnType<typeof startRecordingBackend>>;
  let shadow: Awaited<ReturnType<typeof startRecordingBackend>>;
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];
  const logged = (path: string) => access.filter((l) => l["path"] === path);

  before(async () => {
    main = await startRecordingBackend();
    shadow = await startRecordingBackend();
    const config: ProxyConfig = proxyConfig(
      "p1",
      [
        httpListener(
          8080,
          [
            vhost(
              "any",
              ["*"],
              [
                route(
                  "mirrored",
                  forward("outbound|80||main", {
                    mirrors: [
                      { cluster: "outbound|80||shadow", percentage: 100 },
                      { cluster: "outbound|80||refused", percentage: 100 },
                    ],
                  }),
                  { match: match({ uri: { kind: "prefix", value: "/mirrored/" } }) },
                ),
                route(
                  "retried",
                  forward("outbound|80||main", {
                    retries: { attempts: 2, retryOn: "5xx", backoffMs: 5, previousHosts: true },
                  }),
                ),
              ],
            ),
          ],
          "auto",
        ),
      ],
      [
        cluster("outbound|80||main", [{ address: "127.0.0.1", port: main.port }]),
        cluster("outbound|80||shadow", [{ address: "127.0.0.1", port: shadow.port }]),
        cluster("outbound|80||refused", [{ address: "127.0.0.1", port: 1 }]),
      ],
    );
    proxy = await startConfigProxy(config, access);
    port = proxy.boundPorts().get(8080)!;
  });
  after(async () => {
    await proxy.close();
    await main.close();
    await shadow.close();
  });

  const retried: [string, string, number, boolean, number][] = [
    // name, path, body size, chunked, pieces written
    ["a 100 kB body", "/fail-once/100k", 100_000, false, 1],
    ["a chunked body written in pieces", "/fail-once/chunked", 100_000, true, 8],
    ["a body answered 503 before it was read", "/fail-early/100k", 100_000, false, 4],
    ["a body of exactly the limit", "/fail-once/limit", REQUEST_BODY_BUFFER_LIMIT, false, 1],
  ];
  for (const [name, path, size, chunked, pieces] of retried) {
    it(`retries ${name} after a 503, the body whole at the second attempt`, async () => {
      const body = crypto.randomBytes(size);
      const r = await post(port, path, body, chunked, pieces);
      const second: Seen = { attempt: 2, host: "shop.example", length: size, sha256: sha256(body) };
      assert.deepEqual([r.status, JSON.parse(r.body)], [200, second]);
      const first: Seen = path.startsWith("/fail-early/")
        ? { attempt: 1, host: "shop.example", length: -1, sha256: "" }
        : { ...second, attempt: 1 };
      assert.deepEqual(main.seen.get(path), [first, second]);
      await waitFor(() => logged(path).length === 1);
      const line = logged(path)[0]!;
      assert.deepEqual(
        [line["response_code"], line["response_flags"], line["bytes_received"], line["route_name"]],
        [200, "-", size, "retried"],
      );
    });
  }

  it("retries the body of an HTTP/2 client to an HTTP/1.1 upstream", async () => {
    const body = crypto.randomBytes(100_000);
    const path = "/fail-once/h2c";
    const r = await postH2(port, path, body);
    const second: Seen = { attempt: 2, host: "shop.example", length: body.length, sha256: sha256(body) };
    assert.deepEqual([r.status, JSON.parse(r.body)], [200, second]);
    assert.deepEqual(main.seen.get(path), [{ ...second, attempt: 1 }, second]);
  });

  it("does not retry a body over the limit: the upstream's 503 goes downstream after one attempt", async () => {
    const size = REQUEST_BODY_BUFFER_LIMIT + 1;
    const body = crypto.randomBytes(size);
    const path = "/fail-once/over-limit";
    const r = await post(port, path, body, false);
    const only: Seen = { attempt: 1, host: "shop.example", length: size, sha256: sha256(body) };
    assert.deepEqual([r.status, JSON.parse(r.body)], [503, only]);
    assert.deepEqual(main.seen.get(path), [only]);
    await waitFor(() => logged(path).length === 1);
    assert.deepEqual([logged(path)[0]!["response_code"], logged(path)[0]!["bytes_received"]], [503, size]);
  });

  for (const chunked of [false, true]) {
    it(`mirrors a POST whole to the shadow cluster (${chunked ? "chunked" : "content-length"}); a failing mirror changes nothing`, async () => {
      const body = crypto.randomBytes(100_000);
      const path = `/mirrored/${chunked ? "chunked" : "length"}`;
      const r = await post(port, path, body, chunked, 4);
      const want: Seen = { attempt: 1, host: "shop.example", length: body.length, sha256: sha256(body) };
      assert.deepEqual([r.status, JSON.parse(r.body)], [200, want]);
      await waitFor(() => shadow.seen.get(path) !== undefined);
      assert.deepEqual(shadow.seen.get(path), [{ ...want, host: "shop.example-shadow" }]);
    });
  }

  it("abandons the mirror of a body over the limit (the shadow never gets it whole), and still forwards it", async () => {
    const body = crypto.randomBytes(REQUEST_BODY_BUFFER_LIMIT + 1);
    const path = "/mirrored/over-limit";
    const r = await post(port, path, body, false);
    assert.deepEqual(JSON.parse(r.body), {
      attempt: 1,
      host: "shop.example",
      length: body.length,
      sha256: sha256(body),
    });
    // The mirror streamed alongside the body until it outgrew the limit, then was reset: the
    // shadow saw the request start (an empty list) and never its end.
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(shadow.seen.get(path) ?? [], []);
  });
});
