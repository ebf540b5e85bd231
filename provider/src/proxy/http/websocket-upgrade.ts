/**
 * A request asking to switch protocols (WebSocket) at the gateway, as Envoy's router serves
 * Istio's one upgrade type: routed like any request, admitted by the cluster's circuit breaker,
 * retried by the route's policy until the client sends more, then tunnelled to the endpoint as
 * raw bytes ({@link UpgradeTunnel}) and logged once when the connection closes.
 */
import http from "node:http";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import type { ForwardAction } from "../../istio/translate/proxy-config";
import {
  attemptOutcomeOf,
  BadTargetError,
  NoClusterError,
  NoHealthyUpstreamError,
  NoRouteError,
  ProxyError,
  UpstreamOverflowError,
} from "../errors";
import type { Http1Request } from "../http1/downstream-request";
import { Http1Response } from "../http1/downstream-response";
import type { ChainRuntime, ProxySnapshot } from "../proxy-snapshot";
import type { FormatterContext } from "../router/header-formatter";
import type { HeaderMap } from "../router/header-operations";
import { applyHeaderOperations } from "../router/header-operations";
import { normalizePath } from "../router/path";
import type { RouteRequest } from "../router/request";
import { splitPathAndQuery } from "../router/request";
import type { AttemptOutcome } from "../router/retry-policy";
import { expectedTimeoutMs, retryBackoffMs, retryPolicyFor } from "../router/retry-policy";
import { rewriteAuthority, rewritePath, rewritesPath } from "../router/rewrite";
import { routeRequest } from "../router/route-match";
import { authorizeHttp } from "../rbac/http-authorization";
import type { JwtAuthnHost } from "./jwt-authn-step";
import { runJwtAuthn } from "./jwt-authn-step";
import { pickWeightedCluster } from "../router/weighted-cluster";
import { BreakerSlot } from "../upstream/circuit-breaker";
import type { UpstreamEndpoint } from "../upstream/cluster-manager";
import type { ConnectionState } from "./connection-state";
import { connectionStateOf } from "./connection-state";
import { Exchange } from "./exchange";
import { endpointForAuthority } from "./forward";
import { forwardedRequestOf } from "./forwarded-request";
import { setAttemptHeaders, upstreamRequestHeaders } from "./headers";
import type { HcmContext } from "./http-connection-manager";
import { errorReply } from "./local-reply";
import { requestId } from "./request-id";
import { appendSetCookie, routeHash } from "./request-hash";
import { SERVER_NAME, serializeResponseHead } from "./response-head";
import { admitRetry } from "./retry-admission";
import { clientFromForwardedFor, trustedScheme } from "./trusted-client";
import { UpgradeTunnel } from "./upgrade-tunnel";

/** What the upgrade uses of the connection manager that received it. */
export interface UpgradeHost {
  /** The filter chain serving the connection's next request, and its configuration. */
  resolveChain(
    state: ConnectionState | undefined,
  ): { chain: ChainRuntime; snapshot: ProxySnapshot } | undefined;
  /** What header formatters (`%DOWNSTREAM_REMOTE_ADDRESS%`, ...) read of the exchange. */
  formatterContext(x: Exchange): FormatterContext;
  /** The headers of a response going downstream, after the route's operations, CORS and drain. */
  responseHeaders(x: Exchange, status: number, headers: HeaderMap): HeaderMap;
  /** Counts the exchange in the metrics and writes its access-log line. */
  record(x: Exchange, durationMs: number): void;
}

const BAD_TARGET = new BadTargetError();
const NO_ROUTE = new NoRouteError();
const NO_CLUSTER = new NoClusterError();
const UPGRADE_FAILED = new ProxyError("IGW_ERR_UPGRADE_FAILED", "upgrade failed: only websocket is allowed");

/** The owner of the exchange's response object, which is never written: the head goes to the socket. */
const NO_OWNER = { responseDone: () => {} };

/** The socket's error listener: its failures end the tunnel through its close. */
function ignore(): void {}

