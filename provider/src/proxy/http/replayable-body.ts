/**
 * A request body that streams to the first attempt and can be sent again, as Envoy keeps a
 * request body for retries and shadows: every chunk read from the downstream is kept until the
 * body outgrows the buffer limit; a retry starts a replay that yields the kept chunks, then
 * follows the rest of the live body. Past the limit nothing more is kept and no new replay can
 * start (the request is no longer retried), while the attempt already reading goes on to the end.
 *
 * One attempt reads at a time, and its backpressure is the downstream's: the source is paused
 * while that attempt's stream is full, and while no attempt reads (a retry waiting for its
 * backoff).
 *
 * Mirrors read the body through taps, as Envoy streams a shadow request alongside the main one:
 * a tap gets each chunk as the body is read, never holding the source back (what a slow mirror
 * has not taken waits in its tap), and is abandoned (destroyed) when the body outgrows the limit,
 * fails, or is never read to its end.
 */
import { Readable } from "node:stream";

/**
 * How much of a request body is kept for retries and mirrors: 1 MiB, Istio's default
 * per-connection buffer limit (Envoy's `per_connection_buffer_limit_bytes` on gateway listeners).
 */
export const REQUEST_BODY_BUFFER_LIMIT = 1024 * 1024;

function ignore(): void {}

/** What a body reports as it reads the downstream. */
export interface BodyObserver {
  /** Counts bytes read from the downstream (once each, whatever the attempts). */
  bytesReceived: number;
  /** Counts the gRPC messages read from the downstream, likewise, when the request is gRPC. */
  readonly requestMessages?: { observe(chunk: Buffer): void } | undefined;
}

/** The stream one attempt reads the body from. */
class BodyAttempt extends Readable {
  /** Index of the next chunk to push, counted from the first chunk of the body. */
  next = 0;

  constructor(private readonly body: ReplayableBody) {
    super();
    // Its failure (the client left mid-body) reaches the attempt through its consumer, which may
    // already have stopped listening (the upstream answered early): it must not go unhandled.
    this.on("error", ignore);
  }

  override _read(): void {
    this.body.feed(this);
  }
}

/** A request body kept for retries and mirrors up to a limit. */
export class ReplayableBody {
  /** Chunks kept, the first being chunk number `base` of the body. */
  private chunks: Buffer[] = [];
  private base = 0;
  private size = 0;
  private ended = false;
  private failed: Error | undefined;
  private reader: BodyAttempt | undefined;
  private opened = false;
  private keeping: boolean;
  private taps: Readable[] | undefined;
  private watchingClose = false;
  /** Told once the downstream has sent the whole body ({@link whenEnded}). */
  private endWaiters: (() => void)[] | undefined;

  constructor(
    private readonly source: Readable,
    private readonly observer: BodyObserver,
    /** Bytes kept at most; 0 keeps nothing (the body streams once). */
    private readonly limit: number = REQUEST_BODY_BUFFER_LIMIT,
  ) {
    this.keeping = limit > 0;
  }

  /** True while the whole body read so far is kept: a new attempt can replay it. */
  get replayable(): boolean {
    return this.keeping || !this.opened;
  }

  /**
   * The body for a new attempt: the first streams the live body; later ones replay the kept
   * chunks first. Undefined when the body was not kept. The previous attempt's stream gets
   * nothing more.
   */
  open(): Readable | undefined {
    if (!this.replayable) return undefined;
    const previous = this.reader;
    const reader = new BodyAttempt(this);
    reader.next = this.base;
    this.reader = reader;
    if (previous !== undefined && !previous.destroyed) previous.destroy();
    if (!this.opened) {
      this.opened = true;
      this.source.on("data", (chunk: Buffer) => this.onData(chunk));
      this.source.once("end", () => this.onEnd());
      this.source.once("error", (err) => this.onError(err));
      this.source.once("aborted", () => this.onError(new Error("request aborted")));
    }
    if (this.failed !== undefined) reader.destroy(this.failed);
    return reader;
  }

