/**
 * Path normalization before routing, as Istio configures Envoy by default (`normalize_path`
 * without `merge_slashes`): Envoy canonicalizes the path the way Chromium canonicalizes a URL's
 * path, and routes, rewrites and forwards the result. So `/static/../admin`, `/static/%2e%2e/admin`
 * and `/%61dmin` all reach the route for `/admin`, and none of them slips past a rule written for
 * `/admin` through one written for `/static`.
 *
 * The canonical form:
 * - `.` and `..` segments are removed (RFC 3986 §5.2.4), also when their dots are written `%2e`
 *   or `%2E`, and a `..` above the root stays at the root;
 * - a backslash is a slash;
 * - a percent-encoded unreserved character (`A-Z a-z 0-9 - . _ ~`) is decoded; other escapes are
 *   kept as written, hex case included (`%2F` stays `%2F`, so an encoded slash separates nothing);
 * - bytes a URL path may not hold as they are (controls, space, `"`, `#`, `<`, `>`, `?`, `^`, `` ` ``,
 *   `{`, `|`, `}`, DEL and every byte from 0x80) are percent-encoded;
 * - repeated slashes are kept.
 *
 * A NUL, as it is or as `%00`, makes the path invalid: Envoy answers such a request 400.
 */

/** Per ASCII code: what canonicalization does with it as it stands in a path. */
const enum Char {
  /** Kept as it is. */
  Pass = 0,
  /** Needs a look: a dot, a backslash or a `%`. */
  Special = 1,
  /** Percent-encoded in the canonical form. */
  Escape = 2,
  /** Makes the path invalid (NUL). */
  Invalid = 3,
}

/** {@link Char} of each code below 0x80 (every code from 0x80 is escaped). */
const CHAR = new Uint8Array(0x80);
/** Codes of the unreserved characters, decoded when percent-encoded. */
const UNRESERVED = new Uint8Array(0x80);
{
  CHAR[0] = Char.Invalid;
  for (let c = 1; c < 0x20; c++) CHAR[c] = Char.Escape;
  for (const c of ' "#<>?^`{|}\x7f') CHAR[c.charCodeAt(0)] = Char.Escape;
  for (const c of ".\\%") CHAR[c.charCodeAt(0)] = Char.Special;
  const unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (const c of unreserved) UNRESERVED[c.charCodeAt(0)] = 1;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;

/**
 * The canonical form of `path` (see above), or undefined when it holds a NUL. A path not starting
 * with `/` is returned unchanged: the connection manager refuses it before routing.
 */
export function normalizePath(path: string): string | undefined {
  if (path.charCodeAt(0) !== SLASH || isCanonical(path)) return path;
  return canonicalize(path);
}

/**
 * Whether `path` is already canonical: nothing to escape, no escape to read, no backslash, and no
 * dot right after a slash (nearly every request: one look at each character, no copy).
 */
function isCanonical(path: string): boolean {
  let previous = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 0x80) return false;
    const kind = CHAR[c]!;
    if (kind !== Char.Pass && !(c === DOT && previous !== SLASH)) return false;
    previous = c;
  }
  return true;
}