/**
 * Handles a request asking for a protocol upgrade (WebSocket): routed like any request, then
 * the connection is tunnelled to the endpoint as raw bytes ({@link UpgradeTunnel}). The
 * upstream's answer gets the route's response header operations, and the exchange is logged
 * and counted once when the connection closes, with the bytes tunnelled each way. Until then
 * the connection is work in flight, as Envoy counts an upgraded stream: a drain lets it run
 * until it closes or the drain deadline passes.
 */
export function serveUpgrade(
  host: UpgradeHost,
  ctx: HcmContext,
  req: Http1Request,
  socket: Duplex,
  head: Buffer,
): void {
  socket.on("error", ignore);
  const state = connectionStateOf(req.socket);
  const resolved = host.resolveChain(state);
  if (resolved === undefined || resolved.chain.routes === undefined) {
    socket.end(
      serializeResponseHead(503, "Service Unavailable", {
        "x-igw-error-code": "IGW_ERR_NO_HEALTHY_UPSTREAM",
        "content-length": "0",
        connection: "close",
        server: SERVER_NAME,
      }),
    );
    return;
  }
  if (socket.destroyed) return;
  ctx.requestStarted();
  socket.once("close", () => ctx.requestEnded());
  const { chain, snapshot } = resolved;
  const trusted = ctx.numTrustedProxies;
  const scheme = trustedScheme(req.headers, trusted, chain.config.httpConnectionManager?.scheme ?? "http");
  const { path: rawPath, query } = splitPathAndQuery(req.url ?? "/");
  const path = normalizePath(rawPath);
  const routeReq: RouteRequest = {
    method: req.method ?? "GET",
    path: path ?? rawPath,
    query,
    headers: req.headers as RouteRequest["headers"],
    scheme,
    authority: req.headers.host ?? "",
    port: chain.listener.config.port,
  };
  // The exchange's response object is never written: the head goes to the socket directly.
  const x = new Exchange(
    req,
    new Http1Response(req.socket, NO_OWNER, false, false),
    state,
    chain,
    snapshot,
    routeReq,
    false,
  );
  x.forwardedClient = clientFromForwardedFor(req.headers, trusted);
  x.requestId = requestId();
  if (path === undefined) return upgradeFailed(host, x, socket, BAD_TARGET);
  const decision = routeRequest(chain.routes!, routeReq);
  if (decision.kind === "matched" || decision.kind === "no-route" || decision.kind === "require-tls") {
    x.virtualHost = decision.virtualHost;
  }
  // Istio's gateways let only WebSocket upgrade (its connection manager's one upgrade type); an
  // `h2c` upgrade never gets here, the codec serves it as HTTP/1.1.
  if (!isWebSocketUpgrade(req.headers.upgrade)) return upgradeFailed(host, x, socket, UPGRADE_FAILED);
  // RequestAuthentication then AuthorizationPolicy, as on any request: after the upgrade type, which
  // Envoy's connection manager checks before its filters run.
  const authorized = (): void => {
    const rbac = snapshot.httpRbac;
    const denied = rbac === undefined ? undefined : authorizeHttp(rbac, x);
    if (denied !== undefined) return upgradeFailed(host, x, socket, denied);
    tunnelUpgrade(host, ctx, x, socket, head, decision, scheme, query);
  };
  const jwtAuthn = snapshot.jwtAuthn;
  if (jwtAuthn === undefined) return authorized();
  runJwtAuthn(jwtAuthn, x, upgradeReplies(host, socket), () => {
    if (!socket.destroyed) authorized();
  });
}

