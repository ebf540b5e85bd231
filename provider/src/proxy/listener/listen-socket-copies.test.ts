import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { copyListenHandles, listenHandleOf, type ListenHandle } from "./listen-socket-copies";

/** A server listening on a loopback port (`onConnection` its handler), with its native handle. */
async function listening(
  onConnection: (socket: net.Socket) => void = (c) => c.destroy(),
): Promise<{ server: net.Server; port: number; handle: ListenHandle }> {
  const server = net.createServer(onConnection);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, handle: listenHandleOf(server)! };
}

/** The turn of the event loop each connection was accepted in, for a burst of `burst` connections. */
async function acceptTurns(copies: number, burst: number): Promise<{ turns: number[]; made: number }> {
  const turns: number[] = [];
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  const clients: net.Socket[] = [];
  const servers: net.Server[] = [];
  const onConnection = (socket: net.Socket): void => {
    turns.push(turn);
    socket.destroy();
  };
  const { server: main, port, handle } = await listening(onConnection);
  servers.push(main);
  const made = await copyListenHandles([handle], copies);
  for (const h of made.copies[0]!) servers.push(net.createServer(onConnection).listen(h, 511));
  try {
    setImmediate(tick);
    // The clients' connect() calls go out before the next turn; the loop is then kept busy until
    // the kernel has completed every handshake, so the whole burst is pending when it polls.
    for (let i = 0; i < burst; i++) clients.push(net.connect(port, "127.0.0.1").on("error", () => {}));
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = Date.now() + 150;
        while (Date.now() < until);
        resolve();
      }),
    );
    const deadline = Date.now() + 10_000;
    while (turns.length < burst && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } finally {
    ticking = false;
    for (const c of clients) c.destroy();
    for (const s of servers) s.close();
  }
  return { turns, made: made.copies[0]!.length };
}

/** `connected`, or the error code of a connection to `port`. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** How many connections the busiest turn accepted. */
function mostInOneTurn(turns: readonly number[]): number {
  const perTurn = new Map<number, number>();
  for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  return Math.max(...perTurn.values());
}

describe("copies of a listening socket", () => {
  it("let one event-loop turn accept a connection on each descriptor", async () => {
    const { turns, made } = await acceptTurns(7, 24);
    assert.equal(made, 7);
    assert.equal(turns.length, 24);
    // Eight descriptors: the burst of 24 is accepted eight per turn.
    assert.equal(mostInOneTurn(turns), 8);
    assert.equal(new Set(turns).size, 3);
  });

  it("without copies, a turn accepts one connection (libuv's own behaviour)", async () => {
    const { turns, made } = await acceptTurns(0, 6);
    assert.equal(made, 0);
    assert.equal(turns.length, 6);
    assert.equal(mostInOneTurn(turns), 1);
  });

  it("copies several sockets in one child process, each into its own list", async () => {
    const sockets = await Promise.all([listening(), listening()]);
    const made = await copyListenHandles(
      sockets.map((l) => l.handle),
      2,
    );
    assert.equal(made.problem, undefined);
    assert.deepEqual(
      made.copies.map((c) => c.length),
      [2, 2],
    );
    // With the originals closed, each socket's port is served by a copy of it alone.
    for (const l of sockets) l.server.close();
    const copies = made.copies.map((c, i) => {
      for (const extra of c.slice(1)) (extra as { close(): void }).close();
      return net.createServer((socket) => socket.end(`copy of ${i}`)).listen(c[0], 511);
    });
    try {
      for (const [i, { port }] of sockets.entries()) {
        const socket = net.connect(port, "127.0.0.1");
        let body = "";
        socket.on("data", (d: Buffer) => (body += d.toString()));
        await once(socket, "end");
        assert.equal(body, `copy of ${i}`);
      }
    } finally {
      for (const c of copies) c.close();
    }
  });

  it("leaves no descriptor in the child: closing the socket and its copies here refuses connections", async () => {
    const { server, port, handle } = await listening();
    const made = await copyListenHandles([handle], 3);
    assert.equal(made.copies[0]!.length, 3);
    for (const h of made.copies[0]!) (h as { close(): void }).close();
    await new Promise((r) => server.close(r));
    assert.equal(await connectOutcome(port), "ECONNREFUSED");
  });

  it("when cancelled, gives no copies and resolves once the child is gone", async () => {
    const { server, port, handle } = await listening();
    const abort = new AbortController();
    const pending = copyListenHandles([handle], 3, { signal: abort.signal });
    abort.abort();
    const made = await pending;
    assert.deepEqual(made, { copies: [[]] });
    await new Promise((r) => server.close(r));
    assert.equal(await connectOutcome(port), "ECONNREFUSED");
  });

  it("gives no copies, and says why, for a handle that cannot be sent", async () => {
    const made = await copyListenHandles([{}], 3);
    assert.deepEqual(made.copies, [[]]);
    assert.match(made.problem ?? "", /handle type cannot be sent/);
  });
});
