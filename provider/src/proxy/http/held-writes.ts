/**
 * What one socket is written during a turn of the event loop, held until the turn ends (its
 * owner asks `holdUntilTurnEnd` in turn-end-writes.ts, and flushes it there) and then given to the
 * socket as one buffer.
 *
 * Why not `socket.cork()` around the pieces, as node:http does: a corked Writable queues each piece
 * as an entry of its own, and uncorking hands them to the handle as a vector (`writev`) that
 * node's C++ side walks, flattening each string. For the proxy's usual turn, a response head and a
 * short body, or a request head alone, that machinery costs more than the bytes: joining the
 * pieces here and writing once takes the socket's simplest path (one buffer, tried at once). Under
 * the benchmark's load the proxy allocates 7.5 to 7.7 KB per request this way, against 8.1 to 8.2
 * through a corked socket (fewer young collections, the pauses its latency tail waits on).
 *
 * A turn that writes more than the socket's high-water mark (a large body) is not joined: the
 * pieces go to the socket, corked until the end of the turn, so that no large chunk is copied and
 * the socket's own backpressure (a false `write`, then `drain`) holds as for any stream.
 */
import type { Writable } from "node:stream";

/** The socket's side that {@link HeldWrites} needs. */
export type HeldSocket = Pick<
  Writable,
  "write" | "cork" | "uncork" | "destroyed" | "writableLength" | "writableHighWaterMark"
>;

/** Pieces written to one socket in this turn, sent at its end. */
export class HeldWrites {
  /** Kept across turns (emptied, not replaced): a connection writes every turn it serves. */
  private readonly pieces: (string | Buffer)[] = [];
  /** The bytes of `pieces` (strings are latin1: a character is a byte). */
  private bytes = 0;
  /** The turn wrote past the high-water mark: its pieces went to the socket, corked. */
  private corked = false;

  constructor(private readonly socket: HeldSocket) {}

  /**
   * Holds `chunk` until {@link flush}: a string is latin1 text (a head or chunk framing), a buffer
   * is body bytes. Returns false when the socket's buffer is full: wait for its `drain`.
   */
  write(chunk: string | Buffer): boolean {
    const socket = this.socket;
    if (this.corked) return socket.write(chunk, "latin1");
    this.pieces.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes + socket.writableLength < socket.writableHighWaterMark) return true;
    // Too much to copy into one buffer, and the socket must see it to report backpressure.
    this.corked = true;
    socket.cork();
    let flowing = true;
    for (const piece of this.pieces) flowing = socket.write(piece, "latin1");
    this.clear();
    return flowing;
  }

  /** Whether anything waits for {@link flush}. */
  get holding(): boolean {
    return this.corked || this.bytes > 0;
  }

  /** Gives the socket what the turn wrote, in one write. A destroyed socket takes nothing. */
  flush(): void {
    const socket = this.socket;
    if (this.corked) {
      this.corked = false;
      socket.uncork();
      return;
    }
    const pieces = this.pieces;
    if (pieces.length === 0) return;
    if (!socket.destroyed)
      socket.write(pieces.length === 1 ? pieces[0]! : joined(pieces, this.bytes), "latin1");
    this.clear();
  }

  private clear(): void {
    this.pieces.length = 0;
    this.bytes = 0;
  }
}

/**
 * The pieces as one: a string when all are strings (node encodes it in one pass as it writes),
 * else a buffer (from node's pool when small) with each piece copied in.
 */
function joined(pieces: readonly (string | Buffer)[], bytes: number): string | Buffer {
  let text = "";
  let allText = true;
  for (const piece of pieces) {
    if (typeof piece !== "string") {
      allText = false;
      break;
    }
    text += piece;
  }
  if (allText) return text;
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece === "string") at += out.write(piece, at, "latin1");
    else at += piece.copy(out, at);
  }
  return out;
}