/** Routes an upgrade the connection manager accepted, and tunnels it to the route's cluster. */
function tunnelUpgrade(
  host: UpgradeHost,
  ctx: HcmContext,
  x: Exchange,
  socket: Duplex,
  head: Buffer,
  decision: ReturnType<typeof routeRequest>,
  scheme: string,
  query: string,
): void {
  const req = x.req as Http1Request;
  const { routeReq, snapshot } = x;
  if (decision.kind !== "matched" || decision.route.route.action.kind !== "route") {
    return upgradeFailed(host, x, socket, NO_ROUTE);
  }
  const route = decision.route;
  x.route = route;
  x.responseOps = [route.responseHeaders];
  const wc = pickWeightedCluster(route);
  if (wc === undefined) return upgradeFailed(host, x, socket, new NoHealthyUpstreamError());
  const cluster = snapshot.clusters.get(wc.cluster.cluster);
  if (cluster === undefined) return upgradeFailed(host, x, socket, NO_CLUSTER);
  x.cluster = cluster;
  x.responseOps = wc.responseLevels;
  // The upgrade is a request to the cluster like any other: its circuit breaker admits it (and
  // holds the slot until the tunnel closes), a ring-hash cluster picks the endpoint by the
  // route's hash policies, and the answer or the failure feeds outlier detection.
  const breaker = cluster.breaker;
  const outlier = cluster.outlier;
  const action = route.route.action as ForwardAction;
  const hashed = cluster.config.ringHash === undefined ? undefined : routeHash(action.hashPolicy ?? [], x);
  const slot = breaker === undefined ? undefined : new BreakerSlot(breaker, () => open());
  const releaseSlot = (): void => slot?.release();
  // An upgrade is retried as any request is (Envoy's router treats it as one), on a failure before
  // the upstream answered or on an answer the policy retries (a 503 under Istio's default):
  // to another endpoint, after the policy's backoff, with the bytes that came with its head. Not
  // once the client has sent more to the upstream it leaves.
  const retry = action.retries === undefined ? undefined : retryPolicyFor(action.retries);
  let attempt = 0;
  let tried: UpstreamEndpoint[] | undefined;
  const open = (): void => {
    if (socket.destroyed) return releaseSlot();
    const ep = cluster.pick(hashed?.hash, tried);
    if (ep === undefined) {
      releaseSlot();
      return upgradeFailed(host, x, socket, new NoHealthyUpstreamError());
    }
    attempt++;
    x.upstreamHost = ep.hostPort;
    x.upstreamConnection = undefined;
    x.forwardedHeaders = upstreamRequestHeaders(
      req.headers as RouteRequest["headers"],
      forwardedRequestOf(x, ctx.forwardClientCertDetails, scheme, false),
    );
    const headers = applyHeaderOperations(x.forwardedHeaders, wc.requestLevels, host.formatterContext(x));
    x.forwardedHeaders = headers;
    const upgrade = req.headers.upgrade;
    const connection = req.headers.connection;
    headers["host"] = rewriteAuthority(route, wc) ?? routeReq.authority;
    if (rewritesPath(route)) {
      headers["x-envoy-original-path"] = query === "" ? routeReq.path : `${routeReq.path}?${query}`;
    }
    setAttemptHeaders(headers, attempt, expectedTimeoutMs(action.timeoutMs, undefined, 0), false);
    const conn = endpointForAuthority(ep, headers["host"], x.state);
    let text = `${routeReq.method} ${rewritePath(route, routeReq.path)}${query === "" ? "" : "?" + query} HTTP/1.1\r\n`;
    for (const k in headers) {
      const v = headers[k]!;
      for (const value of typeof v === "string" ? [v] : v) text += `${k}: ${value}\r\n`;
    }
    if (upgrade !== undefined) text += `upgrade: ${upgrade}\r\n`;
    if (connection !== undefined) text += `connection: ${connection}\r\n`;
    /** Whether the client's upgrade can still go to another endpoint. */
    const mayRetry = (): boolean => !tunnel.clientSent && !socket.destroyed;
    /** Leaves this attempt's upstream and opens another after the policy's backoff. */
    const retryLater = (): void => {
      tunnel.release();
      if (retry!.previousHosts) (tried ??= []).push(ep);
      // A client that leaves during the backoff ends the exchange there.
      const left = (): void => {
        clearTimeout(backoff);
        breaker?.retryDone();
        releaseSlot();
        x.addFlag("DC");
        host.record(x, performance.now() - x.start);
      };
      const backoff = setTimeout(
        () => {
          socket.removeListener("close", left);
          breaker?.retryDone();
          x.retried = true;
          open();
        },
        retryBackoffMs(retry!, attempt - 1),
      );
      socket.once("close", left);
    };
    const tunnel: UpgradeTunnel = new UpgradeTunnel(
      socket,
      conn,
      cluster.config.connectTimeoutMs,
      Buffer.from(text + "\r\n", "latin1"),
      head,
      {
        responseHead: (response) => {
          const outcome: AttemptOutcome = { kind: "response", status: response.status };
          outlier?.observe(ep, outcome);
          if (response.status !== 101 && mayRetry() && admitRetry(retry, outcome, attempt, x, breaker)) {
            retryLater();
            return undefined;
          }
          x.status = response.status;
          x.upstreamServiceTime = Math.round(performance.now() - x.start);
          const out = host.responseHeaders(x, response.status, response.headers);
          for (const cookie of hashed?.setCookies ?? []) appendSetCookie(out, cookie);
          return serializeResponseHead(response.status, response.reason, out);
        },
        failed: (err) => {
          const outcome = attemptOutcomeOf(err);
          outlier?.observe(ep, outcome);
          if (mayRetry() && admitRetry(retry, outcome, attempt, x, breaker)) return retryLater();
          releaseSlot();
          upgradeFailed(host, x, socket, err, false);
        },
        closed: () => {
          releaseSlot();
          x.bytesReceived = head.length + tunnel.bytesReceived;
          x.bytesSent += tunnel.bytesSent;
          if (tunnel.upstreamReset && x.flags === "-") x.flags = "UC";
          host.record(x, performance.now() - x.start);
        },
      },
    );
    x.upstreamConnection = tunnel;
  };
  if (slot === undefined) return open();
  const admission = slot.admit(true);
  if (admission === "overflow") return upgradeFailed(host, x, socket, new UpstreamOverflowError());
  // Waiting for a connection: a client that leaves gives its place up (releasing twice is harmless).
  socket.once("close", releaseSlot);
  if (admission === "go") open();
}

