/**
 * An upgraded connection (WebSocket) tunnelled to one endpoint, as Envoy's upgrade support does
 * over HTTP/1.1: the request head goes upstream, the upstream's response head is read and handed
 * to the connection manager (which applies the route's response header operations), then bytes
 * flow both ways untouched, counted for the access log and the metrics.
 */
import type net from "node:net";
import type { Duplex } from "node:stream";
import {
  ProxyError,
  UpstreamConnectError,
  UpstreamConnectTimeoutError,
  UpstreamProtocolError,
  UpstreamResetError,
} from "../errors";
import type { UpstreamEndpoint } from "../upstream/cluster-manager";
import type { UpstreamConnectionInfo } from "../upstream/http1-connection";
import { socketAddress } from "../socket-address";
import { connectEndpoint, readyEvent } from "../upstream/endpoint-socket";
import type { ResponseHead } from "./response-head";
import { parseResponseHead } from "./response-head";

/** What the tunnel tells the connection manager. */
export interface TunnelObserver {
  /**
   * The upstream answered: the bytes to send downstream in place of its head, or undefined when
   * the answer is not passed on (the observer {@link UpgradeTunnel.release}d the tunnel to retry).
   */
  responseHead(head: ResponseHead): Buffer | undefined;
  /** The tunnel failed before a response head went downstream: answer `err` and end the connection. */
  failed(err: ProxyError): void;
  /** The downstream connection closed: the tunnel is over. */
  closed(): void;
}

/** One tunnelled upgrade. */
export class UpgradeTunnel implements UpstreamConnectionInfo {
  /** Bytes the client sent this tunnel after its request head (not counting those read with it). */
  bytesReceived = 0;
  /** Bytes to the client after the response head. */
  bytesSent = 0;
  /** True when the upstream connection failed after the response head went downstream. */
  upstreamReset = false;
  /** The upstream connection's own address and port, once it is connected (kept past its close). */
  localSocketAddress: string | undefined;
  private answered = false;
  private connected = false;
  /** The downstream went to another attempt ({@link release}): nothing here touches it again. */
  private released = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly upstream: net.Socket;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly downstream: Duplex,
    ep: UpstreamEndpoint,
    connectTimeoutMs: number,
    requestHead: Buffer,
    head: Buffer,
    private readonly observer: TunnelObserver,
  ) {
    const upstream = connectEndpoint(ep, { ALPNProtocols: ["http/1.1"] });
    this.upstream = upstream;
    this.connectTimer = setTimeout(
      () => upstream.destroy(new UpstreamConnectTimeoutError("connect timeout")),
      connectTimeoutMs,
    );
    upstream.once(readyEvent(ep), () => {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.connected = true;
      this.localSocketAddress = socketAddress(upstream.localAddress, upstream.localPort);
    });
    upstream.on("error", (err) => this.upstreamError(err));
    upstream.once("close", () => this.upstreamClosed());
    upstream.on("data", this.onHeadData);
    downstream.once("close", this.onDownstreamClose);
    upstream.write(requestHead);
    if (head.length > 0) upstream.write(head);
    downstream.on("data", this.onDownstreamData);
    downstream.pipe(upstream);
  }

  /** Whether the client sent bytes after its request head that went to this tunnel's upstream. */
  get clientSent(): boolean {
    return this.bytesReceived > 0;
  }

  /**
   * Lets the downstream go after a failure, or an answer not passed on, for another attempt to
   * take it: the tunnel stops reading it and will not report its close.
   */
  release(): void {
    this.released = true;
    clearTimeout(this.connectTimer);
    const downstream = this.downstream;
    downstream.unpipe(this.upstream);
    downstream.removeListener("close", this.onDownstreamClose);
    downstream.removeListener("data", this.onDownstreamData);
    this.upstream.destroy();
  }

  private readonly onDownstreamClose = (): void => {
    // Whatever the upstream does next, the exchange is over and logged.
    this.answered = true;
    clearTimeout(this.connectTimer);
    this.upstream.destroy();
    this.observer.closed();
  };

  private readonly onDownstreamData = (chunk: Buffer): void => {
    this.bytesReceived += chunk.length;
  };

  private readonly onHeadData = (chunk: Buffer): void => {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const head = parseResponseHead(this.pending);
    if (head === "incomplete") return;
    const upstream = this.upstream;
    upstream.removeListener("data", this.onHeadData);
    if (head === "invalid") {
      this.fail(new UpstreamProtocolError("invalid response head"));
      upstream.destroy();
      return;
    }
    this.answered = true;
    const rest = this.pending.subarray(head.length);
    this.pending = Buffer.alloc(0);
    const out = this.observer.responseHead(head);
    if (out === undefined) return;
    this.downstream.write(out);
    if (rest.length > 0) {
      this.bytesSent += rest.length;
      this.downstream.write(rest);
    }
    upstream.on("data", (c: Buffer) => {
      this.bytesSent += c.length;
    });
    upstream.pipe(this.downstream);
  };

  private upstreamError(err: Error): void {
    if (this.answered) {
      this.upstreamReset = true;
      return;
    }
    this.fail(
      err instanceof ProxyError
        ? err
        : this.connected
          ? new UpstreamResetError(err.message, err)
          : new UpstreamConnectError(err.message, err),
    );
  }

  private upstreamClosed(): void {
    if (this.released) return;
    if (!this.answered) return this.fail(new UpstreamResetError("upstream closed before answering"));
    const downstream = this.downstream;
    if (this.upstreamReset || downstream.writableFinished) downstream.destroy();
    else {
      // The upstream ended cleanly: what it sent is flushed before the connection closes.
      downstream.end();
      downstream.once("finish", () => downstream.destroy());
    }
  }

  private fail(err: ProxyError): void {
    if (this.answered) return;
    this.answered = true;
    this.downstream.unpipe(this.upstream);
    this.observer.failed(err);
  }
}
