/**
 * The proxy's sockets: one TCP server per listener (`address:listenPort`), kept across
 * configurations whose listener keeps that key, so a reload never drops a socket it does not have
 * to. Each accepted connection is given its filter chain — by SNI from the ClientHello on TLS
 * listeners (Envoy's `tls_inspector`) — and handed to HTTP/1.1, HTTP/2 (h2c by prior knowledge,
 * or ALPN on TLS), TLS termination or the TCP proxy as the chain says.
 */
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { TcpProxy } from "../../istio/translate/proxy-config";
import type { ConnectionState, StatefulSocket } from "../http/connection-state";
import { CONNECTION_STATE } from "../http/connection-state";
import { ConnectionIdleTimer } from "../http/connection-idle-timer";
import type { HttpConnectionManager } from "../http/http-connection-manager";
import { SERVER_NAME } from "../http/response-head";
import { Http1Server } from "../http1/http1-server";
import type { AccessLog } from "../observability/access-log";
import type { ClientCertificateFailure } from "../observability/metrics";
import type { ChainRuntime, ListenerRuntime, ProxySnapshot } from "../proxy-snapshot";
import { closeDenied, proxyTcp } from "../tcp/tcp-proxy";
import { authorizeTcp } from "../rbac/tcp-authorization";
import { http2ServerSettings, openConnectionWindow } from "../http/http2-protocol-options";
import { copyListenHandles, listenHandleOf, type ListenHandle } from "./listen-socket-copies";
import { MAX_CLIENT_HELLO, parseClientHello } from "../tls/client-hello";
import { clientCertificateRefusal, hasPinning } from "../tls/client-certificate";
import type { ClusterRuntime } from "../upstream/cluster-manager";
import { hashString } from "../upstream/hash-ring";
import { socketAddress } from "../socket-address";
import { downstreamAddressesOf, restoreAddresses } from "./downstream-addresses";
import { readProxyProtocol } from "./proxy-protocol-reader";

/** Limits applied to every downstream connection. */
export interface ConnectionLimits {
  /** Most bytes of request headers (HTTP/1.1) or header list (HTTP/2). Default 60 KiB (Envoy's). */
  readonly maxHeaderBytes: number;
  /** Most request headers. Default 100 (Envoy's). */
  readonly maxHeadersCount: number;
  /** Time to receive the request headers, ms. */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, ms. */
  readonly requestTimeoutMs: number;
  /**
   * Idle time before a keep-alive connection is closed, ms. Default one hour, Envoy's, which Istio
   * keeps: a gateway behind a load balancer must not close idle connections before the balancer
   * does (AWS's ALB keeps them 60 s), or the balancer's next request on one races the close.
   */
  readonly idleTimeoutMs: number;
  /**
   * Time an HTTP/2 stream may carry no bytes either way, ms (Envoy's `stream_idle_timeout`, five
   * minutes by default); 0 = none.
   */
  readonly streamIdleTimeoutMs: number;
  /**
   * Time to send a ClientHello, and then to complete the TLS handshake, ms: 15 s each, as Envoy's
   * listener filter timeout and Istio's gateway transport socket connect timeout.
   */
  readonly handshakeTimeoutMs: number;
}

/** Envoy-like defaults, tightened where Node's are looser. */
export const DEFAULT_LIMITS: ConnectionLimits = {
  maxHeaderBytes: 60 * 1024,
  maxHeadersCount: 100,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 3_600_000,
  streamIdleTimeoutMs: 300_000,
  handshakeTimeoutMs: 15_000,
};