/**
 * How the JWT step answers on an upgrade's socket: its reply written as the head and body of an
 * HTTP/1.1 response that closes the connection, logged when the connection closes.
 */
function upgradeReplies(host: UpgradeHost, socket: Duplex): JwtAuthnHost {
  return {
    replyLocal(x, status, headers, body) {
      x.status = status;
      x.bytesSent = Buffer.byteLength(body);
      headers["connection"] = "close";
      const out = host.responseHeaders(x, status, headers);
      if (socket.destroyed) return host.record(x, performance.now() - x.start);
      socket.once("close", () => host.record(x, performance.now() - x.start));
      socket.end(
        Buffer.concat([
          serializeResponseHead(status, http.STATUS_CODES[status] ?? "Unknown", out),
          Buffer.from(body),
        ]),
      );
    },
    replyError: (x, err) => upgradeFailed(host, x, socket, err),
  };
}

/**
 * Answers an upgrade request the proxy could not tunnel (with the route's response header
 * operations, as other local replies), then logs it when the connection closes.
 */
function upgradeFailed(
  host: UpgradeHost,
  x: Exchange,
  socket: Duplex,
  err: ProxyError,
  logOnClose = true,
): void {
  x.errorCode = err.code;
  x.flagFailure(err);
  x.status = err.status;
  const reply = errorReply(err, x.retried);
  x.details = reply.details;
  x.transportFailureReason = reply.transportFailureReason;
  reply.headers["connection"] = "close";
  const headers = host.responseHeaders(x, err.status, reply.headers);
  x.bytesSent = Buffer.byteLength(reply.body);
  if (logOnClose) {
    if (socket.destroyed) host.record(x, performance.now() - x.start);
    else socket.once("close", () => host.record(x, performance.now() - x.start));
  }
  socket.end(
    Buffer.concat([
      serializeResponseHead(err.status, http.STATUS_CODES[err.status] ?? "Unknown", headers),
      Buffer.from(reply.body),
    ]),
  );
}

/** Whether an `Upgrade` header asks for WebSocket (the upgrade type compared case-insensitively, as Envoy does). */
function isWebSocketUpgrade(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === "websocket";
}
