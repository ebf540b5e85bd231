/**
 * A small incremental HTTP/1.1 response parser for the client end of a connection, strict about
 * what a proxy may send (CRLF line ends, one framing per message, hexadecimal chunk sizes): bytes
 * go in as they arrive, in any cuts, and whole responses come out in order. The method of every
 * request sent is given first, since a response to HEAD has no body whatever its head says.
 */

/** One response read from the wire. */
export interface ParsedResponse {
  /** The status code. */
  readonly status: number;
  /** Header names (lower case) and values, in the order sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body, chunked framing removed. */
  readonly body: Buffer;
  /** Trailer names (lower case) and values of a chunked body. */
  readonly trailers: readonly (readonly [string, string])[];
  /** How the body was framed. */
  readonly framing: "none" | "length" | "chunked" | "close";
}

/** The values of header `name` (lower case) in `fields`, in order. */
export function fieldValues(fields: readonly (readonly [string, string])[], name: string): string[] {
  return fields.filter(([n]) => n === name).map(([, v]) => v);
}

/** The single value of header `name` in a response, or undefined; throws when it is repeated. */
export function fieldValue(fields: readonly (readonly [string, string])[], name: string): string | undefined {
  const values = fieldValues(fields, name);
  if (values.length > 1) throw new Error(`header ${name} sent ${values.length} times`);
  return values[0];
}

/** A message being read: its head, then the body state. */
interface Pending {
  status: number;
  headers: [string, string][];
  framing: ParsedResponse["framing"];
  /** Body bytes still expected (length framing), or of the current chunk (chunked). */
  remaining: number;
  /** Where a chunked body is. */
  chunkState: "size" | "data" | "data-crlf" | "trailers";
  pieces: Buffer[];
  trailers: [string, string][];
}

const CRLF = Buffer.from("\r\n", "latin1");
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");

/** Parses the responses of one HTTP/1.1 connection. */
export class Http1ResponseParser {
  /** Every response read so far, in order. */
  readonly responses: ParsedResponse[] = [];
  /** Set when the peer closed: bytes after it are an error. */
  ended = false;
  /** Set when the peer closed in the middle of a response. */
  truncated = false;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly methods: string[] = [];
  private pending: Pending | undefined;

  /** Records that a request with `method` was sent: responses are matched to requests in order. */
  expect(method: string): void {
    this.methods.push(method);
  }

  /** Bytes still unread (the start of an incomplete message). */
  get unread(): number {
    return this.buffered.length;
  }

  /** Feeds bytes as they arrived; throws on anything a conforming server would not send. */
  push(data: Buffer): void {
    if (this.ended) throw new Error("bytes after the end of the connection");
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    while (this.step());
  }

  /** The peer closed: a body delimited by the close ends here; any other partial message is truncated. */
  end(): void {
    this.ended = true;
    const p = this.pending;
    if (p !== undefined && p.framing === "close") {
      p.pieces.push(this.buffered);
      this.buffered = Buffer.alloc(0);
      this.complete(p);
      return;
    }
    if (p !== undefined || this.buffered.length > 0) this.truncated = true;
  }

  /** Reads as far as one state change; false when more bytes are needed. */
  private step(): boolean {
    const p = this.pending;
    if (p === undefined) return this.readHead();
    switch (p.framing) {
      case "close":
        p.pieces.push(this.buffered);
        this.buffered = Buffer.alloc(0);
        return false;
      case "length": {
        const n = Math.min(p.remaining, this.buffered.length);
        if (n === 0 && p.remaining > 0) return false;
        p.pieces.push(this.buffered.subarray(0, n));
        this.buffered = this.buffered.subarray(n);
        p.remaining -= n;
        if (p.remaining === 0) this.complete(p);
        return true;
      }
      case "chunked":
        return this.readChunked(p);
      case "none":
        throw new Error("unreachable: a bodiless response is completed with its head");
    }
  }