/** What the listeners need from the proxy around them. */
export interface ListenerContext {
  /** The configuration new connections are accepted under. */
  current(): ProxySnapshot | undefined;
  /** The HTTP connection manager. */
  readonly hcm: HttpConnectionManager;
  /** The access log (TCP connections). */
  readonly accessLog: AccessLog;
  /** Limits. */
  readonly limits: ConnectionLimits;
  /** True once draining has started: HTTP/1.1 connections close after their response. */
  draining(): boolean;
  /**
   * How long the connections of a filter chain that a configuration change modifies or removes may
   * stay open, ms (Envoy's `--drain-time-s`, Istio's `drainDuration`).
   */
  readonly drainDurationMs: number;
  /** Reports a problem that does not stop the proxy. */
  warn(message: string): void;
  /** Counts a client certificate refused on the listener named `listener`. */
  clientCertificateRefused?(listener: string, kind: ClientCertificateFailure): void;
  /**
   * Connections each listener accepts per turn of the event loop, at most (Envoy's
   * `max_connections_to_accept_per_socket_event`). Above 1, each listening socket gets that many
   * file descriptors in all ({@link copyListenHandles}). Default 1, as libuv accepts.
   */
  readonly acceptsPerEvent?: number;
  /**
   * Whether every connection starts with a PROXY protocol header (v1 or v2), read before anything
   * else, whose addresses become the connection's: Istio's `gatewayTopology.proxyProtocol`, which
   * puts Envoy's `proxy_protocol` listener filter first on every listener. Default false.
   */
  readonly proxyProtocol?: boolean;
}

/** Pending connections the kernel keeps for each listening socket. */
const BACKLOG = 2048;

/** No ALPN protocols: a plain-text connection's, or a ClientHello's without the extension. */
const NO_PROTOCOLS: readonly string[] = [];

