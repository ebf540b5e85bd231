/**
 * Opaque forwarding (Envoy's `tcp_proxy`): connects to an endpoint of the chosen cluster and pipes
 * bytes both ways with backpressure. Used for TCP servers, TLS passthrough (the ClientHello bytes
 * already read are replayed first) and TLS terminated to TCP. How each connect went feeds the
 * cluster's outlier detection, as `tcp_proxy` does in Envoy (bytes above TCP are not judged).
 */
import type { Duplex } from "node:stream";
import type { TcpProxySettings } from "../../istio/translate/proxy-config";
import { DEFAULT_TCP_IDLE_TIMEOUT_MS } from "../../istio/translate/traffic-policy";
import type { AccessLog } from "../observability/access-log";
import type { ClusterRuntime } from "../upstream/cluster-manager";
import { connectEndpoint } from "../upstream/endpoint-socket";
import { proxyProtocolHeader } from "../upstream/proxy-protocol-encoder";
import type { DownstreamAddresses } from "../listener/downstream-addresses";
import { transportFailureReason } from "../upstream/transport-failure";
import { socketAddress } from "../socket-address";

/**
 * The flags of a connect that fails or times out: Envoy's `UF`, then `URX`, since its TCP proxy
 * makes one attempt (`max_connect_attempts`, which Istio leaves at 1) and flags the limit reached.
 */
const CONNECT_FAILED = "UF,URX";

/** Where a connection came in and what it matched, for the access log. */
export interface TcpConnectionInfo {
  /** Listener name. */
  readonly listener: string;
  /** Filter chain name. */
  readonly filterChain: string;
  /** SNI, when there was a ClientHello. */
  readonly serverName?: string;
  /**
   * The connection's addresses (those a downstream PROXY protocol header restored, if any): what
   * an upstream PROXY protocol header carries.
   */
  readonly downstream: DownstreamAddresses;
  /** Client address. */
  readonly remoteAddress: string;
  /** The address the client connected to. */
  readonly localAddress: string;
}

/** Envoy's `tcp_proxy` limits when the rule's first destination sets none: idle for an hour. */
const DEFAULT_LIMITS: TcpProxySettings = {
  idleTimeoutMs: DEFAULT_TCP_IDLE_TIMEOUT_MS,
  maxConnectionDurationMs: 0,
};

/**
 * Forwards `downstream` to `cluster`; `head` holds bytes already read from the client. `cluster`
 * is undefined when no route matched, null when the route's cluster does not exist. `hash` is the
 * connection's hash under its TCP proxy's hash policy, which a ring-hash cluster picks by, and
 * `limits` its idle timeout and duration limit (Envoy's defaults when undefined).
 */
