/**
 * A mirrored (shadow) request: sent to the mirror cluster in the protocol that cluster speaks,
 * its response read and dropped. Nothing waits for it and nothing it does reaches the client.
 */
import type http2 from "node:http2";
import type { Dispatcher } from "undici";
import type { UpstreamProtocol } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import type { UpstreamEndpoint } from "../upstream/cluster-manager";

/** How long a shadow request may take before it is given up, in ms. */
const SHADOW_TIMEOUT_MS = 30_000;

function ignore(): void {}

/** Sends one shadow request to `ep`; `body` is the whole request body, if any. */
export function sendShadowRequest(
  ep: UpstreamEndpoint,
  protocol: UpstreamProtocol,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Buffer | undefined,
): void {
  if (protocol === "HTTP/2") return sendOverHttp2(ep, method, path, headers, body);
  ep.pool
    .request({
      path,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body ?? null,
      headersTimeout: SHADOW_TIMEOUT_MS,
      bodyTimeout: SHADOW_TIMEOUT_MS,
    })
    .then((r) => r.body.dump(), ignore)
    .catch(ignore);
}

function sendOverHttp2(
  ep: UpstreamEndpoint,
  method: string,
  path: string,
  headers: HeaderMap,
  body: Buffer | undefined,
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
    return;
  }
  stream.on("error", ignore);
  stream.setTimeout(SHADOW_TIMEOUT_MS, () => stream.close());
  stream.resume();
  if (body !== undefined) stream.end(body);
}
