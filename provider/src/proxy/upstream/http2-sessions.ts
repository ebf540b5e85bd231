/**
 * An endpoint's HTTP/2 connections, as Envoy's HTTP/2 connection pool keeps them: a stream goes on
 * the oldest session with room for it, and a new session opens when every open one carries
 * `maxConcurrentStreams` streams (Istio's `connectionPool.http.maxConcurrentStreams`, Envoy's
 * `http2_protocol_options.max_concurrent_streams`), or the server's own
 * SETTINGS_MAX_CONCURRENT_STREAMS, whichever is lower. Without either, one session carries
 * everything.
 *
 * A session takes no new stream once it has carried `maxRequestsPerConnection` of them or reached
 * `maxConnectionDurationMs`; it closes when its last stream ends (a GOAWAY, as Envoy drains it).
 * A session with no stream open for `idleTimeoutMs` closes (Envoy's upstream idle timeout, see
 * connection-idle-timer.ts). The pool's timers go with the session when it closes: a timer left
 * armed would hold the closed session, its socket and its buffers for the rest of the idle timeout
 * or of the connection's age.
 */
import http2 from "node:http2";
import type net from "node:net";
import type tls from "node:tls";
import type { Http2KeepaliveSettings, TcpKeepalive } from "../../istio/translate/proxy-config";
import { ConnectionIdleTimer } from "../http/connection-idle-timer";
import { connectEndpoint } from "./endpoint-socket";
import { keepSessionAlive } from "./http2-keepalive";
import { applyTcpKeepalive } from "./tcp-keepalive";
import { http2ClientSettings, openConnectionWindow } from "../http/http2-protocol-options";

/** How an endpoint's sessions are opened and retired. */
export interface Http2SessionSettings {
  /** `http://ip:port` or `https://ip:port`. */
  readonly origin: string;
  /** TLS towards the endpoint (ALPN `h2` is added); undefined for h2c. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** A session with no stream open for this long (ms) is closed; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Streams a session carries before it takes no more; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** Streams a session carries at once; more open another session. 0 = unlimited. */
  readonly maxConcurrentStreams: number;
  /** Age after which a session takes no new streams; 0 = none. */
  readonly maxConnectionDurationMs: number;
  /** SO_KEEPALIVE on each session's socket; undefined = off. */
  readonly tcpKeepalive: TcpKeepalive | undefined;
  /** PINGs on each session; undefined = none. */
  readonly http2Keepalive: Http2KeepaliveSettings | undefined;
  /** The endpoint's IP address, for sessions opened over a socket of the proxy's own. */
  readonly ip: string;
  /** The endpoint's port, likewise. */
  readonly port: number;
  /** The PROXY protocol header each session's connection starts with (with `ip` and `port`). */
  readonly proxyProtocolHeader?: Buffer | undefined;
}

/** One session and what it carries. */
interface Session {
  readonly session: http2.ClientHttp2Session;
  /** Streams it has carried in all. */
  started: number;
  /** Takes no new streams (retired, too old, or carried its share). */
  draining: boolean;
  /** Counts its open streams (`idle.open`), and drains it after `idleTimeoutMs` without any. */
  readonly idle: ConnectionIdleTimer;
  /** Drains the session at `maxConnectionDurationMs`. */
  readonly ageTimer: NodeJS.Timeout | undefined;
}

/** The HTTP/2 sessions of one endpoint. */
export class Http2Sessions {
  /** Open sessions, oldest first. */
  private readonly sessions: Session[] = [];
  /** Retired ({@link retire}): a stream still asked for gets a session of its own, closed after it. */
  private retired = false;
  private closed = false;
  /** Streams open now, over every session. */
  activeStreams = 0;

  constructor(private readonly settings: Http2SessionSettings) {}

