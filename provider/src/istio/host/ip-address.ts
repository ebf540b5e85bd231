/**
 * IP address syntax exactly as Go's `netip.ParseAddr` accepts it (what Istio uses for `bind`,
 * Gateway hosts and VirtualService hosts), written without `node:net` so the core stays pure:
 * dotted-decimal IPv4 with no leading zeros, and IPv6 with `::`, an embedded IPv4 tail and an
 * optional non-empty `%zone`.
 */

/** True when `s` is an IPv4 or IPv6 address as Go's `netip.ParseAddr` reads it. */
export function isIPAddress(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ".") return isIPv4(s);
    if (c === ":") return isIPv6(s);
    if (c === "%") return false; // a zone without an address
  }
  return false;
}

/** True when `s` is a dotted-decimal IPv4 address: four fields 0..255, no leading zeros. */
export function isIPv4(s: string): boolean {
  const fields = s.split(".");
  if (fields.length !== 4) return false;
  return fields.every(isIPv4Field);
}

function isIPv4Field(f: string): boolean {
  if (f.length === 0 || f.length > 3) return false;
  if (!/^[0-9]+$/.test(f)) return false;
  if (f.length > 1 && f[0] === "0") return false;
  return Number(f) <= 255;
}

function hexValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/** True when `s` is an IPv6 address (with an optional `%zone`), following Go's parser step by step. */
export function isIPv6(input: string): boolean {
  let s = input;
  const percent = s.indexOf("%");
  if (percent >= 0) {
    if (percent === s.length - 1) return false; // empty zone
    s = s.slice(0, percent);
  }
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return true;
  }
  let i = 0; // bytes of the address filled so far
  while (i < 16) {
    let off = 0;
    while (off < s.length && hexValue(s[off] as string) >= 0) {
      off++;
      if (off > 4) return false; // more than 4 hex digits in a field
    }
    if (off === 0) return false; // a field needs at least one digit
    if (off < s.length && s[off] === ".") {
      // An embedded IPv4 address ends the address and fills its last 4 bytes.
      if (ellipsis < 0 && i !== 12) return false;
      if (i + 4 > 16) return false;
      if (!isIPv4(s)) return false;
      s = "";
      i += 4;
      break;
    }
    i += 2;
    s = s.slice(off);
    if (s.length === 0) break;
    if (s[0] !== ":" || s.length === 1) return false;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return false; // two "::"
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return false;
  if (i < 16) return ellipsis >= 0;
  return ellipsis < 0; // "::" must stand for at least one field
}