/** Whether a client offering `offered` by ALPN (some) offers none of `ours`. */
function offersNone(offered: readonly string[], ours: readonly string[]): boolean {
  return offered.length > 0 && !offered.some((p) => ours.includes(p));
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Serves `server`'s requests with `handle`, those with an `expect` header included. node:http2
 * would answer `Expect: 100-continue` with a 100 itself, and any other expectation with 417; Istio
 * sets Envoy's `proxy_100_continue`, which leaves the expectation to the upstream: the connection
 * manager forwards it, and passes the upstream's 100 on (`writeContinue`). A CONNECT is served
 * too: node:http2 would answer it 405 itself, where Envoy routes it (and finds no route).
 */
function serveRequests(
  server: http2.Http2Server | http2.Http2SecureServer,
  handle: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): void {
  server.on("request", handle);
  server.on("checkContinue", handle);
  // Not in node's typings, but emitted as node:http emits them.
  (server as NodeJS.EventEmitter).on("checkExpectation", handle);
  (server as NodeJS.EventEmitter).on("connect", handle);
}

/** One listening socket and the HTTP servers its connections are handed to. */
export class RunningListener {
  /** The TCP server. */
  readonly server: net.Server;
  /** Servers on copies of the listening socket's descriptor ({@link adoptCopies}). */
  private readonly copies: net.Server[] = [];
  private readonly h1: Http1Server;
  private readonly h2c: http2.Http2Server;
  private readonly tlsHttp: http2.Http2SecureServer;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** The chains connections were given, across configurations, while any of them is open. */
  private readonly liveChains = new Set<ChainRuntime>();
  private closing = false;
  private whenIdle: (() => void)[] | undefined;

  constructor(
    readonly key: string,
    readonly address: string,
    readonly port: number,
    private readonly ctx: ListenerContext,
  ) {
    const limits = ctx.limits;
    this.h1 = new Http1Server({
      maxHeaderBytes: limits.maxHeaderBytes,
      maxHeadersCount: limits.maxHeadersCount,
      headersTimeoutMs: limits.headersTimeoutMs,
      requestTimeoutMs: limits.requestTimeoutMs,
      idleTimeoutMs: limits.idleTimeoutMs,
      serverName: SERVER_NAME,
      onRequest: ctx.hcm.handleRequest,
      onUpgrade: ctx.hcm.handleUpgrade,
      onRefusal: ctx.hcm.handleRefusal,
      draining: () => this.closing || ctx.draining(),
    });
    const h2settings: http2.ServerOptions = {
      maxHeaderListPairs: limits.maxHeadersCount,
      maxSessionMemory: 64,
      settings: http2ServerSettings(limits.maxHeaderBytes),
    };
    this.h2c = http2.createServer(h2settings);
    serveRequests(this.h2c, ctx.hcm.handleRequest);
    this.h2c.on("session", (s: http2.ServerHttp2Session) => this.track(s));
    // Only connections that chose `h2` by ALPN reach it: HTTP/1.1 over TLS goes to the HTTP/1.1 server.
    this.tlsHttp = http2.createSecureServer(h2settings);
    serveRequests(this.tlsHttp, ctx.hcm.handleRequest);
    this.tlsHttp.on("session", (s: http2.ServerHttp2Session) => this.track(s));
    this.server = this.tcpServer();
  }

  private tcpServer(): net.Server {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.on("error", (err) => this.ctx.warn(`listener ${this.key}: ${err.message}`));
    return server;
  }

  /** Starts listening; rejects when the port cannot be bound. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ port: this.port, host: this.address, backlog: BACKLOG }, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
  }

  /** The listening socket's native handle, to copy; undefined once closed. */
  listenHandle(): ListenHandle | undefined {
    return listenHandleOf(this.server);
  }

  /**
   * Accepts on `handles` too, copies of the listening socket's descriptor, so that one turn of the
   * event loop accepts a connection from each. Closes them instead once the listener has stopped.
   */
  adoptCopies(handles: readonly ListenHandle[]): void {
    for (const handle of handles) {
      if (this.closing) {
        (handle as { close?(): void }).close?.();
        continue;
      }
      const server = this.tcpServer();
      // The socket is listening already; the backlog is given again because listen() sets it anew.
      server.listen(handle, BACKLOG);
      this.copies.push(server);
    }
  }

  /** The port actually bound (differs from the configured one when it was 0). */
  boundPort(): number {
    const a = this.server.address();
    return a !== null && typeof a === "object" ? a.port : this.port;
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * A client's HTTP/2 session: closed with the listener, and closed (GOAWAY) once it has had no
   * stream open for the idle timeout, as Envoy's connection manager does. The idle timer is the
   * proxy's own, not the server's `setTimeout`, which counts time without bytes and holds every
   * closed session until it fires (connection-idle-timer.ts).
   * Each stream has Envoy's stream idle timeout too, in the connection manager.
   */
  private track(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on("error", () => {});
    openConnectionWindow(session);
    const idle = new ConnectionIdleTimer(this.ctx.limits.idleTimeoutMs, () => session.close());
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      idle.requestStarted();
      stream.once("close", () => idle.requestEnded());
    });
    session.once("close", () => {
      idle.stop();
      this.sessions.delete(session);
    });
    if (this.closing) session.close();
  }

  private accept(raw: net.Socket): void {
    this.sockets.add(raw);
    raw.on("error", () => {});
    raw.once("close", () => this.forget(raw));
    if (this.closing) return void raw.destroy();
    const accepted = this.ctx.current();
    const acceptedListener = accepted?.listeners.get(this.key);
    if (accepted === undefined || acceptedListener === undefined) return void raw.destroy();
    const timeoutMs = this.ctx.limits.handshakeTimeoutMs;
    if (this.ctx.proxyProtocol !== true)
      return this.filterChainFor(raw, accepted, acceptedListener, undefined, timeoutMs);
    // Envoy's listener filters share one timeout: what the header took is not the ClientHello's.
    const deadline = Date.now() + timeoutMs;
    readProxyProtocol(raw, timeoutMs, (addresses, rest) => {
      if (addresses !== undefined) restoreAddresses(raw, addresses);
      // A change made while the header was read gives the connection its listener, as Envoy hands
      // sockets still in their listener filters the updated filter chains.
      const now = this.ctx.current();
      const nowListener = now?.listeners.get(this.key);
      const [snapshot, listener] =
        now !== undefined && nowListener !== undefined ? [now, nowListener] : [accepted, acceptedListener];
      this.filterChainFor(raw, snapshot, listener, rest, Math.max(1, deadline - Date.now()));
    });
  }

  /**
   * Gives `raw` its filter chain: the listener's only one, or by the ClientHello's SNI on a
   * listener that reads ClientHellos (within `timeoutMs`). `head` holds bytes already read past
   * a PROXY protocol header.
   */
  private filterChainFor(
    raw: net.Socket,
    accepted: ProxySnapshot,
    acceptedListener: ListenerRuntime,
    head: Buffer | undefined,
    timeoutMs: number,
  ): void {
    if (!acceptedListener.config.tlsInspector) {
      const chain = acceptedListener.chains[0];
      if (chain === undefined) return void raw.destroy();
      return this.dispatch(raw, acceptedListener, chain, accepted, undefined, head);
    }
    if (head !== undefined) raw.unshift(head);
    this.inspect(raw, timeoutMs, (tls, serverName, head, alpn) => {
      // A change made while the ClientHello was read gives the connection its chains, when it left
      // the listener reading ClientHellos: Envoy's in-place update hands a listener's sockets still
      // in their listener filters the new filter chains. Otherwise the connection keeps the
      // listener it was accepted on, whose chains the change drains.
      const now = this.ctx.current();
      const nowListener = now?.listeners.get(this.key);
      const inPlace = now !== undefined && nowListener?.config.tlsInspector === true;
      const snapshot = inPlace ? now : accepted;
      const listener = inPlace ? nowListener : acceptedListener;
      // Bytes that are not TLS go to the plain-text servers' chain, when the port has one (Envoy's
      // tls_inspector leaves them without SNI, which only that chain matches).
      if (!tls) {
        const plain = listener.plainChain;
        if (plain === undefined) return void raw.destroy();
        return this.dispatch(raw, listener, plain, snapshot, undefined, head);
      }
      const chain = listener.selectChain(serverName);
      if (chain === undefined) {
        // As Envoy logs a connection no filter chain matches: NR, `filter_chain_not_found`, and no
        // bytes received (its inspector only peeked at the ClientHello).
        const addresses = downstreamAddressesOf(raw);
        this.ctx.accessLog.log({
          start_time: new Date().toISOString(),
          response_code: 0,
          response_flags: "NR",
          response_code_details: "filter_chain_not_found",
          bytes_received: 0,
          bytes_sent: 0,
          duration: 0,
          downstream_remote_address: socketAddress(addresses.remoteAddress, addresses.remotePort),
          downstream_local_address: socketAddress(addresses.localAddress, addresses.localPort),
          requested_server_name: serverName,
          listener: listener.config.name,
        });
        return void raw.destroy();
      }
      this.dispatch(raw, listener, chain, snapshot, serverName, head, alpn);
    });
  }

  private forget(raw: net.Socket): void {
    this.sockets.delete(raw);
    if (this.sockets.size > 0 || this.whenIdle === undefined) return;
    const waiters = this.whenIdle;
    this.whenIdle = undefined;
    for (const w of waiters) w();
  }

  /** Resolves once every connection has closed. */
  closed(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.whenIdle ??= []).push(resolve));
  }

  /**
   * Reads the ClientHello (bounded in size and time) and calls back with its SNI, the bytes read and
   * the protocols it offers by ALPN; or, when the first bytes are not TLS, with `tls` false and
   * those bytes.
   */
  private inspect(
    raw: net.Socket,
    timeoutMs: number,
    then: (tls: boolean, serverName: string | undefined, head: Buffer, alpn: readonly string[]) => void,
  ): void {
    const chunks: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => raw.destroy(), timeoutMs);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      const result = parseClientHello(head);
      if (result.kind === "incomplete" && length < MAX_CLIENT_HELLO) return;
      clearTimeout(timer);
      raw.removeListener("data", onData);
      raw.pause();
      if (result.kind === "not-tls") return then(false, undefined, head, NO_PROTOCOLS);
      if (result.kind !== "client-hello") return void raw.destroy();
      then(true, result.serverName, head, result.alpn);
    };
    raw.on("data", onData);
    raw.once("close", () => clearTimeout(timer));
    // A socket a PROXY protocol header was read from was paused there.
    raw.resume();
  }

  private dispatch(
    raw: net.Socket,
    listener: ListenerRuntime,
    chain: ChainRuntime,
    snapshot: ProxySnapshot,
    serverName: string | undefined,
    head: Buffer | undefined,
    clientAlpn: readonly string[] = NO_PROTOCOLS,
  ): void {
    if (chain.config.transport !== "tls-unavailable") this.enter(raw, chain);
    switch (chain.config.transport) {
      case "http": {
        // Bytes a TLS listener read to tell plain text from TLS are the request's first.
        if (head !== undefined) raw.unshift(head);
        this.attach(raw, raw, chain, snapshot, serverName);
        const codec = chain.config.httpConnectionManager?.codec ?? "http1";
        if (codec === "http1") {
          this.h1.serve(raw);
          return void raw.resume();
        }
        if (codec === "http2") return void this.h2c.emit("connection", raw);
        return this.sniffPreface(raw);
      }
      case "https":
      case "tls-terminated-tcp":
        if (head !== undefined) raw.unshift(head);
        return this.terminate(raw, listener, chain, snapshot, serverName, clientAlpn);
      case "tls-unavailable":
        // No certificate to answer with: the handshake fails, as Envoy's does without its secret.
        return void raw.destroy();
      case "tls-passthrough":
      case "tcp": {
        const info = this.tcpInfo(raw, listener, chain, serverName);
        const rbac = snapshot.tcpRbac;
        const denied = rbac === undefined ? undefined : authorizeTcp(rbac, info.downstream, serverName);
        if (denied !== undefined) return closeDenied(raw, denied, info, this.ctx.accessLog);
        return proxyTcp(
          raw,
          head,
          this.tcpCluster(chain.config.tcpProxy, snapshot),
          tcpHash(chain.config.tcpProxy, raw),
          chain.config.tcpProxy?.limits,
          info,
          this.ctx.accessLog,
        );
      }
    }
  }

  /** Counts `raw` on `chain`, for the chain's drain. */
  private enter(raw: net.Socket, chain: ChainRuntime): void {
    // A connection whose ClientHello was read across a change that replaced the listener (it no
    // longer reads ClientHellos) reaches a chain of the listener it was accepted on: drained.
    const now = this.ctx.current()?.listeners.get(this.key);
    if (!chain.drain.draining && chain.listener !== now && chainChanged(chain, now)) {
      chain.drain.start(this.ctx.drainDurationMs);
    }
    chain.drain.add(raw);
    this.liveChains.add(chain);
  }

  /**
   * Drains the chains with connections open that `now` (this listener in the new configuration;
   * undefined when it has none) modifies or removes, as Envoy's in-place filter chain update does;
   * connections on the others stay as they are.
   */
  drainChangedChains(now: ListenerRuntime | undefined): void {
    for (const chain of this.liveChains) {
      if (!chain.drain.inUse) this.liveChains.delete(chain);
      else if (!chain.drain.draining && chainChanged(chain, now)) chain.drain.start(this.ctx.drainDurationMs);
    }
  }

  private tcpInfo(
    raw: net.Socket,
    listener: ListenerRuntime,
    chain: ChainRuntime,
    serverName: string | undefined,
  ) {
    const addresses = downstreamAddressesOf(raw);
    return {
      listener: listener.config.name,
      filterChain: chain.config.name,
      downstream: addresses,
      remoteAddress: socketAddress(addresses.remoteAddress, addresses.remotePort),
      localAddress: socketAddress(addresses.localAddress, addresses.localPort),
      ...(serverName === undefined ? {} : { serverName }),
    };
  }

  /**
   * Picks a TCP proxy's cluster by connection weight: undefined without a route, null when the
   * route's cluster does not exist (a subset no DestinationRule defines).
   */
  private tcpCluster(
    tcpProxy: TcpProxy | undefined,
    snapshot: ProxySnapshot,
  ): ClusterRuntime | null | undefined {
    if (tcpProxy === undefined || tcpProxy.clusters.length === 0) return undefined;
    let chosen = tcpProxy.clusters[0]!;
    if (tcpProxy.clusters.length > 1) {
      const total = tcpProxy.clusters.reduce((s, c) => s + c.weight, 0);
      let point = Math.random() * total;
      for (const c of tcpProxy.clusters) {
        point -= c.weight;
        if (point < 0) {
          chosen = c;
          break;
        }
      }
    }
    return snapshot.clusters.get(chosen.cluster) ?? null;
  }

  /** Plain-text connections on `auto` codecs: the HTTP/2 preface means h2c, anything else HTTP/1.1. */
  private sniffPreface(raw: net.Socket): void {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isPrefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isPrefix && n < H2_PREFACE.length) return;
      raw.removeListener("data", onData);
      raw.pause();
      if (isPrefix) {
        raw.unshift(head);
        this.h2c.emit("connection", raw);
        return;
      }
      this.h1.serve(raw, head);
      raw.resume();
    };
    raw.on("data", onData);
    // A socket a TLS listener inspected first was paused there.
    raw.resume();
  }

  private attach(
    socket: net.Socket,
    raw: net.Socket,
    chain: ChainRuntime,
    snapshot: ProxySnapshot,
    serverName: string | undefined,
  ): ConnectionState {
    const a = downstreamAddressesOf(raw);
    const state: ConnectionState = {
      listenerKey: this.key,
      chain,
      snapshot,
      remoteAddress: a.remoteAddress,
      remotePort: a.remotePort,
      remoteSocketAddress: socketAddress(a.remoteAddress, a.remotePort),
      localAddress: a.localAddress,
      localSocketAddress: socketAddress(a.localAddress, a.localPort),
      localPort: a.localPort,
      socket,
      ...(serverName === undefined ? {} : { serverName }),
    };
    (socket as StatefulSocket)[CONNECTION_STATE] = state;
    return state;
  }

  /**
   * Terminates TLS with the chain's context, checks the client certificate, then serves the chain.
   * `clientAlpn` is what the ClientHello offered by ALPN.
   */
  private terminate(
    raw: net.Socket,
    listener: ListenerRuntime,
    chain: ChainRuntime,
    snapshot: ProxySnapshot,
    serverName: string | undefined,
    clientAlpn: readonly string[],
  ): void {
    const t = chain.tls;
    if (t === undefined) return void raw.destroy();
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: t.secureContext,
      requestCert: t.requestCert,
      rejectUnauthorized: t.requireClientCertificate && t.verifyClientChain,
      // Envoy goes on without ALPN when the client offers none of the chain's protocols (a database
      // client's `postgresql`, `curl --http1.0`); Node.js would end the handshake with a
      // no_application_protocol alert, so it is offered none then.
      ...(offersNone(clientAlpn, t.alpn) ? {} : { ALPNProtocols: [...t.alpn] }),
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // OpenSSL refused the handshake itself: MUTUAL and no certificate sent.
      if (err.code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE")
        this.ctx.clientCertificateRefused?.(listener.config.name, "no_cert");
      socket.destroy();
    });
    const timer = setTimeout(() => socket.destroy(), this.ctx.limits.handshakeTimeoutMs);
    socket.once("close", () => clearTimeout(timer));
    socket.once("secure", () => {
      clearTimeout(timer);
      const refused = clientCertificateProblem(socket, chain);
      if (refused !== undefined) {
        // As Envoy: counted by the listener's TLS stats, with no access-log line (no request was
        // made), and the connection closed.
        this.ctx.clientCertificateRefused?.(listener.config.name, refused);
        return void socket.destroy();
      }
      if (chain.config.transport === "tls-terminated-tcp") {
        const info = this.tcpInfo(raw, listener, chain, serverName);
        const rbac = snapshot.tcpRbac;
        const denied =
          rbac === undefined ? undefined : authorizeTcp(rbac, info.downstream, serverName, socket);
        if (denied !== undefined) return closeDenied(socket, denied, info, this.ctx.accessLog);
        return proxyTcp(
          socket,
          undefined,
          this.tcpCluster(chain.config.tcpProxy, snapshot),
          tcpHash(chain.config.tcpProxy, raw),
          chain.config.tcpProxy?.limits,
          info,
          this.ctx.accessLog,
        );
      }
      this.attach(socket, raw, chain, snapshot, serverName);
      if (socket.alpnProtocol !== "h2") return this.h1.serve(socket);
      // The HTTP/2 server's connection listener expects sockets its own TLS server made: with a
      // `server`, and no longer `secureConnecting` (else the session waits for a client event).
      const made = socket as tls.TLSSocket & { server?: unknown; secureConnecting?: boolean };
      made.server = this.tlsHttp;
      made.secureConnecting = false;
      this.tlsHttp.emit("secureConnection", socket);
    });
  }

  /**
   * Stops accepting. HTTP/2 sessions are closed gracefully (GOAWAY), when their streams end;
   * HTTP/1.1 connections with requests in flight close when their responses end (marked
   * `Connection: close`). Idle HTTP/1.1 connections are closed now too, unless `keepIdle`: a
   * drain lets them send one more request first (see {@link GatewayProxy.drain}).
   */
  stopAccepting(keepIdle = false): void {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
    for (const c of this.copies.splice(0)) c.close();
    for (const s of this.sessions) s.close();
    if (!keepIdle) this.closeIdle();
  }

  /** Ends idle HTTP/1.1 connections (after a request finishes while draining). */
  closeIdle(): void {
    this.h1.closeIdleConnections();
  }

  /** Whether connections remain. */
  get idle(): boolean {
    return this.sockets.size === 0;
  }

  /** Destroys every connection (after the drain deadline). */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
    this.h1.close();
  }
}