  /**
   * Opens a stream with `headers` on a session with room for it, opening a session if none has.
   * Throws when the pools are closed, or node:http2 refuses the request.
   */
  request(
    headers: http2.OutgoingHttpHeaders,
    options: http2.ClientSessionRequestOptions,
  ): http2.ClientHttp2Stream {
    if (this.closed) throw new Error("upstream pools are closed");
    const s = this.withRoom() ?? this.open();
    const stream = s.session.request(headers, options);
    s.started++;
    s.idle.requestStarted();
    this.activeStreams++;
    const max = this.settings.maxRequestsPerConnection;
    if (this.retired || (max > 0 && s.started >= max)) this.drain(s);
    stream.once("close", () => {
      this.activeStreams--;
      s.idle.requestEnded();
      if (s.idle.open === 0 && s.draining) this.closeSession(s);
    });
    return stream;
  }

  /**
   * The endpoint left the configuration: open sessions close once their streams end, and a request
   * of an earlier configuration still in flight (a retry) gets a session that closes after it.
   */
  retire(): void {
    this.retired = true;
    for (const s of [...this.sessions]) this.drain(s);
  }

  /** At shutdown: sessions close once their streams end, and later requests are refused. */
  close(): void {
    this.closed = true;
    this.retire();
  }

  private withRoom(): Session | undefined {
    const limit = this.settings.maxConcurrentStreams || Infinity;
    for (const s of this.sessions) {
      const session = s.session;
      if (s.draining || session.closed || session.destroyed) continue;
      // The server's own limit counts too once its SETTINGS came (node:http2 reports the
      // protocol's unlimited default before that).
      const peer = session.remoteSettings.maxConcurrentStreams ?? Infinity;
      if (s.idle.open < Math.min(limit, peer)) return s;
    }
    return undefined;
  }

  private open(): Session {
    const { origin, tls: tlsOptions, tcpKeepalive, http2Keepalive, proxyProtocolHeader } = this.settings;
    const settings = http2ClientSettings(this.settings.maxConcurrentStreams);
    const options: http2.ClientSessionOptions & tls.ConnectionOptions =
      tlsOptions === undefined ? { settings } : { ...tlsOptions, ALPNProtocols: ["h2"], settings };
    // With a PROXY protocol header, the session's socket is the proxy's own, which writes it first.
    const session =
      proxyProtocolHeader === undefined
        ? http2.connect(origin, options)
        : http2.connect(origin, {
            ...options,
            createConnection: () =>
              connectEndpoint(
                {
                  ip: this.settings.ip,
                  port: this.settings.port,
                  tls: tlsOptions,
                  tcpKeepalive,
                  proxyProtocolHeader,
                },
                { ALPNProtocols: ["h2"] },
              ),
          });
    // A client session has no window to open until it is connected.
    session.once("connect", () => openConnectionWindow(session));
    const age = this.settings.maxConnectionDurationMs;
    const s: Session = {
      session,
      started: 0,
      draining: false,
      idle: new ConnectionIdleTimer(this.settings.idleTimeoutMs, () => this.drain(s)),
      ageTimer: age > 0 ? setTimeout(() => this.drain(s), age).unref() : undefined,
    };
    session.on("error", () => {}); // stream errors surface on the streams themselves
    if (tcpKeepalive !== undefined || http2Keepalive !== undefined) {
      // Once per session, on the socket node:http2 opened for it.
      session.once("connect", (_s, socket: net.Socket) => {
        applyTcpKeepalive(socket, tcpKeepalive);
        if (http2Keepalive !== undefined) keepSessionAlive(session, socket, http2Keepalive);
      });
    }
    session.once("close", () => {
      s.idle.stop();
      clearTimeout(s.ageTimer);
      const i = this.sessions.indexOf(s);
      if (i !== -1) this.sessions.splice(i, 1);
    });
    session.unref();
    this.sessions.push(s);
    return s;
  }

  /**
   * `s` takes no new streams, and closes (GOAWAY) once those it carries end. The close waits for
   * them here rather than in node:http2, which drops a stream asked for in the same tick as it.
   */
  private drain(s: Session): void {
    if (s.draining) return;
    s.draining = true;
    if (s.idle.open === 0) this.closeSession(s);
  }

  private closeSession(s: Session): void {
    if (!s.session.closed && !s.session.destroyed) s.session.close();
  }
}
