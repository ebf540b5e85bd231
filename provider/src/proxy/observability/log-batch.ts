/**
 * Access-log lines waiting to be written together, in one buffer. Each line arrives whole, as one
 * string (access-log-line.ts), and is copied in by a single native write, so the lines waiting are
 * bytes, never a tree of strings every young collection would copy, and a line that does not fit is
 * refused whole. Joining a line's fields into a string and copying it once costs about what writing
 * them byte by byte from JavaScript did (README, "Logging"), with no roll-back to get right.
 */

/** One buffer of whole lines, filled from its start. */
export class LogBatch {
  /** Where the lines are written; bytes `[0, length)` are taken. */
  readonly bytes: Buffer;
  /** Bytes taken. */
  length = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** The lines taken so far, sharing this batch's memory. */
  get written(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  /**
   * Appends `line` in UTF-8 when all of it fits, and says whether it did. A line that does not fit
   * leaves the batch as it was.
   */
  append(line: string): boolean {
    const room = this.bytes.length - this.length;
    // UTF-8 takes at most three bytes for each UTF-16 unit: a line with three times its length in
    // room fits without being measured first, as every line but the last few of a batch does.
    if (line.length * 3 > room && Buffer.byteLength(line, "utf8") > room) return false;
    this.length += this.bytes.write(line, this.length, "utf8");
    return true;
  }
}
