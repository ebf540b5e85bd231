/**
 * A mirrored (shadow) request: sent to the mirror cluster in the protocol that cluster speaks,
 * its body streamed as the client's arrives, its response read and dropped. Nothing waits for it
 * and nothing it does reaches the client.
 */
import http2 from "node:http2";
import type { Readable } from "node:stream";
import type { UpstreamProtocol } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import { UpstreamTimeoutError, attemptOutcomeOf, toProxyError } from "../errors";
import type { AttemptOutcome } from "../router/retry-policy";
import type { UpstreamEndpoint } from "../upstream/cluster-manager";
import type { Http1Handler } from "../upstream/http1-pool";
import { http2RequestHead } from "../upstream/http2-request-head";

/** How long a shadow request may take before it is given up, in ms. */
const SHADOW_TIMEOUT_MS = 30_000;

function ignore(): void {}

/**
 * What became of a shadow request, told once: the upstream's status (`response`), or a failure
 * (`connect-failure`, `reset`); undefined when it was given up before either (an abandoned body).
 */
export type ShadowDone = (outcome: AttemptOutcome | undefined) => void;

/**
 * The trailers that end a request body, read once the body has ended: an HTTP/2 client's, which
 * Envoy's router copies to each shadow as to the main request.
 */
export type RequestTrailers = () => http2.OutgoingHttpHeaders;

/**
 * Sends one shadow request to `ep`; `body` is the request body as it arrives, if any (destroyed
 * when the mirror is abandoned, which aborts the shadow request; destroyed by it when it fails),
 * and `trailers` those that end it, if the client could send any (an HTTP/1.1 shadow drops them,
 * as Envoy's HTTP/1.1 codec does without `enable_trailers`). `done` is called once, when the
 * shadow request is over.
 */
export function sendShadowRequest(
  ep: UpstreamEndpoint,
  protocol: UpstreamProtocol,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Readable | undefined,
  done: ShadowDone = ignore,
  trailers?: RequestTrailers,
): void {
  // An abandoned body's error belongs to the shadow request alone.
  body?.on("error", ignore);
  if (protocol === "HTTP/2") return sendOverHttp2(ep, method, path, headers, body, done, trailers);
  const shadow = new ShadowExchange(body, done);
  try {
    ep.pool.dispatch({ path, method, headers, body: body ?? null }, shadow);
  } catch {
    body?.destroy();
    done({ kind: "connect-failure" });
  }
}

/**
 * One HTTP/1.1 shadow request: its response is read and dropped, and it is given up after
 * {@link SHADOW_TIMEOUT_MS}.
 */
class ShadowExchange implements Http1Handler {
  private status: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly body: Readable | undefined,
    private readonly done: ShadowDone,
  ) {}

  onConnect(abort: (err: Error) => void): void {
    this.timer = setTimeout(() => abort(new UpstreamTimeoutError()), SHADOW_TIMEOUT_MS);
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    clearTimeout(this.timer);
    this.done({ kind: "response", status: this.status! });
  }

  onError(err: Error): void {
    clearTimeout(this.timer);
    const status = this.status;
    if (status !== undefined) return this.done({ kind: "response", status });
    const body = this.body;
    // A body destroyed before the request failed was abandoned: the failure is not the upstream's.
    const abandoned = body?.destroyed === true;
    body?.destroy();
    const failure = attemptOutcomeOf(toProxyError(err));
    // A connect failure is the upstream's even when the body was given up meanwhile.
    this.done(abandoned && failure.kind !== "connect-failure" ? undefined : failure);
  }
}

function sendOverHttp2(
  ep: UpstreamEndpoint,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Readable | undefined,
  done: ShadowDone,
  trailers: RequestTrailers | undefined,
): void {
  const h2headers = http2RequestHead(method, path, headers, ep.tls === undefined ? "http" : "https");
  const withTrailers = body !== undefined && trailers !== undefined;
  let stream: http2.ClientHttp2Stream;
  try {
    stream = ep.h2.request(h2headers, { endStream: body === undefined, waitForTrailers: withTrailers });
  } catch {
    body?.destroy();
    return done({ kind: "connect-failure" });
  }
  let status: number | undefined;
  let abandoned = false;
  stream.once("response", (h) => (status = Number(h[":status"])));
  stream.once("close", () =>
    done(
      status !== undefined
        ? { kind: "response", status }
        : abandoned
          ? undefined
          : { kind: "reset", beforeRequest: false },
    ),
  );
  stream.on("error", ignore);
  stream.setTimeout(SHADOW_TIMEOUT_MS, () => stream.close());
  stream.resume();
  if (body === undefined) return;
  // An abandoned body cancels the stream rather than ending it: the mirror never sees a cut body
  // as a whole one. A stream that closes first releases the body.
  body.once("error", () => {
    abandoned = true;
    stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.once("close", () => body.destroy());
  if (withTrailers) stream.once("wantTrailers", () => stream.sendTrailers(trailers()));
  body.pipe(stream);
}
