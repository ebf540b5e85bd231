/**
 * The consistent hash of a request (Envoy's route hash policies, as Istio writes a destination's
 * `consistentHash` into them): a header's value, a cookie's value, the client's IP address or a
 * query parameter's value, each policy's hash combined with those before it. A cookie key with a
 * `ttl` that the request lacks is made up, as Envoy makes it: a hash of the connection's
 * addresses, so requests racing on one connection get the same cookie, sent back in a
 * `Set-Cookie` header whose value the next requests hash on.
 */
import type { CookieAttribute, HashPolicy } from "../../istio/translate/proxy-config";
import type { HeaderMap } from "../router/header-operations";
import { hashString } from "../upstream/hash-ring";
import type { Exchange } from "./exchange";

/** A request's hash, and the cookies to set where the hash made one up. */
export interface RequestHash {
  /** Undefined when no policy found its key in the request: a ring-hash cluster then picks at random. */
  readonly hash: number | undefined;
  /** The `Set-Cookie` values to add to the response, one per cookie policy that made its cookie up. */
  readonly setCookies: readonly string[];
}

const NO_HASH: RequestHash = { hash: undefined, setCookies: [] };

/**
 * The hash of `x`'s request under its route's `policies`, as Envoy's `HashPolicyImpl::generateHash`
 * computes it: every policy that yields a hash is mixed in, the hash so far rotated left by one bit
 * first, so two equal policies do not cancel out (here in 32 bits, the ring's width).
 */
export function routeHash(policies: readonly HashPolicy[], x: Exchange): RequestHash {
  if (policies.length === 0) return NO_HASH;
  let hash: number | undefined;
  let setCookies: string[] | undefined;
  for (const policy of policies) {
    const h = policyHash(policy, x);
    if (h === undefined) continue;
    if (typeof h !== "number") (setCookies ??= []).push(h.setCookie);
    const value = typeof h === "number" ? h : h.hash;
    hash = hash === undefined ? value : (((hash << 1) | (hash >>> 31)) ^ value) >>> 0;
  }
  return hash === undefined ? NO_HASH : { hash, setCookies: setCookies ?? [] };
}

/** The hash of `x`'s request under one policy; with the cookie to set when the policy made it up. */
function policyHash(
  policy: HashPolicy,
  x: Exchange,
): number | { readonly hash: number; readonly setCookie: string } | undefined {
  switch (policy.kind) {
    case "header": {
      const v = x.routeReq.headers[policy.name];
      const value = Array.isArray(v) ? v[0] : v;
      return value === undefined ? undefined : hashString(value);
    }
    case "query": {
      const value = queryParameter(x.routeReq.query, policy.name);
      return value === undefined ? undefined : hashString(value);
    }
    case "source-ip": {
      // The client trusted proxies told of, when they did: Envoy hashes its downstream remote address.
      const ip = x.forwardedClient ?? x.state?.remoteAddress ?? x.req.socket?.remoteAddress;
      return ip === undefined ? undefined : hashString(ip);
    }
    case "cookie": {
      // An empty cookie is no cookie to Envoy: made up again when the policy has a ttl.
      const value = cookieValue(x.routeReq.headers["cookie"], policy.name);
      if (value !== undefined && value !== "") return hashString(value);
      if (policy.ttlSeconds === undefined) return undefined;
      // The connection's addresses, as Envoy's: a PROXY protocol header's when one restored them.
      const c = x.state ?? x.req.socket;
      const seed = `${c?.remoteAddress ?? ""}:${c?.remotePort ?? ""}|${c?.localAddress ?? ""}:${c?.localPort ?? ""}`;
      const made = hex8(hashString(seed)) + hex8(hashString(seed + "#"));
      return {
        hash: hashString(made),
        setCookie: setCookieValue(policy.name, made, policy.ttlSeconds, policy.path, policy.attributes),
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
