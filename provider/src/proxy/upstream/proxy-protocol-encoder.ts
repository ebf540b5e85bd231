/**
 * The PROXY protocol header Envoy's `upstream_proxy_protocol` transport socket writes first on each
 * upstream connection of a cluster whose DestinationRule sets `trafficPolicy.proxyProtocol`: the
 * downstream connection's source and destination, in text (V1) or binary (V2, command PROXY over
 * a stream, no TLVs), before any byte of the inner transport (a TLS handshake included).
 */
import net from "node:net";
import type { ProxyProtocolVersion } from "../../istio/translate/proxy-config";
import type { DownstreamAddresses } from "../listener/downstream-addresses";
import { PROXY_V2_SIGNATURE } from "../listener/proxy-protocol-header";

/** The header carrying `a` in `version`. */
export function proxyProtocolHeader(version: ProxyProtocolVersion, a: DownstreamAddresses): Buffer {
  const family = net.isIPv4(a.remoteAddress) ? 4 : net.isIPv6(a.remoteAddress) ? 6 : 0;
  const sameFamily = family !== 0 && net.isIP(a.localAddress) === family;
  if (version === "V1") {
    // Without two addresses of one family there is nothing to tell: the receiver keeps its own.
    if (!sameFamily) return Buffer.from("PROXY UNKNOWN\r\n", "latin1");
    const tcp = family === 4 ? "TCP4" : "TCP6";
    return Buffer.from(
      `PROXY ${tcp} ${a.remoteAddress} ${a.localAddress} ${a.remotePort} ${a.localPort}\r\n`,
      "latin1",
    );
  }
  if (!sameFamily) return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const addressBytes = family === 4 ? 12 : 36;
  const out = Buffer.alloc(16 + addressBytes);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21; // version 2, PROXY
  out[13] = family === 4 ? 0x11 : 0x21; // AF_INET or AF_INET6, over a stream
  out.writeUInt16BE(addressBytes, 14);
  const ipBytes = family === 4 ? ipv4Bytes : ipv6Bytes;
  const size = family === 4 ? 4 : 16;
  ipBytes(a.remoteAddress).copy(out, 16);
  ipBytes(a.localAddress).copy(out, 16 + size);
  out.writeUInt16BE(a.remotePort, 16 + 2 * size);
  out.writeUInt16BE(a.localPort, 18 + 2 * size);
  return out;
}

/** The key of `a` that keeps upstream connections apart, as Envoy's pool hash of the header's state. */
export function downstreamKey(a: DownstreamAddresses): string {
  return `${a.remoteAddress}#${a.remotePort}|${a.localAddress}#${a.localPort}`;
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}

/** The 16 bytes of a valid IPv6 address (`::` and a trailing dotted IPv4 part allowed). */
function ipv6Bytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const words = (s: string | undefined) =>
    s === undefined || s === "" ? [] : s.split(":").map((w) => parseInt(w, 16));
  let groups: number[];
  if (rest === undefined) groups = words(head);
  else {
    const left = words(head);
    const right = words(rest);
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (tail.length === 2) groups.splice(groups.length - 2, 2, ...tail);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