/** The value of hex digit `c`, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The byte a `%XY` at `i` encodes, or -1 when there is no valid escape there. */
function escapedByte(path: string, i: number): number {
  if (path.charCodeAt(i) !== PERCENT || i + 2 >= path.length) return -1;
  const high = hexValue(path.charCodeAt(i + 1));
  const low = hexValue(path.charCodeAt(i + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/** How many characters of `path` from `i` spell a dot: 1 for `.`, 3 for `%2e` or `%2E`, else 0. */
function dotLength(path: string, i: number): number {
  const c = path.charCodeAt(i);
  if (c === DOT) return 1;
  return c === PERCENT && escapedByte(path, i) === DOT ? 3 : 0;
}

function isSlash(c: number): boolean {
  return c === SLASH || c === BACKSLASH;
}

/** `%XY` for byte `b`, hex in upper case. */
function escape(b: number): string {
  return "%" + (b < 0x10 ? "0" : "") + b.toString(16).toUpperCase();
}

/** The bytes of character `c` (a code from 0x80) escaped: itself when it fits a byte, else its UTF-8. */
function escapeWide(c: number, ch: string): string {
  if (c <= 0xff) return escape(c);
  let out = "";
  for (const b of Buffer.from(ch, "utf8")) out += escape(b);
  return out;
}

/** The canonicalization proper, for a path starting with `/` that {@link isCanonical} turned down. */
function canonicalize(path: string): string | undefined {
  const end = path.length;
  let out = "";
  // Where, in `out`, a `%` that began no valid escape sits: decoding what follows it must not
  // make it begin one (`%%30%30` must not come out as `%00`).
  let strayPercent = -1;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    const dot = dotLength(path, i);
    if (dot > 0) {
      // A dot after a slash may begin a dot segment; anywhere else it is part of a name.
      if (out.charCodeAt(out.length - 1) !== SLASH) {
        out += ".";
        i += dot - 1;
        continue;
      }
      const after = i + dot;
      let consumed = 0;
      let segment: "name" | "current" | "parent" = "name";
      if (after === end) segment = "current";
      else if (isSlash(path.charCodeAt(after))) {
        segment = "current";
        consumed = 1;
      } else {
        const second = dotLength(path, after);
        if (second > 0) {
          const next = after + second;
          if (next === end) {
            segment = "parent";
            consumed = second;
          } else if (isSlash(path.charCodeAt(next))) {
            segment = "parent";
            consumed = second + 1;
          }
        }
      }
      if (segment === "name") {
        out += ".";
        i += dot - 1;
        continue;
      }
      if (segment === "parent") out = upToPreviousSlash(out);
      i += dot + consumed - 1;
      continue;
    }
    if (c === BACKSLASH) {
      out += "/";
      continue;
    }
    if (c === PERCENT) {
      const b = escapedByte(path, i);
      if (b < 0) {
        strayPercent = out.length;
        out += "%";
        continue;
      }
      if (b < 0x80 && UNRESERVED[b] === 1) {
        out += String.fromCharCode(b);
        if (strayPercent >= 0 && strayPercent >= out.length - 3) {
          out = guardStrayPercent(out, strayPercent, path, i + 3);
        }
      } else {
        // Kept exactly as written, hex case included: a server may care.
        if (b === 0) return undefined;
        out += path.slice(i, i + 3);
      }
      i += 2;
      continue;
    }
    if (c >= 0x80) {
      out += escapeWide(c, String.fromCodePoint(path.codePointAt(i)!));
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) i++;
      continue;
    }
    const kind = CHAR[c]!;
    if (kind === Char.Invalid) return undefined;
    out += kind === Char.Escape ? escape(c) : path[i];
  }
  return out;
}

/**
 * `out`, which ends with a slash, without its last segment: up to the slash before, and never
 * above the root.
 */
function upToPreviousSlash(out: string): string {
  if (out.length <= 1) return out;
  const previous = out.lastIndexOf("/", out.length - 2);
  return out.slice(0, previous + 1);
}

/**
 * After a decoded character landed within two characters of a stray `%` (at `at` in `out`): if
 * the `%` now begins a valid escape (with the next input character when only one follows it),
 * it is written `%25` so that the output cannot be read as that escape.
 */
function guardStrayPercent(out: string, at: number, path: string, next: number): string {
  const appendNext = at === out.length - 2;
  let candidate = out;
  if (appendNext) {
    if (next >= path.length || path.charCodeAt(next) >= 0x80) return out;
    candidate = out + path[next];
  }
  if (escapedByte(candidate, at) < 0) return out;
  // `%` `x` `y` -> `%25` `x` `y`, without the character appended for the look.
  return out.slice(0, at + 1) + "25" + out.slice(at + 1);
}