/** Why a terminated connection's client certificate is refused, or undefined. */
function clientCertificateProblem(
  socket: tls.TLSSocket,
  chain: ChainRuntime,
): ClientCertificateFailure | undefined {
  const t = chain.tls!;
  if (!t.requestCert) return undefined;
  const cert = socket.getPeerCertificate();
  const presented = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
  if (!presented) return t.requireClientCertificate ? "no_cert" : undefined;
  // A TLS server sets `authorized` itself; for sockets made here the chain check is read directly.
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  const verifyError = handle?.verifyError?.() ?? null;
  if (t.verifyClientChain && verifyError !== null) return "error";
  if (hasPinning(t.context)) return clientCertificateRefusal(cert.raw, t.context)?.kind;
  return undefined;
}

/** The listeners of the proxy: started, kept or stopped as configurations change. */
export class ListenerManager {
  private readonly running = new Map<string, RunningListener>();
  /** Copies of listening sockets being made ({@link addCopies}), and how to cancel them. */
  private readonly copying = new Set<{ abort: AbortController; done: Promise<void> }>();

  constructor(private readonly ctx: ListenerContext) {}

  /**
   * Binds every listener of `next` not yet bound; returns the new ones. Rejects (having closed
   * what it opened) when one cannot be bound, so a configuration is taken whole or not at all.
   */
  async bind(next: ProxySnapshot): Promise<RunningListener[]> {
    const opened: RunningListener[] = [];
    for (const l of next.listeners.values()) {
      if (this.running.has(l.key)) continue;
      const r = new RunningListener(l.key, l.config.address, l.config.listenPort, this.ctx);
      try {
        await r.listen();
      } catch (err) {
        for (const o of opened) {
          o.stopAccepting();
          o.destroyAll();
        }
        throw new Error(
          `cannot listen on ${l.key} (listener ${JSON.stringify(l.config.name)}): ${(err as Error).message}`,
        );
      }
      opened.push(r);
    }
    for (const o of opened) this.running.set(o.key, o);
    // The listeners serve from now on; their copies join them when they come, off the start-up path.
    const copies = (this.ctx.acceptsPerEvent ?? 1) - 1;
    if (copies > 0 && opened.length > 0) {
      const abort = new AbortController();
      const work = { abort, done: this.addCopies(opened, copies, abort.signal) };
      this.copying.add(work);
      void work.done.finally(() => this.copying.delete(work));
    }
    return opened;
  }

