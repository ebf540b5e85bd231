/**
 * The HTTP/1.1 connection pool of one upstream endpoint: idle keep-alive connections are reused
 * newest first, and a request finding none opens a new one (limits on connections and waiting
 * requests are the circuit breaker's, in front of the pool). Idle connections are closed after the
 * cluster's idle timeout, or the server's own Keep-Alive hint when that is shorter; a connection
 * that has carried `maxRequestsPerConnection` requests, or has reached `maxConnectionDurationMs`,
 * takes no more and is closed when its last one ends.
 *
 * It replaces undici's Pool on the proxy's hottest path: one exchange costs a string for the
 * request head, one write, and three calls out of Node's native parser.
 */
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import type tls from "node:tls";
import type { TcpKeepalive } from "../../istio/translate/proxy-config";
import { UpstreamConnectError } from "../errors";
import type { HeaderMap } from "../router/header-operations";
import {
  Http1Connection,
  type ConnectionOwner,
  type ConnectionTarget,
  type Http1Handler,
} from "./http1-connection";
import { serializeRequestHead } from "./http1-request-head";

export type { Http1Handler } from "./http1-connection";

/** One request for the pool. */
export interface Http1Request {
  /** Method, as sent. */
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** Lower-case names, without hop-by-hop headers; `host` included. */
  readonly headers: HeaderMap;
  /** The body, when the request has one. */
  readonly body: Readable | null;
}

/** Settings of a pool. */
export interface Http1PoolOptions {
  /** Connect timeout in ms. */
  readonly connectTimeoutMs: number;
  /** Idle connections are closed after this long (ms). */
  readonly idleTimeoutMs: number;
  /** Requests after which a connection is closed; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** Age (ms) after which a connection takes no more requests; 0 = none. */
  readonly maxConnectionDurationMs?: number;
  /** TLS to originate, if any. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** Largest response head accepted, in bytes (default: Envoy's 80 KiB). */
  readonly maxHeaderSize?: number;
  /** SO_KEEPALIVE on each connection; undefined = off. */
  readonly tcpKeepalive?: TcpKeepalive;
  /** The PROXY protocol header each connection starts with; undefined = none. */
  readonly proxyProtocolHeader?: Buffer;
}

/**
 * The largest upstream response head taken, as Envoy's HTTP/1.1 codec takes them
 * (`MAX_RESPONSE_HEADERS_KB`): large `content-security-policy` or `set-cookie` headers pass.
 */
export const MAX_RESPONSE_HEAD_BYTES = 80 * 1024;

/** The HTTP/1.1 connections to one endpoint with one set of settings (see the file's comment). */
export class Http1Pool implements ConnectionOwner {
  private readonly idle: Http1Connection[] = [];
  private readonly open = new Set<Http1Connection>();
  private readonly target: ConnectionTarget;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Retired ({@link retire}): connections are not kept once their exchange ends. */
  private retired = false;
  /** The last TLS session the endpoint gave, offered for resumption on the next connection. */
  tlsSession: Buffer | undefined;

  constructor(
    ip: string,
    port: number,
    private readonly options: Http1PoolOptions,
  ) {
    this.target = {
      ip,
      port,
      tls: options.tls,
      connectTimeoutMs: options.connectTimeoutMs,
      maxHeaderSize: options.maxHeaderSize ?? MAX_RESPONSE_HEAD_BYTES,
      tcpKeepalive: options.tcpKeepalive,
      proxyProtocolHeader: options.proxyProtocolHeader,
    };
  }

  /** Connections open now, busy or idle. */
  get connections(): number {
    return this.open.size;
  }

  /** Connections carrying a request now: each carries one, so the requests in flight. */
  get busy(): number {
    return this.open.size - this.idle.length;
  }

  /**
   * Sends `req` on an idle connection or a new one; `handler` hears how it goes. Throws, sending
   * nothing, when the request cannot be written as HTTP/1.1 (a header value with a line break).
   */
  dispatch(req: Http1Request, handler: Http1Handler): void {
    const head = serializeRequestHead(req.method, req.path, req.headers, req.body !== null);
    if (this.closed) {
      handler.onConnect(ignore);
      handler.onError(new UpstreamConnectError("upstream connect error: the pool is closed"));
      return;
    }
    const c = this.takeIdle() ?? this.connect();
    c.start(head, req.method === "HEAD", req.body, handler);
  }

  /**
   * The endpoint left the configuration: idle connections close now, and each busy one when its
   * exchange ends, as Envoy drains the connections of a removed host. A request that still comes
   * (a retry of an exchange of the previous configuration) gets a connection of its own.
   */
  retire(): void {
    this.retired = true;
    for (const c of this.idle.splice(0)) c.destroy();
  }

  /** Closes every connection; requests in flight fail, later ones are refused. */
  destroy(): void {
    this.closed = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const c of [...this.open]) c.destroy();
  }

  released(c: Http1Connection): void {
    const max = this.options.maxRequestsPerConnection;
    const now = performance.now();
    if (this.closed || this.retired || (max > 0 && c.requests >= max) || this.tooOld(c, now)) {
      return c.destroy();
    }
    c.idleSince = now;
    this.idle.push(c);
    this.sweepTimer ??= setInterval(() => this.sweep(), this.sweepIntervalMs).unref();
  }

  gone(c: Http1Connection): void {
    this.open.delete(c);
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Whether `c` has reached the maximum connection duration. */
  private tooOld(c: Http1Connection, now: number): boolean {
    const max = this.options.maxConnectionDurationMs ?? 0;
    return max > 0 && now - c.openedAt >= max;
  }

  /**
   * How often idle connections are checked: a quarter of the shorter of the idle timeout and the
   * maximum duration, within 10 ms to 1 s.
   */
  private get sweepIntervalMs(): number {
    const { idleTimeoutMs, maxConnectionDurationMs = 0 } = this.options;
    const limit =
      maxConnectionDurationMs > 0 ? Math.min(idleTimeoutMs, maxConnectionDurationMs) : idleTimeoutMs;
    return Math.min(1000, Math.max(10, Math.floor(limit / 4)));
  }

  private connect(): Http1Connection {
    const c = new Http1Connection(this.target, this, this.options.idleTimeoutMs);
    this.open.add(c);
    return c;
  }

  /** The newest idle connection still within its idle limit; older ones are closed on the way. */
  private takeIdle(): Http1Connection | undefined {
    const idle = this.idle;
    if (idle.length === 0) return undefined;
    const now = performance.now();
    for (let c = idle.pop(); c !== undefined; c = idle.pop()) {
      if (!c.closed && now - c.idleSince < c.idleLimitMs && !this.tooOld(c, now)) return c;
      c.destroy();
    }
    return undefined;
  }

  /** Closes idle connections past their limit; stops when none is left idle. */
  private sweep(): void {
    const now = performance.now();
    for (const c of [...this.idle])
      if (now - c.idleSince >= c.idleLimitMs || this.tooOld(c, now)) c.destroy();
    if (this.idle.length === 0 && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}

function ignore(): void {}
