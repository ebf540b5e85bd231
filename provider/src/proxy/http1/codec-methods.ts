/**
 * The request methods Envoy's HTTP/1.1 codec accepts. Its parser (Balsa, Envoy's default) knows a
 * fixed list and refuses any other method as a parse error (400, `http1.codec_error`) unless
 * `allow_custom_methods` is set, which Istio's gateways leave off. llhttp, which reads requests
 * here, knows two more, `M-SEARCH` and `QUERY`: the proxy refuses them as Envoy does. (Envoy's list
 * spells the first `MSEARCH`, which llhttp refuses before the proxy sees it.) HTTP/2 has no such
 * list: any method there is forwarded.
 */

/** Balsa's list, as Envoy's `BalsaParser` checks it (exact, case-sensitive). */
const CODEC_METHODS: ReadonlySet<string> = new Set([
  "ACL",
  "BIND",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "GET",
  "HEAD",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MOVE",
  "MSEARCH",
  "NOTIFY",
  "OPTIONS",
  "PATCH",
  "POST",
  "PROPFIND",
  "PROPPATCH",
  "PURGE",
  "PUT",
  "REBIND",
  "REPORT",
  "SEARCH",
  "SOURCE",
  "SUBSCRIBE",
  "TRACE",
  "UNBIND",
  "UNLINK",
  "UNLOCK",
  "UNSUBSCRIBE",
]);

/** Whether Envoy's HTTP/1.1 codec accepts a request with `method`. */
export function isCodecMethod(method: string): boolean {
  return CODEC_METHODS.has(method);
}
