/**
 * The PROXY protocol header a load balancer in front of the gateway writes before a connection's
 * own bytes (HAProxy's proxy-protocol.txt), read as Envoy's `proxy_protocol` listener filter reads
 * it with the empty configuration Istio gives it for `gatewayTopology.proxyProtocol`: the header is
 * required (v1 text or v2 binary, either), v2 TLVs are skipped, and anything else closes the
 * connection. Only the first bytes of a connection are looked at; the parse never throws.
 */
import net from "node:net";
import type { DownstreamAddresses } from "./downstream-addresses";

/** What the first bytes of a connection say, so far. */
export type ProxyHeaderParse =
  /** More bytes are needed to decide. */
  | { readonly kind: "incomplete" }
  /** Not a header Envoy takes: the connection is closed. */
  | { readonly kind: "error"; readonly reason: string }
  /**
   * A whole header of `length` bytes; `addresses` are those it carries, undefined when it says to
   * keep the connection's own (a v2 LOCAL command, a v1 `UNKNOWN`).
   */
  | { readonly kind: "header"; readonly length: number; readonly addresses: DownstreamAddresses | undefined };

/** The twelve bytes a v2 header starts with. */
export const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** What a v1 header starts with. */
const V1_SIGNATURE = Buffer.from("PROXY ", "latin1");
/** A v2 header's fixed part: signature, version and command, family, length. */
const V2_FIXED = 16;
/**
 * The longest v1 line Envoy reads, CRLF included (its `MAX_PROXY_PROTO_LEN_V1`; the specification
 * says 107).
 */
export const MAX_V1_LENGTH = 108;
/** The longest v2 header: its length field is 16 bits. */
export const MAX_V2_LENGTH = V2_FIXED + 0xffff;

const INCOMPLETE: ProxyHeaderParse = { kind: "incomplete" };
const CRLF = Buffer.from("\r\n", "latin1");

/** Parses the header at the start of `buf`, the bytes a connection sent so far. */
export function parseProxyHeader(buf: Buffer): ProxyHeaderParse {
  // Envoy decides between the versions once it has 16 bytes; before that, a CRLF past the first
  // two bytes ends a v1 line (a v2 signature has its first CRLF at 0).
  if (buf.length >= V2_FIXED) {
    if (buf.subarray(0, PROXY_V2_SIGNATURE.length).equals(PROXY_V2_SIGNATURE)) return parseV2(buf);
    if (!buf.subarray(0, V1_SIGNATURE.length).equals(V1_SIGNATURE)) {
      return { kind: "error", reason: "neither a v1 nor a v2 PROXY protocol header" };
    }
  }
  // The line ends at the first CRLF; one at the very start is a v2 signature's, still undecided.
  const crlf = buf.subarray(0, MAX_V1_LENGTH + 1).indexOf(CRLF);
  if (crlf === 0) return INCOMPLETE;
  if (crlf > 0) {
    const length = crlf + 2;
    if (length > MAX_V1_LENGTH)
      return { kind: "error", reason: "v1 PROXY protocol line longer than 108 bytes" };
    return parseV1(buf, length);
  }
  if (buf.length > MAX_V1_LENGTH)
    return { kind: "error", reason: "v1 PROXY protocol line longer than 108 bytes" };
  return INCOMPLETE;
}

/** `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n`, or `PROXY UNKNOWN ...\r\n`. */
function parseV1(buf: Buffer, length: number): ProxyHeaderParse {
  const line = buf.toString("latin1", 0, length).replace(/[ \t\f\v\r\n]+$/, "");
  // Single spaces only: Envoy splits on each, keeping empty fields, so a doubled space is an error.
  const parts = line.split(" ");
  if (parts.length < 2 || parts[0] !== "PROXY")
    return { kind: "error", reason: "not a v1 PROXY protocol line" };
  if (parts[1] === "UNKNOWN") return { kind: "header", length, addresses: undefined };
  if (parts.length !== 6)
    return { kind: "error", reason: "a v1 PROXY protocol line needs four addresses and ports" };
  const family = parts[1] === "TCP4" ? 4 : parts[1] === "TCP6" ? 6 : 0;
  if (family === 0)
    return { kind: "error", reason: `unknown v1 PROXY protocol family ${JSON.stringify(parts[1])}` };
  const src = ipOf(parts[2]!, family);
  const dst = ipOf(parts[3]!, family);
  const sport = portOf(parts[4]!);
  const dport = portOf(parts[5]!);
  if (src === undefined || dst === undefined || sport === undefined || dport === undefined) {
    return { kind: "error", reason: "a v1 PROXY protocol line with a malformed address or port" };
  }
  return checked(
    { remoteAddress: src, remotePort: sport, localAddress: dst, localPort: dport },
    family,
    length,
  );
}

