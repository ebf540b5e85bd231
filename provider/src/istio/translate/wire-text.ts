/**
 * What text an HTTP/1.1 message can carry, as the gateway proxy writes it (byte for byte, as
 * Latin-1). Translation warns about configuration the proxy would have to refuse, and the proxy
 * refuses it, by the same two rules.
 */

/** Anything but tab, visible ASCII and the rest of Latin-1: controls, DEL, beyond U+00FF. */
const NOT_HEADER_VALUE_TEXT = /[^\t\x20-\x7e\x80-\xff]/;
/** Anything but visible ASCII and the rest of Latin-1: spaces, controls, DEL, beyond U+00FF. */
const NOT_REQUEST_TARGET_TEXT = /[^\x21-\x7e\x80-\xff]/;

/** Whether `text` can go in a header value (or a cookie attribute) as is. */
export function isHeaderValueText(text: string): boolean {
  return !NOT_HEADER_VALUE_TEXT.test(text);
}

/** Whether `text` can go in a request line's target (the path and query) as is. */
export function isRequestTargetText(text: string): boolean {
  return !NOT_REQUEST_TARGET_TEXT.test(text);
}
