/**
 * Reads the server name (SNI) and ALPN protocols from the first bytes of a TLS connection, without
 * terminating it, so PASSTHROUGH servers can route by SNI as Envoy's `tls_inspector` does.
 *
 * Bounded and defensive: every length is checked against what is there, the handshake may span
 * several records but never more than {@link MAX_CLIENT_HELLO} bytes, and no input throws.
 */

/** The most bytes buffered while waiting for a whole ClientHello (Envoy's inspector reads 64 KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;

/** What the first bytes say. */
export type ClientHelloResult =
  | { readonly kind: "incomplete" }
  | { readonly kind: "not-tls" }
  | { readonly kind: "client-hello"; readonly serverName?: string; readonly alpn: readonly string[] };

const INCOMPLETE: ClientHelloResult = Object.freeze({ kind: "incomplete" });
const NOT_TLS: ClientHelloResult = Object.freeze({ kind: "not-tls" });

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

/**
 * Parses `data`, the bytes received so far. `incomplete` means more bytes are needed (the caller
 * gives up at {@link MAX_CLIENT_HELLO}); `not-tls` means the bytes are not a TLS ClientHello.
 */
export function parseClientHello(data: Uint8Array): ClientHelloResult {
  // Gather the handshake message from as many records as it spans.
  const fragments: Uint8Array[] = [];
  let gathered = 0;
  let offset = 0;
  let needed = -1;
  while (needed < 0 || gathered < needed) {
    if (data.length < offset + 5) return data.length >= MAX_CLIENT_HELLO ? NOT_TLS : INCOMPLETE;
    if (data[offset] !== RECORD_HANDSHAKE) return NOT_TLS;
    if (data[offset + 1] !== 0x03) return NOT_TLS;
    const recordLength = (data[offset + 3]! << 8) | data[offset + 4]!;
    if (recordLength === 0 || recordLength > 16384 + 2048) return NOT_TLS;
    const start = offset + 5;
    const end = start + recordLength;
    if (data.length < end) return end > MAX_CLIENT_HELLO ? NOT_TLS : INCOMPLETE;
    fragments.push(data.subarray(start, end));
    gathered += recordLength;
    offset = end;
    if (needed < 0) {
      const first = fragments[0]!;
      if (first.length < 4) {
        // The 4-byte handshake header itself is split; join what there is and look again.
        if (gathered < 4) continue;
      }
      const head = fragments.length === 1 ? first : concat(fragments, gathered);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
      needed = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (needed > MAX_CLIENT_HELLO) return NOT_TLS;
    }
  }
  const message = fragments.length === 1 ? fragments[0]! : concat(fragments, gathered);
  return readClientHello(message.subarray(4, needed));
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads the body of a ClientHello handshake message. */
function readClientHello(body: Uint8Array): ClientHelloResult {
  const r = new Reader(body);
  if (!r.skip(2 + 32)) return NOT_TLS; // legacy_version, random
  if (!r.skipVector(1)) return NOT_TLS; // legacy_session_id
  if (!r.skipVector(2)) return NOT_TLS; // cipher_suites
  if (!r.skipVector(1)) return NOT_TLS; // legacy_compression_methods
  if (r.remaining === 0) return { kind: "client-hello", alpn: [] }; // no extensions (SSLv3-era)
  const extensionsLength = r.u16();
  if (extensionsLength < 0 || extensionsLength > r.remaining) return NOT_TLS;
  const extensions = new Reader(r.take(extensionsLength)!);
  let serverName: string | undefined;
  let alpn: string[] = [];
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const length = extensions.u16();
    if (type < 0 || length < 0) return NOT_TLS;
    const ext = extensions.take(length);
    if (ext === undefined) return NOT_TLS;
    if (type === EXT_SERVER_NAME) {
      const name = readServerName(ext);
      if (name === null) return NOT_TLS;
      serverName = name;
    } else if (type === EXT_ALPN) {
      const protocols = readAlpn(ext);
      if (protocols === null) return NOT_TLS;
      alpn = protocols;
    }
  }
  return serverName === undefined
    ? { kind: "client-hello", alpn }
    : { kind: "client-hello", serverName, alpn };
}

/** The host_name entry of a server_name extension; undefined when absent, null when malformed. */
function readServerName(ext: Uint8Array): string | undefined | null {
  const r = new Reader(ext);
  const listLength = r.u16();
  if (listLength < 0 || listLength !== r.remaining) return null;
  while (r.remaining > 0) {
    const nameType = r.u8();
    const length = r.u16();
    if (nameType < 0 || length < 0) return null;
    const name = r.take(length);
    if (name === undefined) return null;
    if (nameType === 0) {
      if (length === 0 || length > 255) return null;
      for (const b of name) if (b <= 0x20 || b >= 0x7f) return null;
      return Buffer.from(name.buffer, name.byteOffset, name.length).toString("latin1").toLowerCase();
    }
  }
  return undefined;
}

/** The protocol names of an ALPN extension; null when malformed. */
function readAlpn(ext: Uint8Array): string[] | null {
  const r = new Reader(ext);
  const listLength = r.u16();
  if (listLength < 0 || listLength !== r.remaining) return null;
  const out: string[] = [];
  while (r.remaining > 0) {
    const length = r.u8();
    const name = length > 0 ? r.take(length) : undefined;
    if (name === undefined) return null;
    out.push(Buffer.from(name.buffer, name.byteOffset, name.length).toString("latin1"));
  }
  return out;
}

/** A bounds-checked cursor; reads past the end return -1 or undefined instead of throwing. */
class Reader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  u8(): number {
    if (this.remaining < 1) return -1;
    return this.bytes[this.at++]!;
  }

  u16(): number {
    if (this.remaining < 2) return -1;
    const v = (this.bytes[this.at]! << 8) | this.bytes[this.at + 1]!;
    this.at += 2;
    return v;
  }

  take(n: number): Uint8Array | undefined {
    if (n < 0 || this.remaining < n) return undefined;
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  skip(n: number): boolean {
    return this.take(n) !== undefined;
  }

  skipVector(lengthBytes: 1 | 2): boolean {
    const n = lengthBytes === 1 ? this.u8() : this.u16();
    return n >= 0 && this.skip(n);
  }
}