export function proxyTcp(
  downstream: Duplex,
  head: Buffer | undefined,
  cluster: ClusterRuntime | null | undefined,
  hash: number | undefined,
  limits: TcpProxySettings | undefined,
  info: TcpConnectionInfo,
  accessLog: AccessLog,
  onClose?: () => void,
): void {
  const start = Date.now();
  const startTime = new Date(start).toISOString();
  let flags = "-";
  let upstreamHost: string | undefined = undefined;
  /** The proxy's own address on the upstream connection, once connected. */
  let upstreamLocal: string | undefined = undefined;
  /** Why the connect failed, as Envoy's tcp_proxy logs it from its pool's failure. */
  let transportFailure: string | undefined = undefined;
  let sent = 0;
  let received = head?.length ?? 0;
  let finished = false;
  const stats = cluster?.tcpStats;
  stats?.opened();
  /** Set while the connection holds a slot of the cluster's circuit breaker. */
  let breaker = cluster?.breaker;
  let limitTimer: NodeJS.Timeout | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    breaker?.connectionClosed();
    if (limitTimer !== undefined) clearTimeout(limitTimer);
    stats?.closed(flags, sent, received);
    accessLog.log({
      start_time: startTime,
      // Envoy's %PROTOCOL% is an HTTP version: a connection has none.
      response_code: 0,
      response_flags: flags,
      bytes_received: received,
      bytes_sent: sent,
      duration: Date.now() - start,
      downstream_remote_address: info.remoteAddress,
      downstream_local_address: info.localAddress,
      requested_server_name: info.serverName,
      listener: info.listener,
      filter_chain: info.filterChain,
      upstream_cluster: cluster?.config.name,
      upstream_host: upstreamHost,
      upstream_local_address: upstreamLocal,
      upstream_transport_failure_reason: transportFailure,
    });
    onClose?.();
  };
  downstream.on("error", () => {});
  downstream.once("close", finish);
  // Half-close travels through, as in Envoy's tcp_proxy: a client that shuts down its sending side
  // after its request (`nc -N`, a request/response protocol) still gets the answer, because the
  // end of its stream is passed upstream instead of closing the connection both ways.
  downstream.allowHalfOpen = true;
  const endpoint = cluster?.pick(hash);
  if (cluster === undefined || cluster === null || endpoint === undefined) {
    flags = cluster === undefined ? "NR" : cluster === null ? "NC" : "UH";
    downstream.destroy();
    return;
  }
  if (breaker !== undefined && !breaker.tryConnection()) {
    breaker = undefined;
    flags = "UO";
    downstream.destroy();
    return;
  }
  upstreamHost = endpoint.hostPort;
  // As Envoy's tcp_proxy hands its upstream transport socket the downstream connection's addresses.
  const proxyProtocol = cluster.config.proxyProtocol;
  const upstream = connectEndpoint(
    proxyProtocol === undefined
      ? endpoint
      : {
          ip: endpoint.ip,
          port: endpoint.port,
          tls: endpoint.tls,
          tcpKeepalive: endpoint.tcpKeepalive,
          proxyProtocolHeader: proxyProtocolHeader(proxyProtocol, info.downstream),
        },
  );
  upstream.allowHalfOpen = true;
  const { idleTimeoutMs, maxConnectionDurationMs } = limits ?? DEFAULT_LIMITS;
  // Every byte either way crosses the upstream socket, so its inactivity is the connection's.
  if (idleTimeoutMs > 0) upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
  if (maxConnectionDurationMs > 0) {
    limitTimer = setTimeout(() => {
      flags = "DT";
      upstream.destroy();
      downstream.destroy();
    }, maxConnectionDurationMs);
  }
  let connected = false;
  const outlier = cluster.outlier;
  const connectTimer = setTimeout(() => {
    flags = CONNECT_FAILED;
    outlier?.observeConnect(endpoint, "timeout");
    upstream.destroy();
    downstream.destroy();
  }, cluster.config.connectTimeoutMs);
  upstream.once(endpoint.tls === undefined ? "connect" : "secureConnect", () => {
    connected = true;
    upstreamLocal = socketAddress(upstream.localAddress, upstream.localPort);
    clearTimeout(connectTimer);
    outlier?.observeConnect(endpoint, "success");
    if (head !== undefined && head.length > 0) upstream.write(head);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  downstream.on("data", (d: Buffer) => {
    received += d.length;
  });
  upstream.on("data", (d: Buffer) => {
    sent += d.length;
  });
  upstream.on("error", (err: NodeJS.ErrnoException) => {
    if (!connected) {
      flags = CONNECT_FAILED;
      transportFailure = transportFailureReason(err.code);
      outlier?.observeConnect(endpoint, "failure");
    } else if (flags === "-") flags = "UC";
  });
  upstream.once("close", () => {
    clearTimeout(connectTimer);
    if (!connected) downstream.destroy();
    else downstream.end();
  });
  downstream.once("close", () => upstream.destroy());
  if (!connected) downstream.pause();
}

/**
 * Closes a connection the network RBAC filter denied, before any upstream is connected, and logs
 * it as Envoy does: no response flag, the denial in `connection_termination_details`.
 */
export function closeDenied(
  downstream: Duplex,
  details: string,
  info: TcpConnectionInfo,
  accessLog: AccessLog,
): void {
  const start = Date.now();
  downstream.on("error", () => {});
  downstream.destroy();
  accessLog.log({
    start_time: new Date(start).toISOString(),
    response_code: 0,
    response_flags: "-",
    connection_termination_details: details,
    bytes_received: 0,
    bytes_sent: 0,
    duration: 0,
    downstream_remote_address: info.remoteAddress,
    downstream_local_address: info.localAddress,
    requested_server_name: info.serverName,
    listener: info.listener,
    filter_chain: info.filterChain,
  });
}
