/**
 * The one way an upstream socket is opened, for the HTTP/1.1 pool, WebSocket tunnels and TCP
 * proxying alike: TLS when the cluster originates it, no Nagle delay, the cluster's TCP
 * keep-alive. (HTTP/2 sessions are opened by node:http2, which applies the keep-alive itself.)
 */
import net from "node:net";
import tls from "node:tls";
import type { TcpKeepalive } from "../../istio/translate/proxy-config";
import { applyTcpKeepalive } from "./tcp-keepalive";

/** Where an upstream socket goes. */
export interface SocketTarget {
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
  /** TLS to originate, when the cluster asks for it. */
  readonly tls?: tls.ConnectionOptions | undefined;
  /** SO_KEEPALIVE settings, when the cluster has them. */
  readonly tcpKeepalive: TcpKeepalive | undefined;
  /**
   * A PROXY protocol header to write before anything else, TLS included, as Envoy's
   * `upstream_proxy_protocol` transport socket wraps the cluster's own; undefined = none.
   */
  readonly proxyProtocolHeader?: Buffer | undefined;
}

/**
 * Where a socket's reads land when its owner reads them itself (`onRead`): the bytes are in
 * `buffer` from 0 to `nread`, until the callback returns; then the memory takes the next read.
 */
export type OnRead = (nread: number, buffer: Buffer) => void;

/**
 * The memory every plain socket with an {@link OnRead} reads into, one read at a time. A TCP
 * socket's reads come only from the event loop, each handed over before the next is taken, so
 * one buffer serves them all. A TLS socket's do not: node decrypts and delivers bytes from inside
 * JavaScript calls too (an empty write, the handshake's start), possibly while another
 * connection's read is still being parsed from this memory, so each TLS socket reads into its
 * own (a TLS record is 16 KiB at most).
 */
const TCP_READS = Buffer.allocUnsafeSlow(64 * 1024);
const TLS_READ_BYTES = 16 * 1024;

/**
 * Opens a socket to `target`; `tlsExtra` adds to its TLS options (ALPN, a session to resume).
 * With `onRead`, each read goes to it in reused memory rather than out as a `data` event in a
 * Buffer of its own (the socket still emits `end`, once flowing); `socket.pause()` and
 * `socket.resume()` stop and restart the reads.
 */
export function connectEndpoint(
  target: SocketTarget,
  tlsExtra: tls.ConnectionOptions = {},
  onRead?: OnRead,
): net.Socket {
  let socket: net.Socket;
  const header = target.proxyProtocolHeader;
  if (header !== undefined && target.tls !== undefined) {
    // The header goes on the TCP socket first; the TLS handshake follows it on the same socket.
    const tcp = net.connect({ host: target.ip, port: target.port });
    tcp.write(header);
    applyTcpKeepalive(tcp, target.tcpKeepalive);
    tcp.setNoDelay(true);
    socket = tls.connect({ ...target.tls, ...tlsExtra, socket: tcp });
    // A TLS socket made over a socket of ours reads in `data` events: handed on as reads.
    if (onRead !== undefined) socket.on("data", (chunk: Buffer) => onRead(chunk.length, chunk));
    // Errors of the TCP socket (a refused connect) surface on the TLS socket.
    tcp.on("error", (err) => socket.destroy(err));
    return socket;
  }
  const onread = onRead === undefined ? undefined : readInto(onRead, target.tls === undefined);
  if (target.tls === undefined) {
    socket = net.connect({ host: target.ip, port: target.port, onread });
  } else {
    // tls.connect takes `onread` as net.connect does (node's documentation lists it); the type
    // declarations leave it out.
    const options: tls.ConnectionOptions & { onread?: net.OnReadOpts | undefined } = {
      ...target.tls,
      ...tlsExtra,
      host: target.ip,
      port: target.port,
      onread,
    };
    socket = tls.connect(options);
  }
  socket.setNoDelay(true);
  applyTcpKeepalive(socket, target.tcpKeepalive);
  if (header !== undefined) socket.write(header);
  return socket;
}

/** node's `onread` option for {@link OnRead}: a reused buffer, and a callback that never pauses. */
function readInto(onRead: OnRead, plain: boolean): net.OnReadOpts {
  const buffer = plain ? TCP_READS : Buffer.allocUnsafeSlow(TLS_READ_BYTES);
  return {
    buffer,
    callback: (nread) => {
      onRead(nread, buffer);
      // Pausing is the owner's, through `socket.pause()`; false here would pause it behind its back.
      return true;
    },
  };
}

/** The event a socket from {@link connectEndpoint} emits once it can carry data: after the TLS handshake, if any. */
export function readyEvent(target: SocketTarget): "connect" | "secureConnect" {
  return target.tls === undefined ? "connect" : "secureConnect";
}