  /**
   * A copy of the body for a mirror: the chunks read so far, then each chunk as it is read, then
   * the end. Undefined when the body read so far is no longer kept whole (a limit of 0, past the
   * limit, failed). The tap is destroyed when the body outgrows the limit or fails, or when the
   * request closes before its end was read.
   */
  tap(): Readable | undefined {
    if (!this.keeping) return undefined;
    const tap = new Readable({ read: ignore });
    // While the body is kept nothing was trimmed: `chunks` is the body from its first byte.
    for (const chunk of this.chunks) tap.push(chunk);
    if (this.ended) {
      tap.push(null);
      return tap;
    }
    const taps = (this.taps ??= []);
    taps.push(tap);
    tap.once("close", () => {
      const i = this.taps?.indexOf(tap) ?? -1;
      if (i >= 0) this.taps!.splice(i, 1);
    });
    if (!this.watchingClose) {
      this.watchingClose = true;
      // A request whose body no attempt read to its end (the upstream answered first, or never
      // connected) closes without the end reaching the body: its mirrors are given up.
      this.source.once("close", () => {
        if (!this.ended) this.abandonTaps(new Error("request closed before its body was read"));
      });
    }
    return tap;
  }

  /**
   * Calls `then` once the downstream has sent the whole body, as the attempts read it: at once if
   * it has, never if it fails first.
   */
  whenEnded(then: () => void): void {
    if (this.ended) return then();
    if (this.failed !== undefined) return;
    (this.endWaiters ??= []).push(then);
  }

  /** Stops keeping the body once no new attempt will need it (the response was committed). */
  release(): void {
    this.stopKeeping();
  }

  /** Pushes what `reader` has not had yet, while it wants more; resumes the source when it caught up. */
  feed(reader: BodyAttempt): void {
    if (reader !== this.reader) return;
    while (reader.next < this.base + this.chunks.length) {
      const chunk = this.chunks[reader.next - this.base]!;
      reader.next++;
      if (!this.keeping) this.trim();
      if (!reader.push(chunk)) {
        this.source.pause();
        return;
      }
    }
    if (this.ended) {
      reader.push(null);
      return;
    }
    if (this.failed === undefined) this.source.resume();
  }

  private onData(chunk: Buffer): void {
    this.observer.bytesReceived += chunk.length;
    this.observer.requestMessages?.observe(chunk);
    this.chunks.push(chunk);
    const taps = this.taps;
    if (this.keeping || taps !== undefined) {
      this.size += chunk.length;
      if (this.size > this.limit) {
        this.stopKeeping();
        this.abandonTaps(new Error("request body outgrew the mirror buffer"));
      } else if (taps !== undefined) {
        // Never waits for a mirror: what it has not read stays in its tap, within the limit.
        for (const tap of taps) tap.push(chunk);
      }
    }
    const reader = this.reader;
    if (reader === undefined || reader.destroyed) {
      this.source.pause();
      return;
    }
    // A reader still replaying kept chunks gets this one in order, from its own `_read`.
    if (reader.next === this.base + this.chunks.length - 1) this.feed(reader);
    else this.source.pause();
  }

  private onEnd(): void {
    this.ended = true;
    const reader = this.reader;
    if (reader !== undefined && reader.next === this.base + this.chunks.length) reader.push(null);
    const taps = this.taps;
    this.taps = undefined;
    if (taps !== undefined) for (const tap of taps) tap.push(null);
    const waiters = this.endWaiters;
    this.endWaiters = undefined;
    if (waiters !== undefined) for (const then of waiters) then();
  }

  private onError(err: Error): void {
    if (this.failed !== undefined || this.ended) return;
    this.failed = err;
    this.endWaiters = undefined;
    this.stopKeeping();
    this.abandonTaps(err);
    this.reader?.destroy(err);
  }

  private abandonTaps(err: Error): void {
    const taps = this.taps;
    this.taps = undefined;
    if (taps !== undefined) for (const tap of taps) tap.destroy(err);
  }

  private stopKeeping(): void {
    this.keeping = false;
    this.trim();
  }

  /** Drops the chunks the current reader has had: nothing will read them again. */
  private trim(): void {
    const done = (this.reader?.next ?? this.base + this.chunks.length) - this.base;
    if (done <= 0) return;
    this.chunks = done === this.chunks.length ? [] : this.chunks.slice(done);
    this.base += done;
  }
}
