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
 * its workers. A short-lived child process sends each copy straight back.
 */
import { spawn } from "node:child_process";

/**
 * The native handle of a listening `net.Server` (`server._handle`): what an IPC channel can carry
 * and `server.listen(handle)` can take.
 */
export type ListenHandle = object;

/** Echoes each message with its handle, and exits when the parent lets go or after 10 seconds. */
const ECHO =
  'process.on("message",(m,h)=>process.send(m,h));' +
  'process.on("disconnect",()=>process.exit(0));' +
  "setTimeout(()=>process.exit(0),10000);";

/**
 * Makes `copies` new descriptors of each of `handles`, in one child process. Resolves with the
 * copies of each handle, in order: all of them, or those that came back before `timeoutMs`, or none
 * when the child could not start or the handle cannot be sent (a cluster worker's shared socket).
 * Copies that come back later are closed. Never rejects: the copies only make accepting faster.
 */
export function copyListenHandles(
  handles: readonly ListenHandle[],
  copies: number,
  timeoutMs = 10_000,
): Promise<{ copies: ListenHandle[][]; problem?: string }> {
  const result: ListenHandle[][] = handles.map(() => []);
  if (copies <= 0 || handles.length === 0) return Promise.resolve({ copies: result });
  return new Promise((resolve) => {
    // NODE_OPTIONS could load a test runner's or a profiler's hooks into a child that only echoes.
    const child = spawn(process.execPath, ["-e", ECHO], {
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let waiting = handles.length * copies;
    let done = false;
    const finish = (problem?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      resolve(problem === undefined ? { copies: result } : { copies: result, problem });
    };
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
      child.kill();
      finish((err as Error).message);
    }
  });
}
