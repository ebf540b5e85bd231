/**
 * One forwarded request with its attempts: the route timeout bounds them all, each attempt may
 * have its own timeout, and a failed attempt is retried when the policy says so, nothing has
 * been sent downstream yet and the request body, if any, is still kept ({@link ReplayableBody}).
 * Requests go upstream over HTTP/2 when the cluster speaks it, and for gRPC between HTTP/2
 * peers; over HTTP/1.1 otherwise.
 *
 * A request with `Expect: 100-continue` goes with its expectation (Istio sets Envoy's
 * `proxy_100_continue`): the upstream decides whether the client sends its body, and its
 * `100 Continue` is passed to the client once. As Envoy's router does, no retry follows a 100 passed
 * on: another upstream might not say it again, and the client may already be sending its body.
 *
 * The HTTP/1.1 path is the proxy's hottest code: its pool handler is an object with methods
 * ({@link H1Attempt}), not a set of closures made for every request.
 */
import type http from "node:http";
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import {
  NoHealthyUpstreamError,
  ProxyError,
  UpstreamConnectError,
  UpstreamOverflowError,
  UpstreamRemoteResetError,
  UpstreamResetError,
  UpstreamTimeoutError,
  attemptOutcomeOf,
  toProxyError,
} from "../errors";
import type { HashPolicy } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import type { AttemptOutcome, RetryPolicy } from "../router/retry-policy";
import { expectedTimeoutMs, retryBackoffMs } from "../router/retry-policy";
import { admitRetry } from "./retry-admission";
import { BreakerSlot } from "../upstream/circuit-breaker";
import type { ClusterRuntime, UpstreamEndpoint } from "../upstream/cluster-manager";
import type { UpstreamConnectionInfo } from "../upstream/http1-connection";
import type { Http1Handler } from "../upstream/http1-pool";
import { socketAddress } from "../socket-address";
import { http2RequestHead } from "../upstream/http2-request-head";
import { hostOfAuthority } from "../router/virtual-host";
import type { DownstreamAddresses } from "../listener/downstream-addresses";
import type { Exchange } from "./exchange";
import { grpcStatusOf } from "./grpc-status";
import type { Http1Response } from "../http1/downstream-response";
import { downstreamResponseHeaders, downstreamResponseHeadersFromRaw, setAttemptHeaders } from "./headers";
import type { ReplayableBody } from "./replayable-body";
import { appendSetCookie, routeHash } from "./request-hash";
import { LATE_CONNECTION_TERMINATION } from "./response-code-details";

/** What a forwarded request needs from the connection manager. */
export interface ForwardHost {
  /** Writes the response head downstream (header operations, CORS, drain); `endStream` ends the response too. */
  writeHead(x: Exchange, status: number, headers: HeaderMap, endStream?: boolean): void;
  /** Answers a failure downstream (or resets the stream when the head was sent). */
  replyError(x: Exchange, err: ProxyError): void;
}

/** Where and how to send one request upstream. */
export interface ForwardTarget {
  /** The cluster chosen by the route's weights. */
  readonly cluster: ClusterRuntime;
  /** Path and query, after rewrites. */
  readonly path: string;
  /** The request headers to send. */
  readonly headers: HeaderMap;
  /** The request body, when it has one. */
  readonly body: ReplayableBody | undefined;
  /** Send over HTTP/2 (the cluster speaks it, or gRPC from an HTTP/2 client); else HTTP/1.1. */
  readonly h2: boolean;
  /** The route timeout in milliseconds (undefined or 0: none). */
  readonly timeoutMs: number | undefined;
  /** The route's retry policy. */
  readonly retry: RetryPolicy | undefined;
  /** The route's hash policies, which a `RING_HASH` cluster hashes the request on. */
  readonly hashPolicy: readonly HashPolicy[];
  /**
   * The request is gRPC: each attempt's `grpc-timeout` says what is left of the timeout, and a
   * retry policy's gRPC conditions read the `grpc-status` of the response headers.
   */
  readonly grpc: boolean;
}

