/**
 * Envoy's HTTP connection manager for one request: route it with the router's pure decisions
 * (virtual host, TLS requirement, route, CORS, fault, redirect, direct response, weighted
 * cluster, rewrite, header operations, mirrors, retries), then forward it upstream with bodies
 * streamed both ways under backpressure, and answer every failure through {@link ProxyError}.
 * Each request records the listener, filter chain, route config, virtual host, route, cluster and
 * upstream host it used, in the access log and the metrics.
 */
import type http2 from "node:http2";
import type { Socket } from "node:net";
import type { Duplex, Readable } from "node:stream";
import type { AccessLog } from "../observability/access-log";
import { isoTime } from "../observability/access-log";
import type { RouteLogFragments } from "../observability/access-log-line";
import { formatRouteFields } from "../observability/access-log-line";
import type { HttpStats } from "../observability/metrics";
import type { ChainRuntime, ProxySnapshot } from "../proxy-snapshot";
import {
  BadTargetError,
  NoClusterError,
  NoHealthyUpstreamError,
  NoRouteError,
  ProxyError,
  type ProxyErrorCode,
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
import { expectedTimeoutMs, retryPolicyFor } from "../router/retry-policy";
import { grpcRequestTimeoutMs } from "../router/grpc-timeout";
import { rewriteAuthority, rewritePath, rewritesPath } from "../router/rewrite";
import { routeRequest } from "../router/route-match";
import { pickWeightedCluster } from "../router/weighted-cluster";
import { requestId } from "./request-id";
import type { ConnectionState } from "./connection-state";
import { connectionStateOf } from "./connection-state";
import type { DownstreamRequest, DownstreamResponse } from "./exchange";
import { clientIp, forwardedRequestOf } from "./forwarded-request";
import { isValidReferer } from "./referer";
import { requestHeaders } from "../http1/request-headers";
import { Exchange } from "./exchange";
import { endpointForAuthority, Forward } from "./forward";
import type { ForwardHost } from "./forward";
import { appendForwardedFor, setAttemptHeaders, upstreamRequestHeaders } from "./headers";
import { SERVER_NAME } from "./response-head";
import { serveUpgrade } from "./websocket-upgrade";
import { BreakerSlot } from "../upstream/circuit-breaker";
import { REQUEST_BODY_BUFFER_LIMIT, ReplayableBody } from "./replayable-body";
import { sendShadowRequest } from "./shadow-request";
import { errorReply, grpcLocalReplyHeaders, isGrpcContentType } from "./local-reply";
import { authorizeHttp } from "../rbac/http-authorization";
import {
  CORS_RESPONSE,
  DIRECT_RESPONSE,
  DOWNSTREAM_REMOTE_DISCONNECT,
  FAULT_ABORT,
  failureDetails,
  lateFailureDetails,
  VIA_UPSTREAM,
} from "./response-code-details";
import { GrpcMessageCounter } from "./grpc-messages";
import { runJwtAuthn } from "./jwt-authn-step";
import { grpcResponseStatus } from "./grpc-status";
import { clientFromForwardedFor, trustedScheme } from "./trusted-client";
import type { ForwardClientCertDetails } from "../../istio/model/gateway-topology";
import { socketAddress } from "../socket-address";
import { Http1Request } from "../http1/downstream-request";
import { Http1Response } from "../http1/downstream-response";

export type { DownstreamRequest, DownstreamResponse } from "./exchange";

/** What the connection manager needs from the proxy around it. */
export interface HcmContext {
  /** The configuration new requests start on. */
  current(): ProxySnapshot | undefined;
  /** The access log. */
  readonly accessLog: AccessLog;
  /**
   * Where requests answered without a cluster are counted (no route, redirects, direct
   * responses, faults before a cluster was picked): destination "unknown", as Istio reports them.
   */
  readonly unroutedStats: { readonly http: HttpStats; readonly grpc: HttpStats };
  /** True once draining has started: responses close their connections. */
  draining(): boolean;
  /** Called when a request starts and when it ends (for drain accounting). */
  requestStarted(): void;
  /** Called once per request when it is over. */
  requestEnded(): void;
  /** The proxy's host name, for `%HOSTNAME%`. */
  readonly hostname: string;
  /**
   * Proxies in front of the gateway whose `x-forwarded-for` and `x-forwarded-proto` are trusted
   * (Istio's `gatewayTopology.numTrustedProxies`; 0: none, the connection's peer is the client).
   */
  readonly numTrustedProxies: number;
  /** What becomes of `x-forwarded-client-cert` (client-cert-header.ts); Istio's default is `SANITIZE_SET`. */
  readonly forwardClientCertDetails: ForwardClientCertDetails;
  /** How long an HTTP/2 stream may carry no bytes either way (ms); 0 = no limit. */
  readonly streamIdleTimeoutMs: number;
}

/**
 * Tells the client of a draining connection to go away, as Envoy's connection manager does once
 * `drainClose()` is true (the proxy drains on SIGTERM, or the connection's filter chain drains
 * after a change): HTTP/1.1 by `Connection: close` on the response, never on a 101 (the connection
 * is the tunnel's then); HTTP/2 by GOAWAY, the streams open finishing first (a session the drain
 * already closed stays as it is).
 */
function goAway(x: Exchange, status: number, out: HeaderMap): void {
  if (!x.h2) {
    if (status !== 101) out["connection"] = "close";
    return;
  }
  (x.req as http2.Http2ServerRequest).stream.session?.close();
}

/** Whether every level of operations is empty (then headers are copied, not rewritten). */
function allEmpty(levels: readonly CompiledHeaderOperations[]): boolean {
  for (const l of levels) if (!isEmptyHeaderOperations(l)) return false;
  return true;
}
const NO_ROUTE = new NoRouteError();
const NO_CLUSTER = new NoClusterError();
const STREAM_IDLE_TIMEOUT = new ProxyError("IGW_ERR_STREAM_IDLE_TIMEOUT", "stream timeout");
/** The name Istio gives `x`'s route, if it gives one (see `Route.unnamed`). */
function istioRouteName(x: Exchange): string | undefined {
  const route = x.route?.route;
  return route === undefined || route.unnamed === true ? undefined : route.name;
}

/**
 * What the access log says made `x`'s response: the proxy's own words when it made it or the
 * upstream cut it, else the upstream (`via_upstream`); nothing when no response was sent (the
 * client left first: `downstream_remote_disconnect`).
 */
function responseCodeDetails(x: Exchange): string | undefined {
  if (x.details !== undefined) return x.details;
  if (x.status !== 0) return VIA_UPSTREAM;
  return x.flags.includes("DC") ? DOWNSTREAM_REMOTE_DISCONNECT : undefined;
}

/**
 * The `x-forwarded-for` of `x` as Envoy's access log reads it: the request's after the connection
 * manager appended the peer, whether or not the request went upstream.
 */
function forwardedFor(x: Exchange): string | undefined {
  const sent = x.forwardedHeaders?.["x-forwarded-for"];
  if (sent !== undefined) return typeof sent === "string" ? sent : sent.join(",");
  return appendForwardedFor(x.routeReq.headers["x-forwarded-for"], clientIp(x.state, x.req));
}

const BAD_TARGET = new BadTargetError();
const NOT_A_PATH = new ProxyError("IGW_ERR_NOT_A_PATH", "the request's target is not a path");

/** How a client broke a request it had started (the codec tells which): the reply's text. */
const CLIENT_FAILURE: Partial<Record<ProxyErrorCode, string>> = {
  IGW_ERR_REQUEST_TIMEOUT: "request timeout: the client did not send the request body in time",
  IGW_ERR_BAD_REQUEST: "bad request: the request body breaks HTTP/1.1 framing",
};

/** The owner of a response that is never written (an upgrade's: its head goes to the socket). */
const NO_OWNER = { responseDone: () => {} };
/** The body flow of a request that has none (a refused request's stand-in). */
const NO_FLOW = { pauseBody: () => {}, resumeBody: () => {} };

/** The error listener of requests and responses: their failures are handled by their close. */
function ignore(): void {}

/** Serves HTTP requests for every listener of the proxy. */
export class HttpConnectionManager implements ForwardHost {
  private readonly routeFragments = new WeakMap<object, Map<string, RouteLogFragments>>();

  constructor(private readonly ctx: HcmContext) {}

  /** Handles one request on a connection whose state is attached to its socket. */
  readonly handleRequest = (req: DownstreamRequest, res: DownstreamResponse): void => {
    const state = connectionStateOf(req.socket);
    const resolved = this.resolveChain(state);
    if (resolved === undefined || resolved.chain.routes === undefined) {
      res.writeHead(503, { "content-length": "0", connection: "close", server: SERVER_NAME });
      res.end();
      return;
    }
    const { chain, snapshot } = resolved;
    const h2 = req.httpVersionMajor === 2;
    const headers = (h2 ? h2RequestHeaders(req as http2.Http2ServerRequest) : undefined) ?? req.headers;
    const referer = headers.referer;
    if (referer !== undefined && !isValidReferer(referer)) delete headers.referer;
    const trusted = this.ctx.numTrustedProxies;
    const scheme = trustedScheme(headers, trusted, chain.config.httpConnectionManager?.scheme ?? "http");
    const h2Authority = h2 ? (headers[":authority"] as string | undefined) : undefined;
    // Envoy's HTTP/2 codec drops a `host` header that comes with `:authority`, so that it is
    // neither matched nor forwarded in place of it (`http2_discard_host_header`).
    if (h2Authority !== undefined && headers.host !== undefined) delete headers.host;
    const authority = h2Authority ?? headers.host ?? "";
    // A CONNECT has no path: its target was its authority (HTTP/1.1), or it came without `:path`
    // (HTTP/2, where node's request has no url then).
    const pathless = req.url === undefined || req.url === "";
    const target = req.url ?? "/";
    const { path: rawPath, query } = splitPathAndQuery(target);
    const path = normalizePath(rawPath);
    const routeReq: RouteRequest = {
      method: req.method ?? "GET",
      path: path ?? rawPath,
      query,
      headers: headers as RouteRequest["headers"],
      scheme,
      authority,
      port: chain.listener.config.port,
    };
    const x = new Exchange(req, res, state, chain, snapshot, routeReq, h2);
    x.forwardedClient = clientFromForwardedFor(headers, trusted);
    this.ctx.requestStarted();
    // A response closes once (`finish` ignores a second call anyway): `on` spares the wrapper
    // `once` makes for every request.
    res.on("close", () => this.finish(x));
    if (h2) {
      req.on("error", ignore);
      res.on("error", ignore);
      // Envoy's stream idle timeout: a stream silent both ways (a body that never comes, an
      // upstream that never answers) gets 408 before its response begins, a reset after. node:http2
      // counts the stream's bytes, and clears the timer when the stream closes.
      const idleMs = this.ctx.streamIdleTimeoutMs;
      if (idleMs > 0) req.setTimeout(idleMs, () => this.replyError(x, STREAM_IDLE_TIMEOUT));
    } else {
      // The HTTP/1.1 codec's request and response never emit `error`: their failures end in `close`.
      (res as Http1Response).onRequestFailure = (code) =>
        this.replyError(x, new ProxyError(code, CLIENT_FAILURE[code] ?? "the request broke the protocol"));
    }
    if (authority !== "" && rawPath.startsWith("*") && routeReq.method === "OPTIONS") {
      // OPTIONS * passes Envoy's codecs, and its connection manager answers that it routes paths only.
      this.replyError(x, NOT_A_PATH);
      return;
    }
    if (authority !== "" && pathless && routeReq.method === "CONNECT") {
      // Istio's gateways configure no CONNECT upgrade and no `connect_matcher`, and Envoy's router
      // skips every other route for a request without a path: no route (404, NR).
      this.replyError(x, NO_ROUTE);
      return;
    }
    if (authority === "" || path === undefined || !rawPath.startsWith("/")) {
      this.replyError(x, BAD_TARGET);
      return;
    }
    try {
      this.route(x);
    } catch (err) {
      this.replyError(x, toProxyError(err));
    }
  };

  /**
   * Logs and counts a request the HTTP/1.1 codec refused before routing (malformed, over a limit,
   * HTTP/1.0, too slow to send its head), as Envoy logs its protocol errors: with the error's
   * status and flag, destination unknown, and the method, path and headers when the head was read.
   */
  readonly handleRefusal = (
    socket: Socket,
    code: ProxyErrorCode,
    req: Http1Request | undefined,
    details?: string,
  ): void => {
    const state = connectionStateOf(socket);
    const resolved = this.resolveChain(state);
    if (resolved === undefined) return;
    const { chain, snapshot } = resolved;
    const request = req ?? new Http1Request(socket, "", "", {}, 1, NO_FLOW);
    const { path, query } = splitPathAndQuery(request.url);
    const routeReq: RouteRequest = {
      method: request.method,
      path,
      query,
      headers: request.headers as RouteRequest["headers"],
      scheme: chain.config.httpConnectionManager?.scheme ?? "http",
      authority: request.headers.host ?? "",
      port: chain.listener.config.port,
    };
    const res = new Http1Response(socket, NO_OWNER, false, false);
    const x = new Exchange(request, res, state, chain, snapshot, routeReq, false);
    const err = new ProxyError(code, code);
    x.status = err.status;
    x.flags = err.responseFlag;
    x.errorCode = code;
    x.details = details ?? failureDetails(err, false);
    this.record(x, performance.now() - x.start);
  };

  /** Handles a request asking for a protocol upgrade (WebSocket): see websocket-upgrade.ts. */
  readonly handleUpgrade = (req: Http1Request, socket: Duplex, head: Buffer): void =>
    serveUpgrade(this, this.ctx, req, socket, head);

  /**
   * The filter chain that serves a connection's next request: its listener's chain of the same
   * name in the current configuration, else the one the connection was accepted on.
   */
  resolveChain(
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
    x.requestId = requestId();
    // RequestAuthentication first, as Envoy's jwt_authn filter comes before the others.
    const jwtAuthn = x.snapshot.jwtAuthn;
    if (jwtAuthn !== undefined) return runJwtAuthn(jwtAuthn, x, this, () => this.routeAuthenticated(x));
    this.routeAuthenticated(x);
  }

  private routeAuthenticated(x: Exchange): void {
    // Then Istio's RBAC filter, before CORS, faults and the router: a denied request is answered
    // before any route is looked at.
    const rbac = x.snapshot.httpRbac;
    if (rbac !== undefined) {
      const denied = authorizeHttp(rbac, x);
      if (denied !== undefined) return this.replyError(x, denied);
    }
    const decision = routeRequest(x.chain.routes!, x.routeReq);
    switch (decision.kind) {
      case "no-virtual-host":
        return this.replyError(x, NO_ROUTE);
      case "no-route":
        x.virtualHost = decision.virtualHost;
        return this.replyError(x, NO_ROUTE);
      case "require-tls":
        x.virtualHost = decision.virtualHost;
        x.details = DIRECT_RESPONSE;
        return this.replyLocal(x, 301, { location: decision.location, "content-length": "0" }, "");
    }
    const route = decision.route;
    x.virtualHost = decision.virtualHost;
    x.route = route;
    x.responseOps = [route.responseHeaders];
    // Envoy's connection manager resolves the route's cluster (a weighted one drawn) before its
    // filters run: a request the CORS or fault filter answers is logged and counted against it.
    if (route.route.action.kind === "route") {
      const wc = pickWeightedCluster(route);
      if (wc !== undefined) {
        x.destination = wc;
        x.cluster = x.snapshot.clusters.get(wc.cluster.cluster);
      }
    }
    // Envoy's cors filter passes over a route that answers itself (a redirect, a direct
    // response): it has no route entry there. Its preflight answer is encoded through the
    // filters, not the router, so the route's response header operations are not applied to it.
    if (route.route.cors !== undefined && route.route.action.kind === "route") {
      const cors = evaluateCors(route, x.routeReq);
      if (cors.kind === "preflight") {
        x.responseOps = [];
        x.details = CORS_RESPONSE;
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
    // After a delay's DI, as Envoy's fault filter sets the two.
    x.addFlag("FI");
    x.errorCode = "IGW_ERR_FAULT_ABORT";
    x.details = FAULT_ABORT;
    // Envoy's fault filter answers a gRPC abort as status 200 with the gRPC status to send: a gRPC
    // request gets it as `grpc-status`, any other request a plain 200 with the abort's text.
    const body = "fault filter abort";
    return this.replyLocal(
      x,
      abort.kind === "http" ? abort.status : 200,
      { "content-type": "text/plain", "content-length": String(body.length) },
      body,
      abort.kind === "grpc" ? abort.grpcStatus : undefined,
    );
  }

  private act(x: Exchange): void {
    const route = x.route!;
    const action = route.route.action;
    if (action.kind === "redirect") {
      x.details = DIRECT_RESPONSE;
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
      // Envoy's local reply types any body it sends, text or bytes.
      if (body.length > 0) h["content-type"] = "text/plain";
      x.details = DIRECT_RESPONSE;
      return this.replyLocal(x, action.status, h, body);
    }
    const wc = x.destination;
    if (wc === undefined) return this.replyError(x, new NoHealthyUpstreamError());
    const cluster = x.cluster;
    if (cluster === undefined) return this.replyError(x, NO_CLUSTER);
    x.responseOps = wc.responseLevels;
    const levels = wc.requestLevels;
    // The route's operations apply to the headers as forwarded, as Envoy's router applies them
    // after the connection manager set x-forwarded-proto and the rest: a route can set those too.
    let headers = upstreamRequestHeaders(
      x.routeReq.headers,
      forwardedRequestOf(x, this.ctx.forwardClientCertDetails, x.routeReq.scheme, true),
    );
    x.forwardedHeaders = headers;
    if (!allEmpty(levels)) {
      headers = applyHeaderOperations(headers, levels, this.formatterContext(x));
      x.forwardedHeaders = headers;
    }
    const id = headers["x-request-id"];
    x.requestId = typeof id === "string" ? id : undefined;
    const rewrittenAuthority = rewriteAuthority(route, wc);
    const authority =
      rewrittenAuthority ??
      (typeof headers["host"] === "string" && headers["host"] !== x.routeReq.authority
        ? headers["host"]
        : x.routeReq.authority);
    headers["host"] = authority;
    const path = rewritePath(route, x.routeReq.path);
    const fullPath = x.routeReq.query === "" ? path : `${path}?${x.routeReq.query}`;
    const mirrors = action.mirrors.length > 0 ? decideMirrors(route) : undefined;
    const retry = action.retries === undefined ? undefined : retryPolicyFor(action.retries);
    // What Envoy's router adds for the upstream (Istio leaves its Envoy headers on); mirrors get
    // them too. A retry sends its own count and what is left of the timeout (see Forward).
    if (rewritesPath(route)) {
      headers["x-envoy-original-path"] =
        x.routeReq.query === "" ? x.routeReq.path : `${x.routeReq.path}?${x.routeReq.query}`;
    }
    // A gRPC request's deadline is its own `grpc-timeout`, within the route's (see grpc-timeout.ts).
    const grpc = isGrpcContentType(x.routeReq.headers["content-type"]);
    const timeoutMs = grpc
      ? grpcRequestTimeoutMs(action.timeoutMs, headers["grpc-timeout"])
      : action.timeoutMs;
    setAttemptHeaders(headers, 1, expectedTimeoutMs(timeoutMs, retry?.perTryTimeoutMs, 0), grpc);
    if (grpc) {
      const messages = cluster.grpcStats.messages();
      x.requestMessages = new GrpcMessageCounter(messages.request);
      x.responseMessages = new GrpcMessageCounter(messages.response);
    }
    let body: ReplayableBody | undefined;
    if (requestHasBody(x.req, x.h2)) {
      // Kept only when a retry or a mirror may send it again: other bodies just stream.
      const keep = retry !== undefined || (mirrors !== undefined && mirrors.length > 0);
      body = new ReplayableBody(requestBody(x.req, x.h2), x, keep ? REQUEST_BODY_BUFFER_LIMIT : 0);
    }
    if (mirrors !== undefined) {
      for (const name of mirrors) this.mirror(x, name, fullPath, headers, authority, body);
    }
    new Forward(this, x, {
      cluster,
      path: fullPath,
      headers,
      body,
      // The port's protocol decides, as Istio builds a gateway's clusters: gRPC to a port that is
      // plain HTTP goes as HTTP/1.1 (and fails there as it does in Istio), unless the
      // DestinationRule says `useClientProtocol`.
      h2: cluster.config.upstreamProtocol === "HTTP/2" || (x.h2 && cluster.config.useClientProtocol === true),
      timeoutMs,
      retry,
      hashPolicy: action.hashPolicy ?? [],
      grpc,
    }).start();
  }

  /**
   * Sends a copy of a request to `clusterName` at once, never waiting for it: its body, if any,
   * streams to the mirror as it is read ({@link ReplayableBody.tap}); a body past the buffer
   * limit abandons the mirror.
   */
  private mirror(
    x: Exchange,
    clusterName: string,
    path: string,
    headers: HeaderMap,
    authority: string,
    body: ReplayableBody | undefined,
  ): void {
    const cluster = x.snapshot.clusters.get(clusterName);
    if (cluster === undefined) return;
    // A shadow is a request to its cluster like any other, as Envoy sends it through the cluster's
    // pool: the breaker must admit it (over a limit it is dropped, never queued: a mirror must not
    // hold a body copy while it waits), and its answer feeds outlier detection. Envoy's shadow
    // carries no hash policy, so a ring-hash cluster draws its endpoint at random.
    const slot = cluster.breaker === undefined ? undefined : new BreakerSlot(cluster.breaker, ignore);
    if (slot !== undefined && slot.admit(cluster.config.upstreamProtocol === "HTTP/1.1") !== "go") {
      return slot.release();
    }
    const ep = cluster.pick();
    const copy = ep === undefined ? undefined : body?.tap();
    if (ep === undefined || (body !== undefined && copy === undefined)) return slot?.release();
    const outlier = cluster.outlier;
    const shadowHost = shadowAuthority(authority);
    // A copy whose existing `host` is replaced keeps the copy's map (a new property would not).
    // An `expect` stays, as Envoy's shadow copies the request's headers: the shadow's 100, like the
    // rest of its answer, is dropped, and its body streams as the client sends it, whatever it says.
    const shadowHeaders = { ...headers };
    shadowHeaders["host"] = shadowHost;
    // Envoy sends a shadow through its async client, which marks it internal and appends the
    // gateway's own address to x-forwarded-for, after the client's.
    shadowHeaders["x-envoy-internal"] = "true";
    if (x.state !== undefined) {
      shadowHeaders["x-forwarded-for"] = appendForwardedFor(headers["x-forwarded-for"], x.state.localAddress);
    }
    sendShadowRequest(
      // A shadow's connections carry its request's client in their PROXY protocol header too.
      endpointForAuthority(ep, shadowHost, x.state),
      cluster.config.upstreamProtocol,
      x.routeReq.method,
      path,
      shadowHeaders,
      copy,
      slot === undefined && outlier === undefined
        ? undefined
        : (outcome) => {
            slot?.release();
            if (outcome !== undefined) outlier?.observe(ep, outcome);
          },
      x.h2 ? () => (x.req as http2.Http2ServerRequest).trailers : undefined,
    );
  }

  /**
   * What header values' `%VARIABLE%`s read for exchange `x`, with the response's status and
   * headers once there is one. One literal for both phases: see {@link forwardedRequestOf} on why
   * not a spread of the request's context with the response's fields added.
   */
  formatterContext(x: Exchange, response?: { status: number; headers: HeaderMap }): FormatterContext {
    const s = x.state;
    return {
      // Envoy's downstream remote address is the client trusted proxies told of, with port 0.
      downstreamRemoteAddress: x.forwardedClient ?? s?.remoteAddress,
      downstreamRemotePort: x.forwardedClient === undefined ? s?.remotePort : 0,
      downstreamLocalPort: s?.localPort,
      requestedServerName: s?.serverName,
      protocol: x.h2 ? "HTTP/2" : "HTTP/1.1",
      hostname: this.ctx.hostname,
      requestHeaders: x.forwardedHeaders ?? x.routeReq.headers,
      routeName: istioRouteName(x),
      upstreamCluster: x.cluster?.config.name,
      responseHeaders: response?.headers,
      responseCode: response?.status,
      upstreamRemoteAddress: response === undefined ? undefined : x.upstreamHost,
    };
  }

  /**
   * Writes response headers after header operations and CORS; the one place responses start.
   * `endStream` ends the response with them (an upstream's header-only answer, such as gRPC's
   * trailers-only responses).
   */
  writeHead(x: Exchange, status: number, headers: HeaderMap, endStream = false): void {
    const out = this.responseHeaders(x, status, headers);
    x.status = status;
    if (out["grpc-status"] !== undefined) x.grpcStatus = out["grpc-status"];
    if (endStream) return endWithHead(x, status, out);
    // The HTTP/2 compatibility response has the same writing methods.
    (x.res as Http1Response).writeHead(status, out);
  }

  /** The response headers sent downstream: `headers` after header operations, CORS and drain. */
  responseHeaders(x: Exchange, status: number, headers: HeaderMap): HeaderMap {
    let out = headers;
    if (!allEmpty(x.responseOps)) {
      out = applyHeaderOperations(headers, x.responseOps, this.formatterContext(x, { status, headers }));
    }
    if (x.corsHeaders !== undefined) for (const [k, v] of x.corsHeaders) out[k] = v;
    // Istio names its gateway's HTTP connection manager "istio-envoy" and leaves Envoy's server
    // header transformation at OVERWRITE: every response says so, whatever the upstream or a
    // route's header operations wrote (removing it takes an EnvoyFilter in Istio too).
    out["server"] = SERVER_NAME;
    if (this.ctx.draining() || x.state?.chain.drain.draining === true) goAway(x, status, out);
    return out;
  }

  /**
   * Answers the request from the proxy itself. A gRPC request gets it as Envoy's local replies
   * reach gRPC clients: a trailers-only response with `grpc-status` (`grpcStatus`, else the one
   * `status` maps to) and the body as `grpc-message` ({@link grpcLocalReplyHeaders}).
   */
  replyLocal(
    x: Exchange,
    status: number,
    headers: HeaderMap,
    body: string | Buffer,
    grpcStatus?: number,
  ): void {
    if (x.done || x.res.headersSent) return;
    if (isGrpcContentType(x.routeReq.headers["content-type"])) {
      const out = grpcLocalReplyHeaders(
        this.responseHeaders(x, status, headers),
        status,
        body,
        grpcStatus,
        !x.h2,
      );
      x.status = 200;
      x.grpcStatus = out["grpc-status"];
      return endWithHead(x, 200, out);
    }
    this.writeHead(x, status, headers);
    x.bytesSent += typeof body === "string" ? Buffer.byteLength(body) : body.length;
    (x.res as Http1Response).end(body);
  }

  replyError(x: Exchange, err: ProxyError): void {
    if (err.code === "IGW_ERR_INTERNAL")
      console.error(`istio-gateway proxy: internal error: ${err.stack ?? err.message}`);
    x.errorCode = err.code;
    x.flagFailure(err);
    if (x.res.headersSent) {
      x.details = lateFailureDetails(err, x.h2);
      x.res.destroy();
      return;
    }
    const reply = errorReply(err, x.retried, x.h2);
    x.details = reply.details;
    x.transportFailureReason = reply.transportFailureReason;
    // Error replies carry the route's response header operations as Envoy's local replies do.
    this.replyLocal(x, reply.status, reply.headers, reply.body);
  }

  private finish(x: Exchange): void {
    if (x.done) return;
    x.closeListener?.downstreamClosed();
    x.done = true;
    this.ctx.requestEnded();
    const res = x.res;
    // A client that left before the response was done: over HTTP/2, a stream the client reset on
    // a connection still open is Envoy's `DR` (its codec's `http2.remote_reset`); a connection
    // that closed is `DC`. (A reset HTTP/2 stream counts as finished writing: whether the response
    // was ended tells instead.)
    // Flags set on the way (an injected delay the client did not wait out: `DI,DC`) stay first, as
    // Envoy keeps flags in the order they were set.
    if (
      x.outcomeUnflagged &&
      (x.h2 ? !(res as http2.Http2ServerResponse).writableEnded : !res.writableFinished)
    ) {
      if (x.h2 && x.state?.socket.destroyed === false) {
        x.addFlag("DR");
        x.details ??= "http2.remote_reset";
      } else x.addFlag("DC");
    }
    this.record(x, performance.now() - x.start);
  }

  /** Counts an exchange in the cluster's metrics and writes its access-log line. */
  record(x: Exchange, duration: number): void {
    const cluster = x.cluster;
    // Istio's stats filter counts a request as gRPC by its content type alone, on either protocol.
    const grpc = isGrpcContentType(x.routeReq.headers["content-type"]);
    const stats: HttpStats =
      cluster === undefined
        ? grpc
          ? this.ctx.unroutedStats.grpc
          : this.ctx.unroutedStats.http
        : grpc
          ? cluster.grpcStats
          : x.h2
            ? cluster.http2Stats
            : cluster.httpStats;
    // Istio's sizes are the bytes on the wire, heads too (Envoy's wire byte meters); the access
    // log's are the bodies'. Node's HTTP/2 stack shows neither frames nor header blocks: an
    // HTTP/2 request counts its bodies alone.
    const h1 = x.h2 ? undefined : (x.req as Http1Request);
    stats.record(
      x.status,
      x.flags,
      grpc ? grpcResponseStatus(x.grpcStatus, x.status) : "",
      duration,
      x.bytesReceived + (h1?.headBytes ?? 0),
      x.bytesSent + (x.h2 ? 0 : (x.res as Http1Response).headBytes),
    );
    const accessLog = this.ctx.accessLog;
    if (!accessLog.active) return;
    const req = x.req;
    const state = x.state;
    accessLog.logRequest(
      {
        start_time: isoTime(x.startTime),
        // A request refused before its head was read has no method, path or authority (null).
        method: x.routeReq.method === "" ? undefined : x.routeReq.method,
        path: req.url === "" ? undefined : req.url,
        protocol: x.h2 ? "HTTP/2" : "HTTP/1.1",
        response_code: x.status,
        response_flags: x.flags,
        response_code_details: responseCodeDetails(x),
        error_code: x.errorCode,
        bytes_received: x.bytesReceived,
        bytes_sent: x.bytesSent,
        duration,
        upstream_service_time: x.upstreamServiceTime,
        authority: x.routeReq.authority === "" ? undefined : x.routeReq.authority,
        x_forwarded_for: forwardedFor(x),
        downstream_remote_address:
          x.forwardedClient === undefined
            ? (state?.remoteSocketAddress ?? "")
            : socketAddress(x.forwardedClient, 0),
        downstream_local_address: state?.localSocketAddress,
        user_agent: x.routeReq.headers["user-agent"] as string | undefined,
        request_id: x.requestId ?? (x.routeReq.headers["x-request-id"] as string | undefined),
        requested_server_name: state?.serverName,
        upstream_host: x.upstreamHost,
        upstream_local_address: x.upstreamConnection?.localSocketAddress,
        upstream_transport_failure_reason: x.transportFailureReason,
      },
      this.routeLogFields(x),
    );
  }

  /**
   * The formatted route parts of an exchange's log line, cached per route (or virtual host, or
   * filter chain, when the request got no further) and cluster. Compiled routes belong to one
   * configuration, so the cache empties itself as configurations are replaced.
   */
  private routeLogFields(x: Exchange): RouteLogFragments {
    const owner: object = x.route ?? x.virtualHost ?? x.chain;
    const clusterName = x.cluster?.config.name;
    let byCluster = this.routeFragments.get(owner);
    if (byCluster === undefined) {
      byCluster = new Map();
      this.routeFragments.set(owner, byCluster);
    }
    const key = clusterName ?? "";
    let fragments = byCluster.get(key);
    if (fragments === undefined) {
      fragments = formatRouteFields({
        listener: x.chain.listener.config.name,
        filter_chain: x.chain.config.name,
        route_config: x.chain.routes?.routeConfig.name,
        virtual_host: x.virtualHost?.virtualHost.name,
        route_name: istioRouteName(x),
        upstream_cluster: clusterName,
      });
      byCluster.set(key, fragments);
    }
    return fragments;
  }
}

/**
 * Sends a response that is only its head: on HTTP/2 one HEADERS frame that ends the stream, as
 * gRPC's trailers-only responses must be (node's compatibility response ends the stream with its
 * headers only when they were not sent before `end`); on HTTP/1.1 the head, then the end.
 */
function endWithHead(x: Exchange, status: number, headers: HeaderMap): void {
  const res = x.res;
  if (x.h2) {
    const h2res = res as http2.Http2ServerResponse;
    h2res.statusCode = status;
    for (const name in headers) h2res.setHeader(name, headers[name]!);
    h2res.end();
    return;
  }
  // An HTTP/2 upstream's header-only answer (gRPC's trailers-only ones): `content-length: 0`.
  (res as Http1Response).writeHead(status, headers, true);
  (res as Http1Response).end();
}

/**
 * The headers of an HTTP/2 request when it repeats a name, combined as the HTTP/1.1 codec combines
 * them (request-headers.ts); undefined otherwise, node's own object serving. node:http2 keeps one
 * value of a header it deems single (user-agent, authorization, ...) and joins the others with
 * `, `: a repeated name shows as fewer keys than raw lines, which every other request skips.
 */
function h2RequestHeaders(req: http2.Http2ServerRequest): DownstreamRequest["headers"] | undefined {
  const raw = req.rawHeaders;
  if (raw.length === 2 * Object.keys(req.headers).length) return undefined;
  return requestHeaders(raw);
}

/** The request's body as a stream: node:http2's request is one; the HTTP/1.1 codec's has one. */
function requestBody(req: DownstreamRequest, h2: boolean): Readable {
  return h2 ? (req as http2.Http2ServerRequest) : (req as Http1Request).body;
}

/** Whether a request carries a body (HTTP/1.1: by its framing headers; HTTP/2: unless the stream ended with the headers). */
function requestHasBody(req: DownstreamRequest, h2: boolean): boolean {
  if (h2) return !(req as http2.Http2ServerRequest).stream.endAfterHeaders;
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}
