/**
 * A mirrored (shadow) request: sent to the mirror cluster in the protocol that cluster speaks,
 * its body streamed as the client's arrives, its response read and dropped. Nothing waits for it
 * and nothing it does reaches the client.
 */
import http2 from "node:http2";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { UpstreamProtocol } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import { attemptOutcomeOf, toProxyError } from "../errors";
import type { AttemptOutcome } from "../router/retry-policy";
import type { UpstreamEndpoint } from "../upstream/cluster-manager";

/** How long a shadow request may take before it is given up, in ms. */
const SHADOW_TIMEOUT_MS = 30_000;

function ignore(): void {}

/**
 * What became of a shadow request, told once: the upstream's status (`response`), or a failure
 * (`connect-failure`, `reset`); undefined when it was given up before either (an abandoned body).
 */
export type ShadowDone = (outcome: AttemptOutcome | undefined) => void;

/**
 * Sends one shadow request to `ep`; `body` is the request body as it arrives, if any (destroyed
 * when the mirror is abandoned, which aborts the shadow request; destroyed by it when it fails).
 * `done` is called once, when the shadow request is over.
 */
export function sendShadowRequest(
  ep: UpstreamEndpoint,
  protocol: UpstreamProtocol,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Readable | undefined,
  done: ShadowDone = ignore,
): void {
  // An abandoned body's error belongs to the shadow request alone.
  body?.on("error", ignore);
  if (protocol === "HTTP/2") return sendOverHttp2(ep, method, path, headers, body, done);
  let status: number | undefined;
  let abandoned = false;
  ep.pool
    .request({
      path,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body ?? null,
      headersTimeout: SHADOW_TIMEOUT_MS,
      bodyTimeout: SHADOW_TIMEOUT_MS,
    })
    .then(
      (r) => {
        status = r.statusCode;
        return r.body.dump();
      },
      (err: unknown) => {
        // A body destroyed before the request failed was abandoned: the failure is not the upstream's.
        abandoned = body?.destroyed === true;
        body?.destroy();
        throw err;
      },
    )
    .then(
      () => done({ kind: "response", status: status! }),
      (err: unknown) => {
        if (status !== undefined) return done({ kind: "response", status });
        const failure = attemptOutcomeOf(toProxyError(err));
        // A connect failure is the upstream's even when the body was given up meanwhile.
        done(abandoned && failure.kind !== "connect-failure" ? undefined : failure);
      },
    );
}

function sendOverHttp2(
  ep: UpstreamEndpoint,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Readable | undefined,
  done: ShadowDone,
): void {
  const h2headers: http2.OutgoingHttpHeaders = { ...headers };
  delete h2headers["host"];
  h2headers[":method"] = method;
  h2headers[":path"] = path;
  h2headers[":authority"] = headers["host"];
  h2headers[":scheme"] = ep.tls === undefined ? "http" : "https";
  let stream: http2.ClientHttp2Stream;
  try {
    stream = ep.h2().request(h2headers, { endStream: body === undefined });
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
  body.pipe(stream);
}