export class Forward {
  private attempt = 0;
  /** True once the upstream's response head was sent downstream: no more retries. */
  committed = false;
  /** True once the exchange needs nothing more from upstream. */
  finished = false;
  private routeTimer: NodeJS.Timeout | undefined;
  /** The attempt in flight, stopped when the exchange gives up on it. */
  private current: { abort(err: Error): void } | undefined;
  private readonly attemptStart = performance.now();
  private readonly body: ReplayableBody | undefined;
  private readonly retry: RetryPolicy | undefined;
  /** The endpoint of the attempt in flight, for outlier detection. */
  private endpoint: UpstreamEndpoint | undefined;
  /** The endpoints of failed attempts, which retries avoid; undefined until one is retried. */
  private tried: UpstreamEndpoint[] | undefined;
  /** Its hold on the cluster's circuit breaker, when the cluster has one. */
  private slot: BreakerSlot | undefined;
  /** The request's consistent hash, for `RING_HASH` clusters. */
  private hash: number | undefined;
  /** The cookies the route's hash policies made up for a `RING_HASH` cluster (`httpCookie` with `ttl`, absent from the request). */
  private setCookies: readonly string[] = [];
  /** The headers of the attempt in flight: the target's, then a copy per retry. */
  private headers: HeaderMap;
  /** An upstream's `100 Continue` was passed to the client: no more retries. */
  private continued = false;

  constructor(
    private readonly host: ForwardHost,
    /** The exchange being forwarded. */
    readonly x: Exchange,
    /** Where and how the request goes. */
    readonly target: ForwardTarget,
  ) {
    this.body = target.body;
    this.retry = target.retry;
    this.headers = target.headers;
  }

