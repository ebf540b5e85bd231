/**
 * More file descriptors for a listening socket, so that one turn of the event loop accepts more
 * than one connection.
 *
 * libuv (1.45 and later, in Node.js 20) accepts one connection each time a listening descriptor is
 * reported ready, and takes the next one on the loop's next turn. Under load a turn serves every
 * connection with bytes waiting, which takes milliseconds: a burst of N new connections is then
 * accepted over N turns, and the last of them waits for all of those turns before its first
 * request is read. Envoy accepts every pending connection on each socket event (its listener's
 * `max_connections_to_accept_per_socket_event`, unlimited unless set).
 *
 * Every copy of the descriptor refers to the same socket and its one accept queue, and the event
 * loop watches each copy on its own: with C copies a turn accepts up to C + 1 connections. When a
 * single connection is pending, the copies that find the queue empty cost one failed `accept`
 * each. Node.js 20 can neither duplicate a descriptor nor set SO_REUSEPORT, but it duplicates the
 * descriptors it passes over an IPC channel, as the cluster module shares a listening socket with
 * its workers. A short-lived child process sends each copy straight back, and is ended as soon as
 * they are back: a descriptor it still held would keep a socket closed here taking connections.
 */
import { spawn } from "node:child_process";
import type net from "node:net";

/**
 * The native handle of a listening `net.Server` (`server._handle`): what an IPC channel can carry
 * and `server.listen(handle)` can take.
 */
export type ListenHandle = object;

/** The native handle of `server`, a node:net internal; undefined when it is not listening. */
export function listenHandleOf(server: net.Server): ListenHandle | undefined {
  return (server as unknown as { _handle?: ListenHandle | null })._handle ?? undefined;
}

/** Echoes each message with its handle; exits after 10 seconds if the parent has not ended it. */
const ECHO = 'process.on("message",(m,h)=>process.send(m,h));setTimeout(()=>process.exit(0),10000);';

/** What {@link copyListenHandles} made. */
export interface ListenHandleCopies {
  /** The copies of each handle, in the order of the handles. */
  readonly copies: ListenHandle[][];
  /** Why fewer copies than asked were made; absent when all were, or when cancelled. */
  readonly problem?: string;
}

/** Settings of {@link copyListenHandles}. */
export interface CopyOptions {
  /** How long the copies may take to come back, in ms. Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * Cancels: the child is killed, and the promise resolves once it has exited, with no copies, so
   * that the sockets stop taking connections once they are closed here.
   */
  readonly signal?: AbortSignal;
}

/**
 * Makes `copies` new descriptors of each of `handles`, in one child process. Resolves with the
 * copies of each handle, in order: all of them, or those that came back before the timeout, or none
 * when the child could not start, the handle cannot be sent (a cluster worker's shared socket), or
 * `signal` cancelled. Copies that come back later are closed. Never rejects: the copies only make
 * accepting faster.
 */
export function copyListenHandles(
  handles: readonly ListenHandle[],
  copies: number,
  options: CopyOptions = {},
): Promise<ListenHandleCopies> {
  const { timeoutMs = 10_000, signal } = options;
  const result: ListenHandle[][] = handles.map(() => []);
  if (copies <= 0 || handles.length === 0 || signal?.aborted) return Promise.resolve({ copies: result });
  return new Promise((resolve) => {
    // NODE_OPTIONS could load a test runner's or a profiler's hooks into a child that only echoes.
    const child = spawn(process.execPath, ["-e", ECHO], {
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let waiting = handles.length * copies;
    let done = false;
    // Every way out ends the child first and resolves once it has exited: the descriptors it holds
    // keep the sockets taking connections into their queues, even after they are closed here.
    const finish = (problem?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
      const outcome = problem === undefined ? { copies: result } : { copies: result, problem };
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
        return resolve(outcome);
      }
      child.once("exit", () => resolve(outcome));
      child.kill("SIGKILL");
    };
    const cancel = (): void => {
      for (const list of result) for (const h of list.splice(0)) (h as { close?(): void }).close?.();
      finish();
    };
    signal?.addEventListener("abort", cancel, { once: true });
    const timer = setTimeout(
      () =>
        finish(`${waiting} of ${handles.length * copies} copies did not come back within ${timeoutMs} ms`),
      timeoutMs,
    );
    child.on("error", (err) => finish(`cannot start ${process.execPath}: ${err.message}`));
    child.on("exit", () => finish(waiting > 0 ? "the child process exited early" : undefined));
    child.on("message", (message: { i?: unknown }, handle: { close?(): void } | undefined) => {
      const i = typeof message.i === "number" ? message.i : -1;
      if (handle === undefined || done || result[i] === undefined) return void handle?.close?.();
      result[i].push(handle);
      if (--waiting === 0) finish();
    });
    try {
      for (let i = 0; i < handles.length; i++) {
        for (let c = 0; c < copies; c++) child.send({ i }, handles[i] as never);
      }
    } catch (err) {
      finish((err as Error).message);
    }
  });
}
