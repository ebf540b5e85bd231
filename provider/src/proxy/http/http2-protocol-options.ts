/**
 * Envoy's HTTP/2 protocol options as Istio leaves them at a gateway. Istio gives the gateway's
 * connection manager none (only the opt-in `EDGE` profile of its connection settings sets
 * `http2_protocol_options`) and its HTTP/2 clusters an empty set, so Envoy's defaults are what
 * peers see in its SETTINGS on both sides: no limit on concurrent streams worth the name, and
 * 256 MiB windows for each stream and for the connection, the latter raised by a WINDOW_UPDATE
 * right after the SETTINGS frame. As a client Envoy also turns server push off.
 */
import type http2 from "node:http2";

/** Envoy's default `max_concurrent_streams`: 2^31 - 1, the most HTTP/2 allows a peer. */
export const MAX_CONCURRENT_STREAMS = 2 ** 31 - 1;

/** Envoy's default `initial_stream_window_size`: 256 MiB, where HTTP/2 starts at 64 KiB - 1. */
export const INITIAL_STREAM_WINDOW_SIZE = 256 * 1024 * 1024;

/** Envoy's default `initial_connection_window_size`: the stream window's 256 MiB. */
export const INITIAL_CONNECTION_WINDOW_SIZE = 256 * 1024 * 1024;

/**
 * The settings a downstream HTTP/2 connection starts with. `maxHeaderListSize` is the proxy's
 * header limit, enforced by node:http2 through the setting it announces.
 */
export function http2ServerSettings(maxHeaderListSize: number): http2.Settings {
  return {
    maxHeaderListSize,
    maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
    initialWindowSize: INITIAL_STREAM_WINDOW_SIZE,
  };
}

/**
 * The settings an upstream HTTP/2 connection starts with. `maxConcurrentStreams` is a
 * DestinationRule's `connectionPool.http.maxConcurrentStreams` (0: unset), which Istio writes into
 * the cluster's `http2_protocol_options`, where Envoy announces it too.
 */
export function http2ClientSettings(maxConcurrentStreams: number): http2.Settings {
  return {
    enablePush: false,
    maxConcurrentStreams: maxConcurrentStreams > 0 ? maxConcurrentStreams : MAX_CONCURRENT_STREAMS,
    initialWindowSize: INITIAL_STREAM_WINDOW_SIZE,
  };
}

/** Opens a new session's connection window to Envoy's size (node:http2 leaves HTTP/2's 64 KiB - 1). */
export function openConnectionWindow(session: http2.Http2Session): void {
  if (!session.destroyed) session.setLocalWindowSize(INITIAL_CONNECTION_WINDOW_SIZE);
}
