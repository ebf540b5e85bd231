/**
 * Envoy's HTTP connection manager for one request: route it with the router's pure decisions
 * (virtual host, TLS requirement, route, CORS, fault, redirect, direct response, weighted
 * cluster, rewrite, header operations, mirrors, retries), then forward it upstream with bodies
 * streamed both ways under backpressure, and answer every failure through {@link ProxyError}.
 * Each request records the listener, filter chain, route config, virtual host, route, cluster and
 * upstream host it used, in the access log and the metrics.
 */
import type http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { Transform } from "node:stream";
import type { Duplex, Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { AccessLog } from "../observability/access-log";
import type { HttpStats } from "../observability/metrics";
import type { ChainRuntime, ProxySnapshot } from "../proxy-snapshot";
import {
  NoHealthyUpstreamError,
  NoRouteError,
  ProxyError,
  UpstreamConnectError,
  UpstreamTimeoutError,
  toProxyError,
} from "../errors";
import { evaluateCors } from "../router/cors";
import { decideFault } from "../router/fault";
import type { FormatterContext } from "../router/header-formatter";
import type { CompiledHeaderOperations, HeaderMap } from "../router/header-operations";
import { applyHeaderOperations, isEmptyHeaderOperations } from "../router/header-operations";
import { decideMirrors, shadowAuthority } from "../router/mirror";
import { normalizePath } from "../router/path";
import { redirectLocation } from "../router/redirect";
import type { RouteRequest } from "../router/request";
import { splitPathAndQuery } from "../router/request";
import type { AttemptOutcome, RetryPolicy } from "../router/retry-policy";
import { isRetriable, retryBackoffMs, toRetryPolicy } from "../router/retry-policy";
import { rewriteAuthority, rewritePath } from "../router/rewrite";
import type { CompiledRoute, CompiledVirtualHost, CompiledWeightedCluster } from "../router/route-config";
import { routeRequest } from "../router/route-match";
import { pickWeightedCluster } from "../router/weighted-cluster";
import type { ClusterRuntime, UpstreamEndpoint } from "../upstream/cluster-manager";
import type { ConnectionState } from "./connection-state";
import { connectionStateOf } from "./connection-state";
import { addForwardingHeaders, stripHopByHop, stripResponseHeaders } from "./headers";
import { errorReply } from "./local-reply";

/** A downstream request, HTTP/1.1 or HTTP/2 (compatibility API). */
export type DownstreamRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A downstream response, HTTP/1.1 or HTTP/2 (compatibility API). */
export type DownstreamResponse = http.ServerResponse | http2.Http2ServerResponse;

/** What the connection manager needs from the proxy around it. */
export interface HcmContext {
  /** The configuration new requests start on. */
  current(): ProxySnapshot | undefined;
  /** The access log. */
  readonly accessLog: AccessLog;
  /** True once draining has started: responses close their connections. */
  draining(): boolean;
  /** Called when a request starts and when it ends (for drain accounting). */
  requestStarted(state: ConnectionState | undefined): void;
  /** Called once per request when it is over. */
  requestEnded(state: ConnectionState | undefined): void;
  /** The proxy's host name, for `%HOSTNAME%`. */
  readonly hostname: string;
}

const EMPTY_OPS: readonly CompiledHeaderOperations[] = [];

/** Retry policies parsed once per route action (configurations are frozen, so identity is a safe key). */
const retryPolicies = new WeakMap<object, RetryPolicy>();

type RetryConfig = NonNullable<Extract<CompiledRoute["route"]["action"], { kind: "route" }>["retries"]>;

function retryPolicyOf(config: RetryConfig): RetryPolicy {
  let p = retryPolicies.get(config);
  if (p === undefined) {
    p = toRetryPolicy(config);
    retryPolicies.set(config, p);
  }
  return p;
}

/** Whether every level of operations is empty (then headers are copied, not rewritten). */
function allEmpty(levels: readonly CompiledHeaderOperations[]): boolean {
  for (const l of levels) if (!isEmptyHeaderOperations(l)) return false;
  return true;
}
const NO_ROUTE = new NoRouteError();

/** Per-request bookkeeping, shared by the routing and forwarding steps and the access log. */
class Exchange {
  readonly start = performance.now();
  readonly startTime = Date.now();
  status = 0;
  flags = "-";
  errorCode: string | undefined;
  bytesReceived = 0;
  bytesSent = 0;
  upstreamServiceTime: number | undefined;
  virtualHost: CompiledVirtualHost | undefined;
  route: CompiledRoute | undefined;
  cluster: ClusterRuntime | undefined;
  upstreamHost: string | undefined;
  responseOps: readonly CompiledHeaderOperations[] = EMPTY_OPS;
  corsHeaders: readonly (readonly [string, string])[] | undefined;
  done = false;

  constructor(
    readonly req: DownstreamRequest,
    readonly res: DownstreamResponse,
    readonly state: ConnectionState | undefined,
    readonly chain: ChainRuntime,
    readonly snapshot: ProxySnapshot,
    readonly routeReq: RouteRequest,
    readonly h2: boolean,
  ) {}
}

/** Serves HTTP requests for every listener of the proxy. */
export class HttpConnectionManager {
  constructor(private readonly ctx: HcmContext) {}

  /** Handles one request on a connection whose state is attached to its socket. */
  readonly handleRequest = (req: DownstreamRequest, res: DownstreamResponse): void => {
    const state = connectionStateOf(req.socket);
    const resolved = this.resolveChain(state);
    if (resolved === undefined || resolved.chain.routes === undefined) {
      res.writeHead(503, { "content-length": "0", connection: "close" });
      res.end();
      return;
    }
    const { chain, snapshot } = resolved;
    const h2 = req.httpVersionMajor === 2;
    const scheme = chain.config.httpConnectionManager?.scheme ?? "http";
    const headers = req.headers;
    const authority = (h2 ? (headers[":authority"] as string | undefined) : undefined) ?? headers.host ?? "";
    const target = req.url ?? "/";
    const { path: rawPath, query } = splitPathAndQuery(target);
    const routeReq: RouteRequest = {
      method: req.method ?? "GET",
      path: normalizePath(rawPath),
      query,
      headers: headers as RouteRequest["headers"],
      scheme,
      authority,
      port: chain.listener.config.port,
    };
    const x = new Exchange(req, res, state, chain, snapshot, routeReq, h2);
    this.ctx.requestStarted(state);
    res.once("close", () => this.finish(x));
    req.on("error", () => {});
    res.on("error", () => {});
    if (authority === "" || !rawPath.startsWith("/")) {
      this.replyError(
        x,
        new ProxyError("IGW_ERR_BAD_REQUEST", "request has no authority or an invalid path"),
      );
      return;
    }
    try {
      this.route(x);
    } catch (err) {
      this.replyError(x, toProxyError(err));
    }
  };

  /**
   * Handles a request asking for a protocol upgrade (WebSocket): routed like any request, then
   * the connection is tunnelled to the endpoint as raw bytes.
   */
  readonly handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => {});
    const state = connectionStateOf(req.socket);
    const resolved = this.resolveChain(state);
    const routes = resolved?.chain.routes;
    const fail = (status: number, code: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${code}\r\nx-igw-error-code: ${code}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
    };
    if (resolved === undefined || routes === undefined) return fail(503, "IGW_ERR_NO_HEALTHY_UPSTREAM");
    const scheme = resolved.chain.config.httpConnectionManager?.scheme ?? "http";
    const { path: rawPath, query } = splitPathAndQuery(req.url ?? "/");
    const routeReq: RouteRequest = {
      method: req.method ?? "GET",
      path: normalizePath(rawPath),
      query,
      headers: req.headers as RouteRequest["headers"],
      scheme,
      authority: req.headers.host ?? "",
      port: resolved.chain.listener.config.port,
    };
    const decision = routeRequest(routes, routeReq);
    if (decision.kind !== "matched" || decision.route.route.action.kind !== "route") {
      return fail(404, "IGW_ERR_NO_ROUTE");
    }
    const route = decision.route;
    const wc = pickWeightedCluster(route);
    const cluster = wc === undefined ? undefined : resolved.snapshot.clusters.get(wc.cluster.cluster);
    const ep = cluster?.pick();
    if (wc === undefined || ep === undefined) return fail(503, "IGW_ERR_NO_HEALTHY_UPSTREAM");
    const headers = applyHeaderOperations(req.headers as RouteRequest["headers"], [
      wc.requestHeaders,
      route.requestHeaders,
    ]);
    const upgrade = req.headers.upgrade;
    const connection = req.headers.connection;
    stripHopByHop(headers, false);
    addForwardingHeaders(headers, req.socket.remoteAddress ?? "", scheme);
    headers["host"] = rewriteAuthority(route, wc) ?? routeReq.authority;
    const lines = [
      `${routeReq.method} ${rewritePath(route, routeReq.path)}${query === "" ? "" : "?" + query} HTTP/1.1`,
    ];
    for (const [k, v] of Object.entries(headers)) {
      for (const value of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${value}`);
    }
    if (upgrade !== undefined) lines.push(`upgrade: ${upgrade}`);
    if (connection !== undefined) lines.push(`connection: ${connection}`);
    const upstream = net.connect({ host: ep.ip, port: ep.port });
    upstream.on("error", () => {
      if (!upstream.readyState.startsWith("open")) fail(503, "IGW_ERR_UPSTREAM_CONNECT");
      socket.destroy();
    });
    upstream.once("connect", () => {
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    socket.once("close", () => upstream.destroy());
    upstream.once("close", () => socket.destroy());
  };

  private resolveChain(
    state: ConnectionState | undefined,
  ): { chain: ChainRuntime; snapshot: ProxySnapshot } | undefined {
    if (state === undefined) return undefined;
    const snapshot = this.ctx.current();
    if (snapshot !== undefined) {
      const chain = snapshot.listeners.get(state.listenerKey)?.byName.get(state.chain.config.name);
      if (chain !== undefined && chain.routes !== undefined) return { chain, snapshot };
    }
    return { chain: state.chain, snapshot: state.snapshot };
  }

  private route(x: Exchange): void {
    const decision = routeRequest(x.chain.routes!, x.routeReq);
    switch (decision.kind) {
      case "no-virtual-host":
        return this.replyError(x, NO_ROUTE);
      case "no-route":
        x.virtualHost = decision.virtualHost;
        return this.replyError(x, NO_ROUTE);
      case "require-tls":
        x.virtualHost = decision.virtualHost;
        return this.replyLocal(x, 301, { location: decision.location, "content-length": "0" }, "");
    }
    const route = decision.route;
    x.virtualHost = decision.virtualHost;
    x.route = route;
    x.responseOps = [route.responseHeaders];
    if (route.route.cors !== undefined) {
      const cors = evaluateCors(route, x.routeReq);
      if (cors.kind === "preflight") {
        const h: HeaderMap = { "content-length": "0" };
        for (const [k, v] of cors.headers) h[k] = v;
        return this.replyLocal(x, cors.status, h, "");
      }
      if (cors.kind === "forward") x.corsHeaders = cors.responseHeaders;
    }
    if (route.route.fault !== undefined) {
      const fault = decideFault(route);
      if (fault.delayMs !== undefined) {
        x.flags = "DI";
        const timer = setTimeout(() => this.afterFault(x, fault.abort), fault.delayMs);
        x.res.once("close", () => clearTimeout(timer));
        return;
      }
      if (fault.abort !== undefined) return this.afterFault(x, fault.abort);
    }
    this.act(x);
  }

  private afterFault(x: Exchange, abort: ReturnType<typeof decideFault>["abort"]): void {
    if (x.done) return;
    if (abort === undefined) return this.act(x);
    x.flags = "FI";
    x.errorCode = "IGW_ERR_FAULT_ABORT";
    if (abort.kind === "http") {
      const body = "fault filter abort";
      return this.replyLocal(
        x,
        abort.status,
        { "content-type": "text/plain", "content-length": String(body.length) },
        body,
      );
    }
    return this.replyLocal(
      x,
      200,
      {
        "content-type": "application/grpc",
        "grpc-status": String(abort.grpcStatus),
        "grpc-message": "fault filter abort",
        "content-length": "0",
      },
      "",
    );
  }

  private act(x: Exchange): void {
    const route = x.route!;
    const action = route.route.action;
    if (action.kind === "redirect") {
      return this.replyLocal(
        x,
        action.responseCode,
        { location: redirectLocation(route, x.routeReq), "content-length": "0" },
        "",
      );
    }
    if (action.kind === "directResponse") {
      const body =
        action.body === undefined
          ? ""
          : "inlineString" in action.body
            ? action.body.inlineString
            : Buffer.from(action.body.inlineBytes, "base64");
      const h: HeaderMap = {
        "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : body.length),
      };
      if (typeof body === "string" && body.length > 0) h["content-type"] = "text/plain";
      return this.replyLocal(x, action.status, h, body);
    }
    const wc = pickWeightedCluster(route);
    const cluster = wc === undefined ? undefined : x.snapshot.clusters.get(wc.cluster.cluster);
    if (wc === undefined || cluster === undefined) return this.replyError(x, new NoHealthyUpstreamError());
    x.cluster = cluster;
    x.responseOps = [wc.responseHeaders, route.responseHeaders];
    const levels = [wc.requestHeaders, route.requestHeaders];
    const headers: HeaderMap = allEmpty(levels)
      ? ({ ...x.routeReq.headers } as HeaderMap)
      : applyHeaderOperations(x.routeReq.headers, levels, this.formatterContext(x));
    const rewrittenAuthority = rewriteAuthority(route, wc);
    const te = headers["te"];
    stripHopByHop(headers, x.h2 || te !== undefined);
    const socket = x.req.socket;
    addForwardingHeaders(headers, socket.remoteAddress ?? "", x.routeReq.scheme);
    const authority =
      rewrittenAuthority ??
      (typeof headers["host"] === "string" && headers["host"] !== x.routeReq.authority
        ? headers["host"]
        : x.routeReq.authority);
    headers["host"] = authority;
    const path = rewritePath(route, x.routeReq.path);
    const fullPath = x.routeReq.query === "" ? path : `${path}?${x.routeReq.query}`;
    const hasBody = requestHasBody(x.req, x.h2);
    const mirrors = action.mirrors.length > 0 && !hasBody ? decideMirrors(route) : undefined;
    if (mirrors !== undefined) {
      for (const name of mirrors) this.mirror(x, name, fullPath, headers, authority);
    }
    const grpc = x.h2 && String(x.req.headers["content-type"] ?? "").startsWith("application/grpc");
    const forward = new Forward(
      this,
      x,
      cluster,
      wc,
      fullPath,
      headers,
      hasBody,
      grpc,
      action.timeoutMs,
      action.retries === undefined ? undefined : retryPolicyOf(action.retries),
    );
    forward.start();
  }

  /** Sends a copy of a bodiless request to `clusterName`, never waiting for it. */
  private mirror(
    x: Exchange,
    clusterName: string,
    path: string,
    headers: HeaderMap,
    authority: string,
  ): void {
    const ep = x.snapshot.clusters.get(clusterName)?.pick();
    if (ep === undefined) return;
    const copy: HeaderMap = { ...headers, host: shadowAuthority(authority) };
    ep.pool
      .request({
        path,
        method: x.routeReq.method as Dispatcher.HttpMethod,
        headers: copy,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      })
      .then(
        (r) => r.body.dump(),
        () => {},
      )
      .catch(() => {});
  }

  formatterContext(x: Exchange): FormatterContext {
    const s = x.state;
    return {
      downstreamRemoteAddress: s?.remoteAddress,
      downstreamRemotePort: s?.remotePort,
      downstreamLocalPort: s?.localPort,
      requestedServerName: s?.serverName,
      protocol: x.h2 ? "HTTP/2" : "HTTP/1.1",
      hostname: this.ctx.hostname,
      requestHeaders: x.routeReq.headers,
      routeName: x.route?.route.name,
      upstreamCluster: x.cluster?.config.name,
    };
  }

  /** Writes response headers after header operations and CORS; the one place responses start. */
  writeHead(x: Exchange, status: number, headers: HeaderMap): void {
    let out = headers;
    if (!allEmpty(x.responseOps)) {
      const fctx: FormatterContext = {
        ...this.formatterContext(x),
        responseHeaders: headers,
        responseCode: status,
        upstreamRemoteAddress: x.upstreamHost,
      };
      out = applyHeaderOperations(headers, x.responseOps, fctx);
    }
    if (x.corsHeaders !== undefined) for (const [k, v] of x.corsHeaders) out[k] = v;
    if (this.ctx.draining() && !x.h2) out["connection"] = "close";
    x.status = status;
    (x.res as http.ServerResponse).writeHead(status, out);
  }

  replyLocal(x: Exchange, status: number, headers: HeaderMap, body: string | Buffer): void {
    if (x.done || x.res.headersSent) return;
    this.writeHead(x, status, headers);
    x.bytesSent += typeof body === "string" ? Buffer.byteLength(body) : body.length;
    (x.res as http.ServerResponse).end(body);
  }

  replyError(x: Exchange, err: ProxyError): void {
    if (err.code === "IGW_ERR_INTERNAL")
      console.error(`istio-gateway proxy: internal error: ${err.stack ?? err.message}`);
    x.errorCode = err.code;
    if (x.flags === "-" || x.flags === "DI")
      x.flags = x.flags === "DI" ? `DI,${err.responseFlag}` : err.responseFlag;
    if (x.res.headersSent) {
      x.res.destroy();
      return;
    }
    const reply = errorReply(err);
    // Error replies carry the route's response header operations as Envoy's local replies do.
    this.replyLocal(x, reply.status, reply.headers, reply.body);
  }

  private finish(x: Exchange): void {
    if (x.done) return;
    x.done = true;
    this.ctx.requestEnded(x.state);
    const res = x.res;
    if (!res.writableFinished && x.flags === "-") x.flags = "DC";
    const duration = performance.now() - x.start;
    const stats: HttpStats | undefined =
      x.cluster === undefined
        ? undefined
        : x.h2
          ? isGrpc(x)
            ? x.cluster.grpcStats
            : x.cluster.http2Stats
          : x.cluster.httpStats;
    stats?.record(x.status, x.flags, duration, x.bytesReceived, x.bytesSent);
    const req = x.req;
    const route = x.route?.route;
    this.ctx.accessLog.log({
      start_time: new Date(x.startTime).toISOString(),
      method: x.routeReq.method,
      path: req.url,
      protocol: x.h2 ? "HTTP/2" : "HTTP/1.1",
      response_code: x.status,
      response_flags: x.flags,
      error_code: x.errorCode,
      bytes_received: x.bytesReceived,
      bytes_sent: x.bytesSent,
      duration: Math.round(duration),
      upstream_service_time: x.upstreamServiceTime,
      authority: x.routeReq.authority,
      downstream_remote_address:
        x.state === undefined ? "" : `${x.state.remoteAddress}:${x.state.remotePort}`,
      user_agent: req.headers["user-agent"],
      request_id: req.headers["x-request-id"] as string | undefined,
      requested_server_name: x.state?.serverName,
      listener: x.chain.listener.config.name,
      filter_chain: x.chain.config.name,
      route_config: x.chain.routes?.routeConfig.name,
      virtual_host: x.virtualHost?.virtualHost.name,
      route_name: route?.name,
      upstream_cluster: x.cluster?.config.name,
      upstream_host: x.upstreamHost,
    });
  }
}

function isGrpc(x: Exchange): boolean {
  return String(x.req.headers["content-type"] ?? "").startsWith("application/grpc");
}

/** Whether a request carries a body (HTTP/1.1: by its framing headers; HTTP/2: unless the stream ended with the headers). */
function requestHasBody(req: DownstreamRequest, h2: boolean): boolean {
  if (h2) return !(req as http2.Http2ServerRequest).stream.endAfterHeaders;
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * One forwarded request with its attempts: the route timeout bounds them all, each attempt may
 * have its own timeout, and a failed attempt is retried when the policy says so and nothing has
 * been sent downstream yet (requests with a body are not retried: it was streamed, not kept).
 */
class Forward {
  private attempt = 0;
  private committed = false;
  private finished = false;
  private routeTimer: NodeJS.Timeout | undefined;
  private abortCurrent: ((err: Error) => void) | undefined;
  private readonly attemptStart = performance.now();

  constructor(
    private readonly hcm: HttpConnectionManager,
    private readonly x: Exchange,
    private readonly cluster: ClusterRuntime,
    private readonly wc: CompiledWeightedCluster,
    private readonly path: string,
    private readonly headers: HeaderMap,
    private readonly hasBody: boolean,
    private readonly grpc: boolean,
    private readonly timeoutMs: number | undefined,
    private readonly retry: RetryPolicy | undefined,
  ) {}

  start(): void {
    void this.wc;
    if (this.timeoutMs !== undefined && this.timeoutMs > 0) {
      this.routeTimer = setTimeout(() => this.fail(new UpstreamTimeoutError(), true), this.timeoutMs);
    }
    this.x.res.once("close", () => {
      if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
      if (!this.finished) {
        this.finished = true;
        this.abortCurrent?.(new Error("downstream closed"));
      }
    });
    this.send();
  }

  private send(): void {
    if (this.finished) return;
    const ep = this.cluster.pick();
    if (ep === undefined) return this.fail(new NoHealthyUpstreamError(), true);
    this.x.upstreamHost = ep.hostPort;
    this.attempt++;
    if (this.grpc) this.sendH2(ep);
    else this.sendH1(ep);
  }

  /** Handles a failed attempt: retry when allowed, else answer the error. */
  private attemptFailed(err: ProxyError, outcome: AttemptOutcome): void {
    if (this.finished || this.committed) return;
    if (this.canRetry(outcome)) return this.scheduleRetry();
    this.fail(err, false);
  }

  private canRetry(outcome: AttemptOutcome): boolean {
    const r = this.retry;
    return (
      r !== undefined && !this.hasBody && this.attempt <= r.attempts && isRetriable(r.conditions, outcome)
    );
  }

  private scheduleRetry(): void {
    const wait = retryBackoffMs(this.retry!, this.attempt - 1);
    this.x.flags = "URX";
    setTimeout(() => {
      this.x.flags = "-";
      this.send();
    }, wait);
  }

  private fail(err: ProxyError, abortCurrent: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
    if (abortCurrent) this.abortCurrent?.(err);
    this.hcm.replyError(this.x, err);
  }

  private perTryTimer(onTimeout: () => void): NodeJS.Timeout | undefined {
    const ms = this.retry?.perTryTimeoutMs;
    return ms === undefined ? undefined : setTimeout(onTimeout, ms);
  }

  /** Commits the upstream's response head downstream. */
  private commit(status: number, headers: HeaderMap): void {
    this.committed = true;
    this.x.upstreamServiceTime = Math.round(performance.now() - this.attemptStart);
    stripResponseHeaders(headers);
    headers["x-envoy-upstream-service-time"] = String(this.x.upstreamServiceTime);
    if (this.x.h2) delete headers["content-length"];
    this.hcm.writeHead(this.x, status, headers);
  }

  private done(): void {
    this.finished = true;
    if (this.routeTimer !== undefined) clearTimeout(this.routeTimer);
  }

  private sendH1(ep: UpstreamEndpoint): void {
    const x = this.x;
    const res = x.res as http.ServerResponse;
    let tryTimer: NodeJS.Timeout | undefined;
    let controllerRef: Dispatcher.DispatchController | undefined;
    let aborted = false;
    this.abortCurrent = (err) => {
      aborted = true;
      controllerRef?.abort(err);
    };
    const body: Readable | null = this.hasBody
      ? countedBody(x.req as Readable, (n) => {
          x.bytesReceived += n;
        })
      : null;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        controllerRef = controller;
        if (aborted) controller.abort(new Error("aborted"));
        tryTimer = this.perTryTimer(() => {
          controller.abort(new UpstreamTimeoutError());
        });
      },
      onResponseStart: (controller, statusCode, headers) => {
        if (this.finished) return controller.abort(new Error("finished"));
        if (statusCode < 200) return; // 1xx informational: not forwarded
        if (this.canRetry({ kind: "response", status: statusCode })) {
          if (tryTimer !== undefined) clearTimeout(tryTimer);
          controller.abort(new Error("retrying"));
          this.scheduleRetry();
          return;
        }
        this.commit(statusCode, headers as HeaderMap);
      },
      onResponseData: (controller, chunk) => {
        if (!this.committed || this.finished) return;
        x.bytesSent += chunk.length;
        if (!res.write(chunk)) {
          controller.pause();
          res.once("drain", () => controller.resume());
        }
      },
      onResponseEnd: (_controller, trailers) => {
        if (tryTimer !== undefined) clearTimeout(tryTimer);
        if (!this.committed || this.finished) return;
        this.done();
        if (trailers !== undefined && Object.keys(trailers).length > 0 && (x.h2 || res.chunkedEncoding)) {
          res.addTrailers(trailers as http.OutgoingHttpHeaders);
        }
        res.end();
      },
      onResponseError: (_controller, error) => {
        if (tryTimer !== undefined) clearTimeout(tryTimer);
        if (this.finished) return;
        if (this.committed) {
          this.done();
          x.flags = "UC";
          res.destroy();
          return;
        }
        const err = toProxyError(error);
        this.attemptFailed(err, outcomeOf(err));
      },
    };
    try {
      ep.pool.dispatch(
        {
          path: this.path,
          method: x.routeReq.method as Dispatcher.HttpMethod,
          headers: this.headers,
          body,
          headersTimeout: 0,
          bodyTimeout: 0,
          blocking: false,
        },
        handler,
      );
    } catch (err) {
      this.attemptFailed(toProxyError(err), { kind: "connect-failure" });
    }
  }

  private sendH2(ep: UpstreamEndpoint): void {
    const x = this.x;
    const res = x.res as http2.Http2ServerResponse;
    let session: http2.ClientHttp2Session;
    try {
      session = ep.h2();
    } catch (err) {
      return this.attemptFailed(new UpstreamConnectError(String(err)), { kind: "connect-failure" });
    }
    const h2headers: http2.OutgoingHttpHeaders = { ...this.headers };
    delete h2headers["host"];
    h2headers[":method"] = x.routeReq.method;
    h2headers[":path"] = this.path;
    h2headers[":authority"] = this.headers["host"];
    h2headers[":scheme"] = ep.tls === undefined ? "http" : "https";
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(h2headers, { endStream: !this.hasBody });
    } catch (err) {
      return this.attemptFailed(new UpstreamConnectError(String(err)), { kind: "connect-failure" });
    }
    let gotResponse = false;
    this.abortCurrent = () => stream.close(http2Constants.NGHTTP2_CANCEL);
    const tryTimer = this.perTryTimer(() => {
      stream.close(http2Constants.NGHTTP2_CANCEL);
      this.attemptFailed(new UpstreamTimeoutError(), { kind: "per-try-timeout" });
    });
    if (this.hasBody) {
      const req = x.req as http2.Http2ServerRequest;
      req.on("data", (c: Buffer) => {
        x.bytesReceived += c.length;
      });
      req.pipe(stream);
    }
    stream.on("response", (headers, flags) => {
      gotResponse = true;
      if (tryTimer !== undefined) clearTimeout(tryTimer);
      if (this.finished) return;
      const status = Number(headers[":status"] ?? 502);
      const out: HeaderMap = {};
      for (const k in headers) {
        if (k.charCodeAt(0) === 58) continue;
        const v = headers[k];
        if (v !== undefined) out[k] = v as string | string[];
      }
      this.commit(status, out);
      if ((flags & http2Constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        this.done();
        res.end();
      }
    });
    stream.on("trailers", (trailers) => {
      if (this.committed && !this.finished) res.addTrailers(trailers as http.OutgoingHttpHeaders);
    });
    stream.on("data", (chunk: Buffer) => {
      if (!this.committed || this.finished) return;
      x.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        stream.pause();
        res.once("drain", () => stream.resume());
      }
    });
    stream.on("end", () => {
      if (!this.committed || this.finished) return;
      this.done();
      res.end();
    });
    stream.on("error", (error) => {
      if (tryTimer !== undefined) clearTimeout(tryTimer);
      if (this.finished) return;
      if (this.committed) {
        this.done();
        x.flags = "UC";
        res.destroy();
        return;
      }
      const err = gotResponse ? toProxyError(error) : toConnectOrReset(error);
      this.attemptFailed(err, outcomeOf(err));
    });
    stream.on("close", () => {
      if (tryTimer !== undefined) clearTimeout(tryTimer);
      if (!this.finished && !gotResponse && !this.committed) {
        const refused = stream.rstCode === http2Constants.NGHTTP2_REFUSED_STREAM;
        const err = toProxyError(
          Object.assign(new Error("upstream stream closed"), {
            code: refused ? "ECONNREFUSED" : "ECONNRESET",
          }),
        );
        this.attemptFailed(err, refused ? { kind: "refused-stream" } : outcomeOf(err));
      }
    });
  }
}

const http2Constants = http2.constants;

function toConnectOrReset(error: unknown): ProxyError {
  return toProxyError(error);
}

/** The retry outcome of a failed attempt. */
function outcomeOf(err: ProxyError): AttemptOutcome {
  switch (err.code) {
    case "IGW_ERR_UPSTREAM_CONNECT":
      return { kind: "connect-failure" };
    case "IGW_ERR_UPSTREAM_TIMEOUT":
      return { kind: "per-try-timeout" };
    default:
      return { kind: "reset", beforeRequest: false };
  }
}

/**
 * The request body as undici should read it, counting bytes on the way. A `data` listener on the
 * request itself would switch it to flowing mode before undici reads it, and the chunks that flow
 * meanwhile would never reach the upstream; a pipe keeps every chunk and the backpressure.
 */
function countedBody(source: Readable, count: (bytes: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      done(null, chunk);
    },
  });
  source.once("error", (err) => counter.destroy(err));
  source.once("aborted", () => counter.destroy(new Error("request aborted")));
  return source.pipe(counter);
}