  /**
   * Stops every listener accepting, and resolves once no descriptor of their sockets is left open
   * anywhere: copies still being made are cancelled, and their child process has exited.
   */
  async stopAccepting(keepIdle = false): Promise<void> {
    for (const work of this.copying) work.abort.abort();
    for (const l of this.running.values()) l.stopAccepting(keepIdle);
    await Promise.all([...this.copying].map((w) => w.done));
  }

  /** Gives each of `listeners` `copies` more descriptors of its listening socket. */
  private async addCopies(
    listeners: readonly RunningListener[],
    copies: number,
    signal: AbortSignal,
  ): Promise<void> {
    const open = listeners.flatMap((l) => {
      const handle = l.listenHandle();
      return handle === undefined ? [] : [{ l, handle }];
    });
    const made = await copyListenHandles(
      open.map((o) => o.handle),
      copies,
      { signal },
    );
    open.forEach((o, i) => o.l.adoptCopies(made.copies[i]!));
    if (made.problem !== undefined) {
      this.ctx.warn(
        `listeners accept fewer connections per event-loop turn than asked (${copies + 1}): ${made.problem}`,
      );
    }
  }

  /**
   * Drains, on every listener, the filter chains `next` modifies or removes: connections on them
   * are told to go away and are closed when the drain time ends.
   */
  drainChangedChains(next: ProxySnapshot): void {
    for (const [key, r] of this.running) r.drainChangedChains(next.listeners.get(key));
  }

