// A client's HTTP/2 connection and its timeouts, as Envoy's connection manager has them: a
// connection that has had no stream open for the idle timeout gets a GOAWAY, whether or not bytes
// flowed; a stream with no bytes either way for the stream idle timeout gets 408 before its answer
// begins and a reset after; and a session that closed leaves nothing behind.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import inspector from "node:inspector";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { ConfigDir, startFileProxy } from "./support/samples";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * How many objects with `prototype` in their chain are alive, after the full collection that the
 * inspector's `queryObjects` runs first.
 */
async function liveInstances(prototype: object): Promise<number> {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params: object) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
    );
  const holder = globalThis as { queriedPrototype?: object };
  holder.queriedPrototype = prototype;
  try {
    const { result } = await post<{ result: { objectId: string } }>("Runtime.evaluate", {
      expression: "globalThis.queriedPrototype",
    });
    const { objects } = await post<{ objects: { objectId: string } }>("Runtime.queryObjects", {
      prototypeObjectId: result.objectId,
    });
    const { result: length } = await post<{ result: { value: number } }>("Runtime.callFunctionOn", {
      objectId: objects.objectId,
      functionDeclaration: "function () { return this.length; }",
      returnByValue: true,
    });
    return length.value;
  } finally {
    delete holder.queriedPrototype;
    session.disconnect();
  }
}

/** The prototype of node:http2's server-side sessions, from a session of a server of its own. */
async function serverSessionPrototype(): Promise<object> {
  const server = http2.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  const [session] = (await once(server, "session")) as [http2.ServerHttp2Session];
  const prototype = Object.getPrototypeOf(session) as object;
  client.close();
  await once(client, "close");
  await new Promise<void>((r) => server.close(() => r()));
  return prototype;
}

describe("a client's HTTP/2 connection and its timeouts", () => {
  const dir = new ConfigDir();
  // Answers /slow after 700 ms of silence, /upload once its body has come, begins /stall and never
  // ends it, and anything else at once.
  const backend = http.createServer((req, res) => {
    const answer = () => res.end(req.url);
    if (req.url === "/slow") setTimeout(answer, 700);
    else if (req.url === "/upload") req.resume().on("end", answer);
    else if (req.url === "/stall") res.write("partial");
    else answer();
  });
  let timed: GatewayProxy;
  let untimed: GatewayProxy;

  before(async () => {
    backend.listen(0, "127.0.0.1");
    await once(backend, "listening");
    dir.write(
      "gateway.yaml",
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: backend.internal}}]
`,
    );
    const resolve = [
      { host: "backend.internal", ip: "127.0.0.1", port: (backend.address() as net.AddressInfo).port },
    ];
    timed = await startFileProxy([dir.dir], [8080], resolve, [], undefined, {
      limits: { idleTimeoutMs: 300, streamIdleTimeoutMs: 1500 },
    });
    untimed = await startFileProxy([dir.dir], [8080], resolve);
  });
  after(async () => {
    await timed.close();
    await untimed.close();
    backend.close();
    dir.dispose();
  });

  /** One GET on `client`: its status and body. */
  const get = async (client: http2.ClientHttp2Session, path: string): Promise<string> => {
    const stream = client.request({ ":path": path, ":authority": "shop.example" });
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once("response", resolve);
      stream.once("error", reject);
      stream.once("close", () =>
        reject(
          new Error(`the stream to ${path} closed without a response (RST_STREAM code ${stream.rstCode})`),
        ),
      );
    });
    let body = "";
    stream.setEncoding("utf8").on("data", (d: string) => (body += d));
    await once(stream, "end");
    return `${headers[":status"]} ${body}`;
  };

  it(
    "stays open while a stream is, however silent, and gets a GOAWAY once idle for the timeout",
    { timeout: 10_000 },
    async () => {
      const client = http2.connect(`http://127.0.0.1:${timed.boundPorts().get(8080)!}`);
      client.on("error", () => {});
      const goaway = once(client, "goaway");
      // 700 ms without a byte either way, more than twice the timeout: the stream is open, so the
      // connection is not idle, and the next request goes on it.
      assert.equal(await get(client, "/slow"), "200 /slow");
      assert.equal(await get(client, "/next"), "200 /next");
      const idleFrom = Date.now();
      const [code] = (await goaway) as [number];
      const idleMs = Date.now() - idleFrom;
      assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
      assert.ok(idleMs >= 250 && idleMs < 3000, `GOAWAY after ${idleMs} ms without streams`);
      await once(client, "close");
    },
  );

  it(
    "answers 408 to a stream silent both ways for the stream idle timeout, and serves the next",
    { timeout: 10_000 },
    async () => {
      const client = http2.connect(`http://127.0.0.1:${timed.boundPorts().get(8080)!}`);
      client.on("error", () => {});
      // A body announced and never sent: no byte either way once the headers are in.
      const started = Date.now();
      const stuck = client.request({ ":method": "POST", ":path": "/upload", ":authority": "shop.example" });
      stuck.on("error", () => {});
      const [headers] = (await once(stuck, "response")) as [http2.IncomingHttpHeaders];
      const waitedMs = Date.now() - started;
      assert.deepEqual(
        [headers[":status"], headers["x-igw-error-code"]],
        [408, "IGW_ERR_STREAM_IDLE_TIMEOUT"],
      );
      assert.ok(waitedMs >= 1400 && waitedMs < 5000, `answered after ${waitedMs} ms`);
      stuck.close();
      assert.equal(await get(client, "/after"), "200 /after");
      client.close();
      await once(client, "close");
    },
  );

  it(
    "resets a stream whose answer began and then went silent for the stream idle timeout",
    { timeout: 10_000 },
    async () => {
      const client = http2.connect(`http://127.0.0.1:${timed.boundPorts().get(8080)!}`);
      client.on("error", () => {});
      const started = Date.now();
      const stalled = client.request({ ":path": "/stall", ":authority": "shop.example" });
      stalled.on("error", () => {});
      let body = "";
      stalled.setEncoding("utf8").on("data", (d: string) => (body += d));
      const [headers] = (await once(stalled, "response")) as [http2.IncomingHttpHeaders];
      // The reset carries NO_ERROR, as Envoy's codec resets a stream it gives up on; that it came is
      // what ends the stream here, 1.5 s after its last byte, with the body cut where it stopped.
      await once(stalled, "close");
      const closedMs = Date.now() - started;
      assert.deepEqual([headers[":status"], body], [200, "partial"]);
      assert.ok(closedMs >= 1400 && closedMs < 5000, `reset after ${closedMs} ms`);
      client.close();
      await once(client, "close");
    },
  );

  it(
    "leaves no session behind once closed, with the default one-minute timeout",
    { timeout: 10_000 },
    async () => {
      const prototype = await serverSessionPrototype();
      const port = untimed.boundPorts().get(8080)!;
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        const client = http2.connect(`http://127.0.0.1:${port}`);
        answers.push(await get(client, `/${i}`));
        client.close();
        await once(client, "close");
      }
      assert.deepEqual(answers, ["200 /0", "200 /1", "200 /2"]);
      // The proxy's side closes a turn or so after the client's: look again for a while (without
      // the fix the sessions stay for the one-minute timeout).
      let alive = await liveInstances(prototype);
      for (const until = Date.now() + 3000; alive > 0 && Date.now() < until;) {
        await sleep(100);
        alive = await liveInstances(prototype);
      }
      assert.equal(alive, 0, "server-side HTTP/2 sessions alive");
    },
  );
});
