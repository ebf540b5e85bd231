/**
 * The HTTP/2 protocol options of the gateway's connections, both sides. Istio gives the gateway's
 * connection manager none (only the opt-in `EDGE` profile of its connection settings sets
 * `http2_protocol_options`) and its HTTP/2 clusters an empty set, so Envoy announces its defaults:
 * no limit on concurrent streams worth the name and, as a client, server push off. These the proxy
 * announces too.
 *
 * Not Envoy's default windows: 256 MiB for each stream and for the connection would let a peer put
 * 256 MiB of a body into the proxy before backpressure reaches it, where the proxy streams bodies
 * and never holds one whole. The proxy takes the windows Envoy's own guidance for an edge proxy
 * gives (and Istio's `EDGE` profile sets): 64 KiB a stream and 1 MiB a connection, the latter
 * opened by a WINDOW_UPDATE right after the SETTINGS frame.
 */
import type http2 from "node:http2";

/** Envoy's default `max_concurrent_streams`: 2^31 - 1, the most HTTP/2 allows a peer. */
export const MAX_CONCURRENT_STREAMS = 2 ** 31 - 1;

/** `initial_stream_window_size` of Envoy's edge guidance: 64 KiB, where HTTP/2 starts at 64 KiB - 1. */
export const INITIAL_STREAM_WINDOW_SIZE = 64 * 1024;

/** `initial_connection_window_size` of Envoy's edge guidance: 1 MiB. */
export const INITIAL_CONNECTION_WINDOW_SIZE = 1024 * 1024;

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

/** Opens a new session's connection window to 1 MiB (node:http2 leaves HTTP/2's 64 KiB - 1). */
export function openConnectionWindow(session: http2.Http2Session): void {
  if (!session.destroyed) session.setLocalWindowSize(INITIAL_CONNECTION_WINDOW_SIZE);
}
