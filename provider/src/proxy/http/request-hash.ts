/**
 * The consistent hash of a request (Envoy's route hash policy, as Istio's `consistentHash` sets
 * it): a header's value, a cookie's value, the client's IP address or a query parameter's value.
 * A cookie key with a `ttl` that the request lacks is made up, as Envoy makes it: a hash of the
 * connection's addresses, so requests racing on one connection get the same cookie, sent back in
 * a `Set-Cookie` header whose value the next requests hash on.
 */
import type { CookieAttribute, HashKey } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import { hashString } from "../upstream/hash-ring";
import type { Exchange } from "./exchange";

/** A request's hash, and the cookie to set when the hash was made up. */
export interface RequestHash {
  /** Undefined when the request does not carry the key: the cluster then picks at random. */
  readonly hash: number | undefined;
  /** The `Set-Cookie` value to add to the response. */
  readonly setCookie?: string;
}

const NO_HASH: RequestHash = { hash: undefined };

/** The hash of `x`'s request under `key`. */
export function requestHash(key: HashKey, x: Exchange): RequestHash {
  switch (key.kind) {
    case "header": {
      const v = x.routeReq.headers[key.name];
      const value = Array.isArray(v) ? v[0] : v;
      return value === undefined ? NO_HASH : { hash: hashString(value) };
    }
    case "query": {
      const value = queryParameter(x.routeReq.query, key.name);
      return value === undefined ? NO_HASH : { hash: hashString(value) };
    }
    case "source-ip": {
      // The client trusted proxies told of, when they did: Envoy hashes its downstream remote address.
      const ip = x.forwardedClient ?? x.state?.remoteAddress ?? x.req.socket?.remoteAddress;
      return ip === undefined ? NO_HASH : { hash: hashString(ip) };
    }
    case "cookie": {
      const value = cookieValue(x.routeReq.headers["cookie"], key.name);
      if (value !== undefined) return { hash: hashString(value) };
      if (key.ttlSeconds === undefined) return NO_HASH;
      const socket = x.req.socket;
      const seed = `${socket?.remoteAddress ?? ""}:${socket?.remotePort ?? ""}|${socket?.localAddress ?? ""}:${socket?.localPort ?? ""}`;
      const made = hex8(hashString(seed)) + hex8(hashString(seed + "#"));
      return {
        hash: hashString(made),
        setCookie: setCookieValue(key.name, made, key.ttlSeconds, key.path, key.attributes),
      };
    }
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * Envoy's `Set-Cookie` for a hash cookie (`makeSetCookieValue`): quoted value, `Max-Age` unless 0,
 * `Path` when given, each attribute in order (`; name=value`, or `; name` without a value), then
 * `HttpOnly`.
 */
export function setCookieValue(
  name: string,
  value: string,
  ttlSeconds: number,
  path: string | undefined,
  attributes: readonly CookieAttribute[] = [],
): string {
  let out = `${name}="${value}"`;
  if (ttlSeconds > 0) out += `; Max-Age=${ttlSeconds}`;
  if (path !== undefined) out += `; Path=${path}`;
  for (const a of attributes) out += a.value === "" ? `; ${a.name}` : `; ${a.name}=${a.value}`;
  return out + "; HttpOnly";
}

/** The first value of cookie `name` in the `Cookie` header(s), surrounding quotes removed. */
export function cookieValue(
  header: string | readonly string[] | undefined,
  name: string,
): string | undefined {
  if (header === undefined) return undefined;
  for (const line of typeof header === "string" ? [header] : header) {
    for (const part of line.split(";")) {
      const eq = part.indexOf("=");
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      const v = part.slice(eq + 1).trim();
      return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

/** The first raw value of query parameter `name` in `query` (without `?`), as Envoy reads it: not decoded. */
export function queryParameter(query: string, name: string): string | undefined {
  if (query === "") return undefined;
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === name) return eq < 0 ? "" : part.slice(eq + 1);
  }
  return undefined;
}

/** Adds a `Set-Cookie` value to response headers that may already carry some. */
export function appendSetCookie(headers: HeaderMap, value: string): void {
  const existing = headers["set-cookie"];
  headers["set-cookie"] =
    existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
}