  private readHead(): boolean {
    const end = this.buffered.indexOf(HEAD_END);
    if (end < 0) {
      if (this.buffered.length > 256 * 1024) throw new Error("response head over 256 KiB");
      return false;
    }
    const lines = this.lines(this.buffered.subarray(0, end + 2));
    this.buffered = this.buffered.subarray(end + 4);
    const statusLine = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(lines[0]!);
    if (statusLine === null) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(statusLine[1]);
    const headers = lines.slice(1).map((l) => this.field(l));
    if (status >= 100 && status < 200) return true; // interim: the final response follows
    const method = this.methods[this.responses.length];
    if (method === undefined) throw new Error(`response ${this.responses.length} to no request`);
    const te = fieldValues(headers, "transfer-encoding");
    const lengths = fieldValues(headers, "content-length");
    if (te.length > 0 && lengths.length > 0) throw new Error("both transfer-encoding and content-length");
    if (new Set(lengths).size > 1) throw new Error(`conflicting content-length ${lengths.join(", ")}`);
    let framing: ParsedResponse["framing"];
    let remaining = 0;
    if (method === "HEAD" || status === 204 || status === 304) framing = "none";
    else if (te.length > 0) {
      if (te.join(",").trim().toLowerCase() !== "chunked")
        throw new Error(`transfer-encoding ${te.join(", ")}`);
      framing = "chunked";
    } else if (lengths.length > 0) {
      if (!/^\d+$/.test(lengths[0]!)) throw new Error(`content-length ${lengths[0]}`);
      framing = "length";
      remaining = Number(lengths[0]);
    } else framing = "close";
    const p: Pending = {
      status,
      headers,
      framing,
      remaining,
      chunkState: "size",
      pieces: [],
      trailers: [],
    };
    if (framing === "none" || (framing === "length" && remaining === 0)) this.complete(p);
    else this.pending = p;
    return true;
  }

  private readChunked(p: Pending): boolean {
    switch (p.chunkState) {
      case "size": {
        const eol = this.buffered.indexOf(CRLF);
        if (eol < 0) return false;
        const line = this.lines(this.buffered.subarray(0, eol + 2))[0]!;
        this.buffered = this.buffered.subarray(eol + 2);
        const size = /^([0-9a-fA-F]{1,8})(;[^\r\n]*)?$/.exec(line);
        if (size === null) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
        p.remaining = parseInt(size[1]!, 16);
        p.chunkState = p.remaining === 0 ? "trailers" : "data";
        return true;
      }
      case "data": {
        const n = Math.min(p.remaining, this.buffered.length);
        if (n === 0) return false;
        p.pieces.push(this.buffered.subarray(0, n));
        this.buffered = this.buffered.subarray(n);
        p.remaining -= n;
        if (p.remaining === 0) p.chunkState = "data-crlf";
        return true;
      }
      case "data-crlf":
        if (this.buffered.length < 2) return false;
        if (!this.buffered.subarray(0, 2).equals(CRLF)) throw new Error("chunk data not followed by CRLF");
        this.buffered = this.buffered.subarray(2);
        p.chunkState = "size";
        return true;
      case "trailers": {
        const eol = this.buffered.indexOf(CRLF);
        if (eol < 0) return false;
        const line = this.lines(this.buffered.subarray(0, eol + 2))[0]!;
        this.buffered = this.buffered.subarray(eol + 2);
        if (line === "") this.complete(p);
        else p.trailers.push(this.field(line));
        return true;
      }
    }
  }

  /** The CRLF-terminated lines of `bytes`; a bare CR or LF is an error. */
  private lines(bytes: Buffer): string[] {
    const text = bytes.toString("latin1");
    const lines = text.slice(0, -2).split("\r\n");
    for (const l of lines) if (/[\r\n]/.test(l)) throw new Error(`bare CR or LF in ${JSON.stringify(l)}`);
    return lines;
  }

  private field(line: string): [string, string] {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (m === null) throw new Error(`bad header line ${JSON.stringify(line)}`);
    return [m[1]!.toLowerCase(), m[2]!];
  }

  private complete(p: Pending): void {
    this.pending = undefined;
    this.responses.push({
      status: p.status,
      headers: p.headers,
      body: Buffer.concat(p.pieces),
      trailers: p.trailers,
      framing: p.framing,
    });
  }
}

/** An HTTP date (IMF-fixdate) header line, as every response the proxy sends carries one. */
const DATE_LINE = /\r\ndate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT(?=\r\n)/g;

/**
 * `head` (a raw response, head first) without its `date` line, which differs from run to run;
 * throws unless the head has exactly one.
 */
export function undated(head: string): string {
  const end = head.indexOf("\r\n\r\n");
  const dates = head.slice(0, end + 2).match(DATE_LINE) ?? [];
  if (dates.length !== 1) throw new Error(`expected one date line in ${JSON.stringify(head.slice(0, end))}`);
  return head.slice(0, end + 2).replace(DATE_LINE, "") + head.slice(end + 2);
}
