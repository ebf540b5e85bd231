/**
 * Envoy's header value formatters (`%VARIABLE%`), the subset this proxy supports (listed in
 * `SUPPORTED_FORMATTERS` of the translation). Values are compiled once with the route config;
 * unsupported variables are kept as literal text.
 *
 * Supported: `%%` (a literal `%`), `%DOWNSTREAM_REMOTE_ADDRESS%`,
 * `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%`, `%DOWNSTREAM_REMOTE_PORT%`,
 * `%DOWNSTREAM_LOCAL_ADDRESS%`, `%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%`,
 * `%DOWNSTREAM_LOCAL_PORT%`, `%REQUESTED_SERVER_NAME%`, `%PROTOCOL%`, `%HOSTNAME%`,
 * `%START_TIME%` (`2026-01-02T03:04:05.678Z`), `%REQ(name)%` and `%RESP(name)%` (also
 * `%REQ(name?alternative)%` and a `:N` length limit), `%ROUTE_NAME%`, `%UPSTREAM_CLUSTER%`,
 * `%UPSTREAM_REMOTE_ADDRESS%`, `%RESPONSE_CODE%`.
 */
import type { RequestHeaders } from "./request";
import { headerOf } from "./header-map";
import { hostText, socketAddress } from "../socket-address";

/** Per-request facts the formatters read; every field is optional (missing renders empty). */
export interface FormatterContext {
  /** Client IP address. */
  readonly downstreamRemoteAddress?: string;
  /** Client port. */
  readonly downstreamRemotePort?: number;
  /** Local IP address the connection arrived on. */
  readonly downstreamLocalAddress?: string;
  /** Local port the connection arrived on (the listen port). */
  readonly downstreamLocalPort?: number;
  /** SNI of the TLS connection. */
  readonly requestedServerName?: string;
  /** `HTTP/1.1` or `HTTP/2`. */
  readonly protocol?: string;
  /** The proxy's host name. */
  readonly hostname?: string;
  /** When the request started. */
  readonly startTime?: Date;
  /** The request's headers (lower-case names). */
  readonly requestHeaders?: RequestHeaders;
  /** The response's headers (lower-case names), for response operations. */
  readonly responseHeaders?: RequestHeaders;
  /** The matched route's name. */
  readonly routeName?: string;
  /** The chosen cluster's name. */
  readonly upstreamCluster?: string;
  /** `ip:port` of the upstream endpoint. */
  readonly upstreamRemoteAddress?: string;
  /** The response status. */
  readonly responseCode?: number;
}

/** A compiled header value: a function of the context. */
export type CompiledHeaderValue = (ctx: FormatterContext) => string;

type Part = string | CompiledHeaderValue;

const variable = /^([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?$/;

/** Formats `ip` and `port` as Envoy prints addresses: `10.0.0.1:80`, `[::1]:80`. */
function withPort(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return "";
  return port === undefined ? hostText(ip) : socketAddress(ip, port);
}

function header(headers: RequestHeaders | undefined, spec: string): string {
  if (headers === undefined) return "";
  for (const name of spec.split("?")) {
    const v = headerOf(headers, name.toLowerCase());
    if (v !== undefined) return typeof v === "string" ? v : v.join(",");
  }
  return "";
}

function resolver(name: string, arg: string | undefined): CompiledHeaderValue | undefined {
  switch (name) {
    case "DOWNSTREAM_REMOTE_ADDRESS":
      return (c) => withPort(c.downstreamRemoteAddress, c.downstreamRemotePort);
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
      return (c) => c.downstreamRemoteAddress ?? "";
    case "DOWNSTREAM_REMOTE_PORT":
      return (c) => (c.downstreamRemotePort === undefined ? "" : String(c.downstreamRemotePort));
    case "DOWNSTREAM_LOCAL_ADDRESS":
      return (c) => withPort(c.downstreamLocalAddress, c.downstreamLocalPort);
    case "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT":
      return (c) => c.downstreamLocalAddress ?? "";
    case "DOWNSTREAM_LOCAL_PORT":
      return (c) => (c.downstreamLocalPort === undefined ? "" : String(c.downstreamLocalPort));
    case "REQUESTED_SERVER_NAME":
      return (c) => c.requestedServerName ?? "";
    case "PROTOCOL":
      return (c) => c.protocol ?? "";
    case "HOSTNAME":
      return (c) => c.hostname ?? "";
    case "START_TIME":
      return arg === undefined
        ? (c) => (c.startTime === undefined ? "" : c.startTime.toISOString())
        : undefined;
    case "REQ":
      return arg === undefined || arg === "" ? undefined : (c) => header(c.requestHeaders, arg);
    case "RESP":
      return arg === undefined || arg === "" ? undefined : (c) => header(c.responseHeaders, arg);
    case "ROUTE_NAME":
      return (c) => c.routeName ?? "";
    case "UPSTREAM_CLUSTER":
      return (c) => c.upstreamCluster ?? "";
    case "UPSTREAM_REMOTE_ADDRESS":
      return (c) => c.upstreamRemoteAddress ?? "";
    case "RESPONSE_CODE":
      return (c) => (c.responseCode === undefined ? "" : String(c.responseCode));
    default:
      return undefined;
  }
}

type Token =
  | { kind: "literal"; text: string }
  | { kind: "variable"; name: string; text: string; compiled: CompiledHeaderValue | undefined };

function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  let literal = "";
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c !== "%") {
      literal += c;
      i++;
      continue;
    }
    if (value[i + 1] === "%") {
      literal += "%";
      i += 2;
      continue;
    }
    const close = value.indexOf("%", i + 1);
    if (close === -1) {
      // An unterminated `%` is rejected by validation; kept literally here.
      literal += value.slice(i);
      break;
    }
    const text = value.slice(i, close + 1);
    const m = variable.exec(value.slice(i + 1, close));
    if (literal !== "") tokens.push({ kind: "literal", text: literal });
    literal = "";
    if (m === null) {
      tokens.push({ kind: "variable", name: value.slice(i + 1, close), text, compiled: undefined });
    } else {
      const base = resolver(m[1], m[2]);
      const limit = m[3] === undefined ? undefined : Number(m[3]);
      const compiled =
        base === undefined || limit === undefined
          ? base
          : (ctx: FormatterContext) => base(ctx).slice(0, limit);
      tokens.push({ kind: "variable", name: m[1], text, compiled });
    }
    i = close + 1;
  }
  if (literal !== "") tokens.push({ kind: "literal", text: literal });
  return tokens;
}

/** Compiles a header value; a value without variables costs nothing per request. */
export function compileHeaderValue(value: string): CompiledHeaderValue {
  const parts: Part[] = tokenize(value).map((t) => (t.kind === "literal" ? t.text : (t.compiled ?? t.text)));
  if (parts.length === 0) return () => "";
  if (parts.every((p) => typeof p === "string")) {
    const text = (parts as string[]).join("");
    return () => text;
  }
  return (ctx) => parts.map((p) => (typeof p === "string" ? p : p(ctx))).join("");
}
