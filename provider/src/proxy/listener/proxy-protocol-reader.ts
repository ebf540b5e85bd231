/**
 * Reads the PROXY protocol header off a new connection before anything else looks at it (before
 * the ClientHello is read), as Envoy's `proxy_protocol` listener filter, which Istio puts first on
 * every gateway listener under `gatewayTopology.proxyProtocol`. A connection whose header is
 * malformed, missing (Istio does not allow requests without one) or not whole within the listener
 * filter timeout is closed; no access log line is written, as Istio's listener log records only
 * connections no filter chain matched.
 */
import type net from "node:net";
import type { DownstreamAddresses } from "./downstream-addresses";
import { MAX_V2_LENGTH, PROXY_V2_SIGNATURE, parseProxyHeader } from "./proxy-protocol-header";

/**
 * Reads `raw`'s header, then calls back with the addresses it carries (undefined: keep the
 * socket's) and the bytes read past it, if any; `raw` is paused then. Closes `raw` instead when the
 * header is not one Envoy takes, or is not whole by `timeoutMs`.
 */
export function readProxyProtocol(
  raw: net.Socket,
  timeoutMs: number,
  then: (addresses: DownstreamAddresses | undefined, rest: Buffer | undefined) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  // Bytes a v2 header needs in all, once its length is known: reads before that are not parsed
  // again, so a header sent a byte at a time costs no more than one sent whole.
  let needed = 0;
  const timer = setTimeout(() => raw.destroy(), timeoutMs);
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length < needed) return;
    const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    if (chunks.length > 1) chunks.splice(0, chunks.length, head);
    const parsed = parseProxyHeader(head);
    if (parsed.kind === "incomplete" && length <= MAX_V2_LENGTH) {
      if (head.length >= 16 && head.subarray(0, 12).equals(PROXY_V2_SIGNATURE))
        needed = 16 + head.readUInt16BE(14);
      return;
    }
    clearTimeout(timer);
    raw.removeListener("data", onData);
    raw.pause();
    if (parsed.kind !== "header") return void raw.destroy();
    then(parsed.addresses, parsed.length < head.length ? head.subarray(parsed.length) : undefined);
  };
  raw.on("data", onData);
  raw.once("close", () => clearTimeout(timer));
}
