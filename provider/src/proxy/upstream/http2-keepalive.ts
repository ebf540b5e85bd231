/**
 * HTTP/2 PINGs on an upstream session, as Envoy's HTTP/2 codec sends them for a cluster's
 * `http2_protocol_options.connection_keepalive`, to find connections that died without a FIN
 * (a peer that vanished, a middlebox that dropped the flow).
 */
import type http2 from "node:http2";
import type net from "node:net";
import type { Http2KeepaliveSettings } from "../../istio/translate/proxy-config";
import { UpstreamResetError } from "../errors";

/** Envoy's default `interval_jitter`: up to this percentage of the interval is added to each wait. */
export const INTERVAL_JITTER_PERCENT = 15;

/**
 * Sends PINGs on `session` until it closes: the first `intervalMs` (plus jitter) after it
 * connected, each next one `intervalMs` (plus jitter) after the previous one's ACK, so there is
 * never more than one unanswered. A PING unanswered for `timeoutMs` destroys the session: streams
 * in flight fail as resets, and the pool opens a new session for the next request.
 *
 * Envoy extends the wait for the ACK whenever any frame arrives, since a busy connection may queue
 * the ACK behind data; Node.js reports no frames, so bytes read from `socket` (the session's own
 * socket, whose byte count its HTTP/2 parser advances) since the PING or since the last
 * extension extend the wait by another `timeoutMs`. Nothing here runs per request.
 */
export function keepSessionAlive(
  session: http2.ClientHttp2Session,
  socket: net.Socket,
  settings: Http2KeepaliveSettings,
  random: () => number = Math.random,
): void {
  const { intervalMs, timeoutMs } = settings;
  const jitterMs = Math.floor((intervalMs * INTERVAL_JITTER_PERCENT) / 100);
  let sendTimer: NodeJS.Timeout | undefined;
  let ackTimer: NodeJS.Timeout | undefined;
  let bytesAtCheck = 0;
  const schedule = () => {
    sendTimer = setTimeout(send, intervalMs + Math.floor(random() * jitterMs));
    sendTimer.unref();
  };
  const waitForAck = () => {
    bytesAtCheck = socket.bytesRead;
    ackTimer = setTimeout(expired, timeoutMs);
    ackTimer.unref();
  };
  const answered = (err: Error | null) => {
    // An error means the PING was cancelled: the session is closing and "close" cleans up.
    if (err !== null) return;
    clearTimeout(ackTimer);
    ackTimer = undefined;
    schedule();
  };
  const send = () => {
    sendTimer = undefined;
    if (session.destroyed) return;
    try {
      session.ping(answered);
    } catch {
      return;
    }
    waitForAck();
  };
  const expired = () => {
    ackTimer = undefined;
    if (session.destroyed) return;
    if (socket.bytesRead > bytesAtCheck) return waitForAck();
    // Streams in flight fail with this error: a reset, as when Envoy closes the connection.
    session.destroy(new UpstreamResetError("upstream reset: HTTP/2 PING timeout"));
  };
  session.once("close", () => {
    clearTimeout(sendTimer);
    clearTimeout(ackTimer);
  });
  schedule();
}

/** A key for pools: equal settings, equal keys; none is "". */
export function http2KeepaliveKey(settings: Http2KeepaliveSettings | undefined): string {
  return settings === undefined ? "" : `${settings.intervalMs}/${settings.timeoutMs}`;
}