  /**
   * Stops the listeners `next` no longer has; their connections finish on their own, or are closed
   * when the drain time ends, as Envoy removes a draining listener.
   */
  retire(next: ProxySnapshot): string[] {
    const gone: string[] = [];
    for (const [key, r] of this.running) {
      if (next.listeners.has(key)) continue;
      r.stopAccepting();
      this.running.delete(key);
      gone.push(key);
      setTimeout(() => r.destroyAll(), this.ctx.drainDurationMs).unref();
    }
    return gone;
  }

  /** The running listeners. */
  all(): RunningListener[] {
    return [...this.running.values()];
  }

  /** The port bound for a listener key. */
  boundPort(key: string): number | undefined {
    return this.running.get(key)?.boundPort();
  }
}

/**
 * Whether `now` (the chain's listener in the serving configuration; undefined when it has none)
 * modifies or removes `chain`: its chain of the same name is missing or configured otherwise.
 */
function chainChanged(chain: ChainRuntime, now: ListenerRuntime | undefined): boolean {
  return now?.byName.get(chain.config.name)?.identity !== chain.identity;
}

/**
 * The hash of a connection for a ring-hash cluster under `tcpProxy`'s hash policy: the client's IP
 * address, as Envoy's tcp_proxy hashes it; undefined without a policy (the ring picks at random).
 */
function tcpHash(tcpProxy: TcpProxy | undefined, raw: net.Socket): number | undefined {
  const policy = tcpProxy?.hashPolicy;
  if (policy === undefined || policy.length === 0) return undefined;
  const { remoteAddress } = downstreamAddressesOf(raw);
  return remoteAddress === "" ? undefined : hashString(remoteAddress);
}
