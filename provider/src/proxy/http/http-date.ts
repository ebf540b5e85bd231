/**
 * The `date` header's value, made once a second: every response the proxy sends carries one, as
 * Envoy's connection manager dates every response that lacks it.
 */
let dateSecond = 0;
let dateText = "";

/** The current `date` header value (RFC 9110 IMF-fixdate). */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
