/**
 * gRPC messages counted as they stream through, for Istio's `istio_request_messages_total` and
 * `istio_response_messages_total`. gRPC frames each message with a 5-byte prefix (a flags byte,
 * then the length as 4 bytes big-endian); as Envoy's grpc_stats filter does (`FrameInspector`),
 * a message counts when the first byte of its prefix passes, so a stream that is cut mid-message
 * has counted it. The bytes are only looked at, never held or copied.
 */
import type { CounterSeries } from "../observability/metric-family";

/** The messages of one direction of one gRPC stream, added to a counter as they start. */
export class GrpcMessageCounter {
  /** How many bytes of the current prefix were read (0: the next byte starts a message). */
  private prefixRead = 0;
  /** The length being read from the prefix. */
  private length = 0;
  /** Bytes of the current message still to pass. */
  private payloadLeft = 0;

  constructor(private readonly counter: CounterSeries) {}

  /** Takes the next bytes of the stream. */
  observe(chunk: Buffer): void {
    let at = 0;
    let started = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.payloadLeft > 0) {
        const skip = Math.min(this.payloadLeft, end - at);
        this.payloadLeft -= skip;
        at += skip;
        continue;
      }
      if (this.prefixRead === 0) started++;
      // Bytes 1 to 4 of the prefix are the length; multiplying keeps a length of 2^31 or more positive.
      else this.length = this.length * 256 + chunk[at]!;
      at++;
      if (++this.prefixRead === 5) {
        this.payloadLeft = this.length;
        this.prefixRead = 0;
        this.length = 0;
      }
    }
    if (started > 0) this.counter.inc(started);
  }
}