/** The fixed part, the addresses and any TLVs of a v2 header. */
function parseV2(buf: Buffer): ProxyHeaderParse {
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return { kind: "error", reason: "unsupported v2 PROXY protocol version" };
  const command = versionCommand & 0x0f;
  const familyTransport = buf[13]!;
  const declared = buf.readUInt16BE(14);
  const length = V2_FIXED + declared;
  if (command === 0) {
    // LOCAL (a health check of the load balancer's own): the addresses and TLVs are skipped.
    return buf.length < length ? INCOMPLETE : { kind: "header", length, addresses: undefined };
  }
  const family = familyTransport >> 4;
  const addressBytes = family === 1 ? 12 : family === 2 ? 36 : -1;
  if (addressBytes < 0) return { kind: "error", reason: "unsupported v2 PROXY protocol address family" };
  if (declared < addressBytes) return { kind: "error", reason: "v2 PROXY protocol address block too short" };
  if (buf.length < V2_FIXED + addressBytes) return INCOMPLETE;
  const transport = familyTransport & 0x0f;
  // PROXY, over a stream or datagram transport (Envoy takes both); any other command is an error.
  if (command !== 1 || (transport !== 1 && transport !== 2)) {
    return { kind: "error", reason: "unsupported v2 PROXY protocol command or transport" };
  }
  if (buf.length < length) return INCOMPLETE;
  const a = V2_FIXED;
  const addresses: DownstreamAddresses =
    family === 1
      ? {
          remoteAddress: ipv4Text(buf, a),
          localAddress: ipv4Text(buf, a + 4),
          remotePort: buf.readUInt16BE(a + 8),
          localPort: buf.readUInt16BE(a + 10),
        }
      : {
          remoteAddress: ipv6Text(buf, a),
          localAddress: ipv6Text(buf, a + 16),
          remotePort: buf.readUInt16BE(a + 32),
          localPort: buf.readUInt16BE(a + 34),
        };
  if (!tlvsWellFormed(buf, V2_FIXED + addressBytes, length)) {
    return { kind: "error", reason: "malformed v2 PROXY protocol TLV" };
  }
  return checked(addresses, family === 1 ? 4 : 6, length);
}

/** Whether the TLVs from `start` to `end` each have a whole type, length and value, as Envoy checks. */
function tlvsWellFormed(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    if (i + 3 > end) return false;
    const valueLength = buf.readUInt16BE(i + 1);
    i += 3 + valueLength;
    if (i > end) return false;
  }
  return true;
}

/** The header, when both addresses are unicast ones, as Envoy requires of a TCP connection's. */
function checked(addresses: DownstreamAddresses, family: 4 | 6, length: number): ProxyHeaderParse {
  if (!isUnicast(addresses.remoteAddress, family) || !isUnicast(addresses.localAddress, family)) {
    return { kind: "error", reason: "PROXY protocol addresses must be unicast" };
  }
  return { kind: "header", length, addresses };
}

/** Envoy's `isUnicastAddress`: not the any address, not broadcast, not multicast. */
function isUnicast(ip: string, family: 4 | 6): boolean {
  if (family === 4) {
    if (ip === "0.0.0.0" || ip === "255.255.255.255") return false;
    const first = Number(ip.slice(0, ip.indexOf(".")));
    return first < 224 || first > 239;
  }
  // ff00::/8: a first group of four hex digits starting with ff.
  const first = ip.slice(0, ip.indexOf(":"));
  return ip !== "::" && !(first.length === 4 && first.toLowerCase().startsWith("ff"));
}

/** A v1 address of `family`, in the form the proxy writes it; undefined when it is not one. */
function ipOf(text: string, family: 4 | 6): string | undefined {
  if (family === 4) return net.isIPv4(text) ? text : undefined;
  // A zone (`fe80::1%eth0`) is no address a PROXY header can carry.
  if (text.includes("%") || !net.isIPv6(text)) return undefined;
  return canonicalIpv6(text);
}

/** A v1 port: decimal digits (a leading `+` allowed, as Envoy's `SimpleAtoi`) up to 65535. */
function portOf(text: string): number | undefined {
  if (!/^\+?[0-9]{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function ipv4Text(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

function ipv6Text(buf: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(at + i).toString(16));
  return canonicalIpv6(groups.join(":"));
}

/** An IPv6 address as `inet_ntop` writes it (libuv's, as node's sockets and Envoy's logs do). */
function canonicalIpv6(text: string): string {
  return new net.SocketAddress({ address: text, family: "ipv6" }).address;
}
