/**
 * The `Referer` check of Envoy's connection manager, which sanitizes it on every request before
 * routing: a request with several `Referer` headers, or one whose value is neither an absolute URL
 * without credentials and fragment nor a relative reference, loses the header, so that neither
 * the routes nor the upstream see a value a browser would never send.
 */

/** An absolute URL as Envoy's URL parser takes it: scheme, `//`, a host, then anything visible. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)([\x21-\x7e]*)$/;

/** RFC 3986's query and fragment characters (pchar, `/` and `?`), which a relative reference is made of. */
const REFERENCE_CHARS = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*$/;

/** Whether `value` is a `Referer` Envoy keeps (its `isValidRefererValue`). */
export function isValidReferer(value: string): boolean {
  const absolute = ABSOLUTE.exec(value);
  if (absolute !== null) {
    const authority = absolute[1]!;
    return authority !== "" && !authority.includes("@") && !value.includes("#");
  }
  if (!REFERENCE_CHARS.test(value)) return false;
  // The first segment of a relative reference cannot hold a colon (it would read as a scheme).
  const colon = value.indexOf(":");
  return colon === -1 || value.lastIndexOf("/", colon) !== -1;
}
