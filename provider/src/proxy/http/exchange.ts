/**
 * One downstream request and what happened to it: the routing and forwarding steps fill it in, and
 * the access log and the metrics read it when the response is over.
 */
import type http2 from "node:http2";
import type { Http1Request } from "../http1/downstream-request";
import type { Http1Response } from "../http1/downstream-response";
import { performance } from "node:perf_hooks";
import type { ChainRuntime, ProxySnapshot } from "../proxy-snapshot";
import type { CompiledHeaderOperations, HeaderMap } from "../router/header-operations";
import type { RouteRequest } from "../router/request";
import type { CompiledRoute, CompiledVirtualHost, CompiledWeightedCluster } from "../router/route-config";
import type { ClusterRuntime } from "../upstream/cluster-manager";
import type { UpstreamConnectionInfo } from "../upstream/http1-connection";
import type { ProxyError } from "../errors";
import type { ConnectionState } from "./connection-state";
import type { GrpcMessageCounter } from "./grpc-messages";
import type { RequestAuth } from "../jwt/request-auth";

/** A downstream request: HTTP/1.1 (the proxy's codec) or HTTP/2 (node:http2's compatibility API). */
export type DownstreamRequest = Http1Request | http2.Http2ServerRequest;
/** A downstream response: HTTP/1.1 (the proxy's codec) or HTTP/2 (node:http2's compatibility API). */
export type DownstreamResponse = Http1Response | http2.Http2ServerResponse;

const EMPTY_OPS: readonly CompiledHeaderOperations[] = [];

/** Flags set on the way to an exchange's outcome: an injected delay, a retry that could not be had. */
const FLAGS_BEFORE_OUTCOME = /^(?:DI|URX|UO)(?:,(?:DI|URX|UO))*$/;

/** Per-request bookkeeping, shared by the routing and forwarding steps and the access log. */
export class Exchange {
  /** When the request started (monotonic, for durations). */
  readonly start = performance.now();
  /** When the request started (wall clock, for the access log). */
  readonly startTime = Date.now();
  /** The status sent downstream, 0 until one is. */
  status = 0;
  /** Envoy's response flags (`-` when none), in the order they were set, as Envoy lists them. */
  flags = "-";
  /**
   * True once a retry was sent: Envoy's local reply for a failure then says "retried and the
   * latest reset reason".
   */
  retried = false;
  /**
   * The `grpc-status` the response carried downstream, as sent: its trailers' when it had any, else
   * its head's. What `grpc_response_status` is made from for a gRPC request.
   */
  grpcStatus: string | readonly string[] | undefined;
  /** Our error code when the proxy answered a failure. */
  errorCode: string | undefined;
  /**
   * Envoy's response code details when the proxy made the response or the upstream cut it
   * (response-code-details.ts); undefined for a response the upstream made.
   */
  details: string | undefined;
  /** Why the upstream connection failed, as Envoy's `%UPSTREAM_TRANSPORT_FAILURE_REASON%`. */
  transportFailureReason: string | undefined;
  /** Request body bytes received. */
  bytesReceived = 0;
  /** Response body bytes sent. */
  bytesSent = 0;
  /** Milliseconds until the upstream's response head arrived. */
  upstreamServiceTime: number | undefined;
  /** The virtual host matched. */
  virtualHost: CompiledVirtualHost | undefined;
  /** The route matched. */
  route: CompiledRoute | undefined;
  /**
   * The destination the route chose, with the cluster it names: chosen when the route matched, as
   * Envoy's connection manager does, so that a request a fault or CORS answers is logged and
   * counted against it too.
   */
  destination: CompiledWeightedCluster | undefined;
  /** The route's cluster (undefined when it does not exist, or the route does not forward). */
  cluster: ClusterRuntime | undefined;
  /**
   * The request's `x-request-id`: made when it is routed, as Envoy's connection manager makes one
   * for every request, and sent upstream (unless a route's header operations set their own).
   */
  requestId: string | undefined;
  /**
   * The request's headers as sent upstream, once the proxy built them: what `%REQ(...)%` reads
   * from then on, as Envoy's formatters read the request after the connection manager changed it.
   */
  forwardedHeaders: HeaderMap | undefined;
  /** `ip:port` of the endpoint of the last attempt. */
  upstreamHost: string | undefined;
  /** The upstream connection of the last attempt, once it had one. */
  upstreamConnection: UpstreamConnectionInfo | undefined;
  /** Response header operations to apply, level by level in the order they apply. */
  responseOps: readonly CompiledHeaderOperations[] = EMPTY_OPS;
  /** CORS headers to add to the response. */
  corsHeaders: readonly (readonly [string, string])[] | undefined;
  /** Told once when the downstream response closes, before the exchange is logged. */
  closeListener: { downstreamClosed(): void } | undefined;
  /**
   * The client's address as told by trusted proxies in front (`x-forwarded-for`, see
   * trusted-client.ts); undefined when the connection's peer is the client.
   */
  forwardedClient: string | undefined;
  /** Counts the gRPC messages of the request body, for a gRPC request that was forwarded. */
  requestMessages: GrpcMessageCounter | undefined;
  /** Counts the gRPC messages of the response body, likewise. */
  responseMessages: GrpcMessageCounter | undefined;
  /**
   * The token RequestAuthentication verified (`request.auth.*`): undefined when the request had
   * none, or no policy applies. Set before the request is routed.
   */
  requestAuth: RequestAuth | undefined;
  /** True once the exchange is over and logged. */
  done = false;

  constructor(
    /** The downstream request. */
    readonly req: DownstreamRequest,
    /** The downstream response. */
    readonly res: DownstreamResponse,
    /** The connection's state (listener, filter chain, TLS facts). */
    readonly state: ConnectionState | undefined,
    /** The filter chain the request is served by. */
    readonly chain: ChainRuntime,
    /** The configuration the request started on (it finishes on it too). */
    readonly snapshot: ProxySnapshot,
    /** The request as the router sees it. */
    readonly routeReq: RouteRequest,
    /** Whether the downstream speaks HTTP/2. */
    readonly h2: boolean,
  ) {}

  /** Sets response flag `flag` after those set before it. */
  addFlag(flag: string): void {
    this.flags = this.flags === "-" ? flag : `${this.flags},${flag}`;
  }

  /**
   * Flags the failure `err` the exchange ends in, after the flags set on the way to it (a delay, a
   * retry the policy could not have), unless the exchange already ended another way.
   */
  flagFailure(err: ProxyError): void {
    if (this.outcomeUnflagged) this.addFlag(err.responseFlag);
  }

  /** Whether no flag says how the exchange ended yet: none is set, or only those set on the way. */
  get outcomeUnflagged(): boolean {
    return this.flags === "-" || FLAGS_BEFORE_OUTCOME.test(this.flags);
  }
}