  /** Sends the first attempt, and arms the route timeout for when the request has been sent. */
  start(): void {
    const timeoutMs = this.target.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs > 0) this.afterRequest(() => this.armRouteTimer());
    this.x.closeListener = this;
    // Only a hashing cluster asks the route for the request's hash (Envoy's ring calls the
    // router's computeHashKey), so only then is a missing cookie made up.
    if (this.target.cluster.config.ringHash !== undefined) {
      const h = routeHash(this.target.hashPolicy, this.x);
      this.hash = h.hash;
      this.setCookies = h.setCookies;
    }
    this.send();
  }

  /**
   * Runs `arm` once the downstream has sent the whole request: Envoy's route and per-try timeouts
   * start there (its router's `onRequestComplete`), so they time the upstream's answer, not an
   * upload, however long that takes. Without a body that is now.
   */
  private afterRequest(arm: () => void): void {
    if (this.body === undefined) arm();
    else this.body.whenEnded(arm);
  }

  /** Starts the route's timeout, once: answered 504 UT, with the attempt aborted, when it elapses. */
  private armRouteTimer(): void {
    const timeoutMs = this.target.timeoutMs;
    if (this.finished || this.routeTimer !== undefined || timeoutMs === undefined || timeoutMs <= 0) return;
    this.routeTimer = setTimeout(() => this.fail(new UpstreamTimeoutError(), true), timeoutMs);
  }

  /** The downstream response closed: stop whatever attempt is running. */
  downstreamClosed(): void {
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
    if (!this.finished) {
      this.finished = true;
      const err = new Error("downstream closed");
      this.current?.abort(err);
    }
    this.slot?.release();
  }

  private send(): void {
    if (this.finished) return;
    const cluster = this.target.cluster;
    if (cluster.breaker !== undefined && this.slot?.taken !== true) {
      this.slot ??= new BreakerSlot(cluster.breaker, () => this.send());
      const admission = this.slot.admit(!this.target.h2);
      if (admission === "overflow") return this.fail(new UpstreamOverflowError(), true);
      if (admission === "queued") {
        // Envoy reads the body of a request waiting for a connection into its buffer, so the
        // request ends, and its timeout starts, while it waits. Here the body is read only once an
        // attempt starts: the wait is timed from now.
        this.armRouteTimer();
        return;
      }
    }
    const ep = cluster.pick(this.hash, this.tried);
    if (ep === undefined) return this.fail(new NoHealthyUpstreamError(), true);
    this.endpoint = ep;
    this.x.upstreamHost = ep.hostPort;
    this.x.upstreamConnection = undefined;
    this.attempt++;
    this.current = undefined;
    if (this.attempt > 1) this.headers = this.retryHeaders();
    const conn = endpointForAuthority(ep, this.headers["host"], this.x.state);
    if (this.target.h2) this.sendH2(conn);
    else this.sendH1(conn);
  }

  /**
   * A retry's headers, as Envoy's router sends them: its own `x-envoy-attempt-count`, and an
   * `x-envoy-expected-rq-timeout-ms` no longer than what is left of the route's timeout.
   */
  private retryHeaders(): HeaderMap {
    const headers: HeaderMap = { ...this.target.headers };
    const elapsed = performance.now() - this.attemptStart;
    const expected = expectedTimeoutMs(this.target.timeoutMs, this.retry?.perTryTimeoutMs, elapsed);
    setAttemptHeaders(headers, this.attempt, expected, this.target.grpc);
    return headers;
  }

  /** Handles a failed attempt: retry when allowed, else answer the error. */
  attemptFailed(err: ProxyError, outcome: AttemptOutcome): void {
    if (this.finished || this.committed) return;
    if (this.canRetry(outcome)) return this.scheduleRetry();
    this.fail(err, false);
  }

  /**
   * Whether a failed attempt with this outcome may be retried. Every attempt's outcome (an
   * answer's status, a failure) passes here exactly once, so outlier detection is fed here; a
   * true answer takes one of the cluster's retry slots, which {@link scheduleRetry} gives back.
   */
  canRetry(outcome: AttemptOutcome): boolean {
    const cluster = this.target.cluster;
    if (cluster.outlier !== undefined && this.endpoint !== undefined) {
      cluster.outlier.observe(this.endpoint, outcome);
    }
    if (this.continued) return false;
    if (this.body !== undefined && !this.body.replayable) return false;
    return admitRetry(this.retry, outcome, this.attempt, this.x, cluster.breaker);
  }

  /** Sends the next attempt after the policy's backoff. */
  scheduleRetry(): void {
    const retry = this.retry!;
    if (this.endpoint !== undefined && retry.previousHosts) {
      (this.tried ??= []).push(this.endpoint);
    }
    const wait = retryBackoffMs(retry, this.attempt - 1);
    const breaker = this.target.cluster.breaker;
    // The attempt's connection is free again; the retry queues for one like a new request.
    this.slot?.release();
    setTimeout(() => {
      breaker?.retryDone();
      this.x.retried = true;
      this.send();
    }, wait);
  }

  private fail(err: ProxyError, abortCurrent: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
    if (abortCurrent) {
      this.current?.abort(err);
    }
    this.slot?.release();
    this.host.replyError(this.x, err);
  }

  /**
   * Arms the per-try timeout of the retry policy, if it has one, for an attempt starting now: it
   * runs from now, or from the end of the request if that is still being sent. Returns what cancels it.
   */
  perTryTimer(onTimeout: () => void): (() => void) | undefined {
    const ms = this.retry?.perTryTimeoutMs;
    if (ms === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    this.afterRequest(() => {
      if (!cancelled) timer = setTimeout(onTimeout, ms);
    });
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  /**
   * Commits the upstream's response head downstream (`headers`: hop-by-hop headers removed);
   * `endStream` when the head is the whole response (a trailers-only gRPC answer).
   */
  commit(status: number, headers: HeaderMap, endStream = false): void {
    this.committed = true;
    this.body?.release();
    this.x.upstreamServiceTime = Math.round(performance.now() - this.attemptStart);
    headers["x-envoy-upstream-service-time"] = String(this.x.upstreamServiceTime);
    for (const cookie of this.setCookies) appendSetCookie(headers, cookie);
    this.host.writeHead(this.x, status, headers, endStream);
  }

  /**
   * The attempt's upstream answered `100 Continue`: passed to a client that asked for it, the first
   * time only, and never once the response has begun. Retries end here.
   */
  upstreamContinued(): void {
    if (this.finished || this.committed || this.continued) return;
    if (!asksContinue(this.x.routeReq.headers["expect"])) return;
    this.continued = true;
    this.x.res.writeContinue();
  }

  /** The response is complete (or given up on): no timers, no more attempts. */
  done(): void {
    this.finished = true;
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
    this.slot?.release();
  }

  private sendH1(ep: UpstreamEndpoint): void {
    const x = this.x;
    // The HTTP/2 compatibility response has the same writing methods.
    const attempt = new H1Attempt(this, x.res as Http1Response);
    this.current = attempt;
    let body: Readable | null = null;
    if (this.body !== undefined) {
      const opened = this.body.open();
      if (opened === undefined) return this.fail(BODY_NOT_KEPT, false);
      body = opened;
    }
    try {
      ep.pool.dispatch(
        { path: this.target.path, method: x.routeReq.method, headers: this.headers, body },
        attempt,
      );
    } catch (err) {
      // A request HTTP/1.1 cannot carry (validation keeps such header values out of a
      // configuration): no endpoint is at fault and no other attempt would do better.
      this.fail(toProxyError(err), false);
    }
  }

  private sendH2(ep: UpstreamEndpoint): void {
    const x = this.x;
    // The compatibility API of both protocols has the same writing methods.
    const res = x.res as Http1Response;
    const h2headers = http2RequestHead(
      x.routeReq.method,
      this.target.path,
      this.headers,
      ep.tls === undefined ? "http" : "https",
    );
    // An HTTP/2 client's body may end in trailers (gRPC client streams), which Envoy's router
    // passes to an HTTP/2 upstream: the stream then waits for them after its last DATA frame.
    // An HTTP/1.1 client's never come this far (Envoy's codec drops them without `enable_trailers`).
    const withTrailers = x.h2 && this.body !== undefined;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = ep.h2.request(h2headers, {
        endStream: this.body === undefined,
        waitForTrailers: withTrailers,
      });
    } catch (err) {
      return this.attemptFailed(new UpstreamConnectError(String(err)), { kind: "connect-failure" });
    }
    let gotResponse = false;
    // Set once this attempt was given up on for a retry: its late events change nothing.
    let retired = false;
    // node's client stream tells a 100 as `continue`; a request without the expectation does not
    // listen for it (no listener to make per request).
    if (asksContinue(x.routeReq.headers["expect"])) {
      stream.once("continue", () => {
        if (!retired) this.upstreamContinued();
      });
    }
    this.current = { abort: () => stream.close(http2Constants.NGHTTP2_CANCEL) };
    const cancelTryTimer = this.perTryTimer(() => {
      retired = true;
      stream.close(http2Constants.NGHTTP2_CANCEL);
      this.attemptFailed(new UpstreamTimeoutError(true), { kind: "per-try-timeout" });
    });
    if (this.body !== undefined) {
      const body = this.body.open();
      if (body === undefined) {
        stream.close(http2Constants.NGHTTP2_CANCEL);
        return this.fail(BODY_NOT_KEPT, false);
      }
      body.pipe(stream);
    }
    // The body has ended by then, so the client's trailers, if it sent any, have arrived; without
    // any, node ends the stream with an empty DATA frame.
    if (withTrailers) {
      stream.once("wantTrailers", () => stream.sendTrailers((x.req as http2.Http2ServerRequest).trailers));
    }
    stream.on("response", (headers, flags) => {
      gotResponse = true;
      cancelTryTimer?.();
      if (this.finished || retired) return;
      const socket = stream.session?.socket;
      x.upstreamConnection = {
        localSocketAddress:
          socket === undefined ? undefined : socketAddress(socket.localAddress, socket.localPort),
      };
      const status = Number(headers[":status"] ?? 502);
      const grpcStatus = this.target.grpc ? grpcStatusOf(headers["grpc-status"]) : undefined;
      if (this.canRetry({ kind: "response", status, grpcStatus })) {
        retired = true;
        stream.close(http2Constants.NGHTTP2_CANCEL);
        this.scheduleRetry();
        return;
      }
      const out: HeaderMap = {};
      for (const k in headers) {
        if (k.charCodeAt(0) === 58) continue;
        const v = headers[k];
        if (v !== undefined) out[k] = v as string | string[];
      }
      if ((flags & http2Constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        // A header-only answer stays one (gRPC's trailers-only responses must).
        this.commit(status, downstreamResponseHeaders(out), true);
        this.done();
        return;
      }
      this.commit(status, downstreamResponseHeaders(out));
    });
    stream.on("trailers", (trailers) => {
      if (!this.committed || this.finished || retired) return;
      // Istio's gateways leave Envoy's HTTP/1.1 codec dropping trailers (`enable_trailers` off):
      // only HTTP/2 clients get them; Istio's stats read the gRPC status either way.
      if (x.h2) res.addTrailers(trailers as http.OutgoingHttpHeaders);
      if (trailers["grpc-status"] !== undefined) x.grpcStatus = trailers["grpc-status"];
    });
    stream.on("data", (chunk: Buffer) => {
      if (!this.committed || this.finished || retired) return;
      x.bytesSent += chunk.length;
      x.responseMessages?.observe(chunk);
      if (!res.write(chunk)) {
        stream.pause();
        res.once("drain", () => stream.resume());
      }
    });
    stream.on("end", () => {
      if (!this.committed || this.finished || retired) return;
      this.done();
      res.end();
    });
    stream.on("error", (error) => {
      cancelTryTimer?.();
      if (this.finished || retired) return;
      if (this.committed) {
        this.done();
        x.flags = "UC";
        x.details = LATE_CONNECTION_TERMINATION;
        res.destroy();
        return;
      }
      // A RST_STREAM from the upstream (its code in `rstCode`) is Envoy's remote reset, a refused
      // stream among them; other failures are the connection's.
      const err =
        (error as { code?: unknown }).code === "ERR_HTTP2_STREAM_ERROR"
          ? new UpstreamRemoteResetError(stream.rstCode === http2Constants.NGHTTP2_REFUSED_STREAM)
          : toProxyError(error);
      // The attempt is over: the "close" that follows must not count it a second time.
      retired = true;
      this.attemptFailed(err, attemptOutcomeOf(err));
    });
    stream.on("close", () => {
      cancelTryTimer?.();
      if (!this.finished && !retired && !gotResponse && !this.committed) {
        const err =
          stream.rstCode === http2Constants.NGHTTP2_REFUSED_STREAM
            ? new UpstreamRemoteResetError(true)
            : new UpstreamResetError("upstream reset: stream closed without a response");
        this.attemptFailed(err, attemptOutcomeOf(err));
      }
    });
  }
}

/**
 * One HTTP/1.1 attempt: the pool's handler for it. Events of an attempt that was given up on (a
 * retry was scheduled, the downstream closed) find the forward finished and change nothing. The
 * response head arrives as the parser read it and goes straight to
 * {@link downstreamResponseHeadersFromRaw}.
 */
class H1Attempt implements Http1Handler {
  private abortRequest: ((err: Error) => void) | undefined;
  private resumeResponse: (() => void) | undefined;
  private cancelTryTimer: (() => void) | undefined;
  private aborted = false;

  constructor(
    private readonly forward: Forward,
    private readonly res: Http1Response,
  ) {}

  /** Aborts the attempt, now or as soon as the pool starts it. */
  abort(err: Error): void {
    this.aborted = true;
    this.abortRequest?.(err);
  }

  onConnect(abort: (err: Error) => void, connection?: UpstreamConnectionInfo): void {
    this.abortRequest = abort;
    this.forward.x.upstreamConnection = connection;
    if (this.aborted) return abort(new Error("aborted"));
    this.cancelTryTimer = this.forward.perTryTimer(() => abort(new UpstreamTimeoutError(true)));
  }

  onContinue(): void {
    if (!this.aborted) this.forward.upstreamContinued();
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void): boolean {
    const forward = this.forward;
    if (forward.finished) {
      this.abortRequest!(new Error("finished"));
      return false;
    }
    const grpcStatus = forward.target.grpc ? grpcStatusOf(rawHeaderOf(rawHeaders, "grpc-status")) : undefined;
    if (forward.canRetry({ kind: "response", status: statusCode, grpcStatus })) {
      this.clearTimer();
      // The abort surfaces as this attempt's error, which must not count as another failure.
      this.aborted = true;
      this.abortRequest!(new Error("retrying"));
      forward.scheduleRetry();
      return false;
    }
    this.resumeResponse = resume;
    forward.commit(statusCode, downstreamResponseHeadersFromRaw(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    const forward = this.forward;
    if (!forward.committed || forward.finished) return true;
    forward.x.bytesSent += chunk.length;
    forward.x.responseMessages?.observe(chunk);
    if (this.res.write(chunk)) return true;
    this.res.once("drain", this.resumeResponse!);
    return false;
  }

  /**
   * The response ended. Its trailers, if any, are dropped: Envoy's HTTP/1.1 codec, as Istio
   * configures it for clusters too, drops those of a chunked response, so neither the client nor
   * Istio's stats see them.
   */
  onComplete(): void {
    this.clearTimer();
    const forward = this.forward;
    if (!forward.committed || forward.finished) return;
    forward.done();
    this.res.end();
  }

  onError(error: Error): void {
    this.clearTimer();
    const forward = this.forward;
    if (forward.finished || this.aborted) return;
    if (forward.committed) {
      forward.done();
      forward.x.flags = "UC";
      forward.x.details = LATE_CONNECTION_TERMINATION;
      this.res.destroy();
      return;
    }
    const err = toProxyError(error);
    forward.attemptFailed(err, attemptOutcomeOf(err));
  }

  private clearTimer(): void {
    this.cancelTryTimer?.();
  }
}

const http2Constants = http2.constants;

/**
 * The endpoint as a request with upstream `authority` reaches it: over TLS without a
 * DestinationRule `sni`, the connections of the authority's host (Envoy's auto_sni, see
 * {@link UpstreamEndpoint.forAuthority}); otherwise the endpoint itself. With `downstream`, the
 * addresses of the connection the request came on, a cluster that sends a PROXY protocol header
 * gives the connections of that connection's addresses ({@link UpstreamEndpoint.forDownstream}).
 */
export function endpointForAuthority(
  ep: UpstreamEndpoint,
  authority: string | readonly string[] | undefined,
  downstream?: DownstreamAddresses,
): UpstreamEndpoint {
  const conn =
    ep.tls === undefined
      ? ep
      : ep.forAuthority(hostOfAuthority(typeof authority === "string" ? authority : ""));
  return downstream === undefined ? conn : conn.forDownstream(downstream);
}

/** Whether a request's `expect` asks for `100-continue` (the only expectation HTTP defines). */
function asksContinue(expect: string | readonly string[] | undefined): boolean {
  return typeof expect === "string" && expect.length === 12 && expect.toLowerCase() === "100-continue";
}

/** The first value of `name` (lower case) among raw header pairs, as the HTTP/1.1 parser gives them. */
function rawHeaderOf(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** A retry was started for a body that was not kept: {@link Forward.canRetry} rules it out. */
const BODY_NOT_KEPT = new ProxyError("IGW_ERR_INTERNAL", "request body not kept for another attempt");
