/**
 * Envoy's `jwt_authn` filter as istiod configures it for RequestAuthentication: every provider
 * (one per JWT rule) reads tokens from its locations; a request passes when it carries no token
 * for any provider (`allow_missing`), or when a provider verifies every token in its locations.
 * With several providers istiod requires `any(P1, ..., Pn, all(any(P1, missing), ...))`, so a
 * token one provider verifies passes, and a failure is reported with the status Envoy's requires-any
 * keeps (a real failure over a wrong issuer over a missing token).
 *
 * A valid token's payload goes to `outputPayloadToHeader`, its claims to `outputClaimToHeaders`,
 * and its header is removed unless `forwardOriginalToken`; those headers are first removed from
 * the request, so a client cannot send them itself.
 */
import type { JwtAuthnConfig, JwtProvider } from "../../istio/translate/jwt-authn";
import type { HeaderMap } from "../router/header-operations";
import type { Jwks } from "./jwks";
import { parseJwks } from "./jwks";
import type { JwksStore, RemoteJwks } from "./jwks-store";
import { JwtStatus } from "./jwt-status";
import type { Jwt } from "./jwt-token";
import { audiencesAllowed, checkTimes, parseJwt } from "./jwt-token";
import { verifySignature } from "./jwt-verify";
import type { RequestAuth } from "./request-auth";

/** The outcome of authenticating one request. */
export type JwtAuthnResult =
  | { readonly status: typeof JwtStatus.Ok; readonly auth: RequestAuth | undefined }
  | { readonly status: Exclude<JwtStatus, typeof JwtStatus.Ok> };

/** What the filter reads of a request (its headers it may change). */
export interface JwtRequest {
  /** The request's headers, lower-case names: tokens are read from them and removed from them. */
  readonly headers: HeaderMap;
  /** The query string, without `?`. */
  readonly query: string;
}

/** A token found in a request, and how to remove it. */
interface TokenLocation {
  readonly token: string;
  /** The header it came from; undefined for a query parameter or cookie (Envoy leaves those). */
  readonly header: string | undefined;
}

/** A provider ready to verify: its configuration and its keys. */
class ProviderRuntime {
  private readonly inline: Jwks | JwtStatus | undefined;

  constructor(
    readonly config: JwtProvider,
    private readonly remote: RemoteJwks | undefined,
  ) {
    this.inline = config.jwks === undefined ? undefined : parseJwks(config.jwks);
  }

  /** The remote key set this provider uses, if any. */
  get remoteJwks(): RemoteJwks | undefined {
    return this.remote;
  }

  /** Envoy's default locations, unless the rule names its own. */
  private get defaultLocations(): boolean {
    const c = this.config;
    return c.fromHeaders.length === 0 && c.fromParams.length === 0 && c.fromCookies.length === 0;
  }

  /** The tokens in the provider's locations, in Envoy's order: headers, then parameters, then cookies. */
  extract(req: JwtRequest): TokenLocation[] {
    const c = this.config;
    const headers = this.defaultLocations
      ? [{ name: "authorization", prefix: "Bearer " }]
      : [...c.fromHeaders];
    const params = this.defaultLocations ? ["access_token"] : [...c.fromParams];
    const tokens: TokenLocation[] = [];
    // Envoy keys its header locations by name and prefix, in a sorted map.
    headers.sort((a, b) => compare(a.name + a.prefix, b.name + b.prefix));
    for (const h of headers) {
      const raw = req.headers[h.name];
      if (raw === undefined) continue;
      let value = Array.isArray(raw) ? raw.join(",") : raw;
      if (h.prefix !== "") {
        const at = value.indexOf(h.prefix);
        if (at < 0) continue;
        value = tokenAfter(value, at + h.prefix.length);
      }
      tokens.push({ token: value, header: h.name });
    }
    if (params.length > 0 && req.query !== "") {
      const query = new URLSearchParams(req.query);
      for (const p of [...new Set(params)].sort(compare)) {
        const value = query.get(p);
        if (value !== null) tokens.push({ token: value, header: undefined });
      }
    }
    if (c.fromCookies.length > 0) {
      const cookies = parseCookies(req.headers["cookie"]);
      for (const name of [...new Set(c.fromCookies)].sort(compare)) {
        const value = cookies.get(name);
        if (value !== undefined) tokens.push({ token: value, header: undefined });
      }
    }
    return tokens;
  }

  /** The keys to verify with; a status when there are none. */
  async keys(): Promise<Jwks | JwtStatus> {
    if (this.inline !== undefined) return this.inline;
    if (this.remote === undefined) return JwtStatus.JwksNoValidKeys;
    const keys = await this.remote.current();
    // istiod's stand-in for keys it could not fetch is a key nobody can sign with.
    return keys.state === "ready" ? keys.jwks : JwtStatus.JwtVerificationFail;
  }

  /** Removes the headers this provider writes, as Envoy sanitizes them before verifying. */
  sanitize(headers: HeaderMap): void {
    if (this.config.forwardPayloadHeader !== undefined) delete headers[this.config.forwardPayloadHeader];
    for (const c of this.config.claimToHeaders) delete headers[c.header];
  }
}

/** The filter of one configuration. */
export class JwtAuthnFilter {
  private readonly providers: readonly ProviderRuntime[];

  constructor(
    /** The configuration. */
    readonly config: JwtAuthnConfig,
    store: JwksStore,
  ) {
    this.providers = config.providers.map(
      (p) =>
        new ProviderRuntime(
          p,
          p.jwks === undefined ? store.get(p.issuer, p.jwksUri, p.timeoutMs) : undefined,
        ),
    );
  }

  /** The remote key sets this configuration uses (the store keeps refreshing those). */
  remoteJwks(): Set<RemoteJwks> {
    const used = new Set<RemoteJwks>();
    for (const p of this.providers) if (p.remoteJwks !== undefined) used.add(p.remoteJwks);
    return used;
  }

  /** Starts fetching remote keys now, so the first request does not wait for them. */
  prefetch(): void {
    for (const p of this.providers) void p.keys();
  }

  /** Authenticates `req`, changing its headers as Envoy does for a valid token. */
  async authenticate(req: JwtRequest, nowSeconds: number): Promise<JwtAuthnResult> {
    const [first] = this.providers;
    if (first === undefined) return { status: JwtStatus.Ok, auth: undefined };
    if (this.providers.length === 1) {
      const r = await verifyProvider(first, req, nowSeconds);
      return r.status === JwtStatus.JwtMissed ? { status: JwtStatus.Ok, auth: undefined } : r;
    }
    const statuses: JwtStatus[] = [];
    for (const p of this.providers) {
      const r = await verifyProvider(p, req, nowSeconds);
      if (r.status === JwtStatus.Ok) return r;
      statuses.push(r.status);
    }
    // all(any(Pi, allow_missing)): the first provider whose tokens are there and fail fails it.
    const all = statuses.find((s) => s !== JwtStatus.JwtMissed) ?? JwtStatus.Ok;
    if (all === JwtStatus.Ok) return { status: JwtStatus.Ok, auth: undefined };
    statuses.push(all);
    let final: JwtStatus = JwtStatus.JwtMissed;
    for (const s of statuses) {
      if ((s !== JwtStatus.JwtMissed && s !== JwtStatus.JwtUnknownIssuer) || final === JwtStatus.JwtMissed)
        final = s;
    }
    return { status: final as Exclude<JwtStatus, typeof JwtStatus.Ok> };
  }
}

/** One provider's verdict on a request: every token in its locations must verify. */
async function verifyProvider(
  p: ProviderRuntime,
  req: JwtRequest,
  nowSeconds: number,
): Promise<JwtAuthnResult> {
  p.sanitize(req.headers);
  const tokens = p.extract(req);
  if (tokens.length === 0) return { status: JwtStatus.JwtMissed };
  let auth: RequestAuth | undefined;
  // Envoy verifies the last token found first.
  for (let i = tokens.length - 1; i >= 0; i--) {
    const location = tokens[i]!;
    const jwt = parseJwt(location.token);
    if (typeof jwt === "string") return { status: jwt as Exclude<JwtStatus, typeof JwtStatus.Ok> };
    const status = await verifyToken(p, jwt, nowSeconds);
    if (status !== JwtStatus.Ok) return { status };
    acceptToken(p.config, jwt, location, req.headers);
    auth ??= requestAuthOf(p.config, jwt);
  }
  return { status: JwtStatus.Ok, auth };
}

async function verifyToken(
  p: ProviderRuntime,
  jwt: Jwt,
  nowSeconds: number,
): Promise<Exclude<JwtStatus, typeof JwtStatus.Ok> | typeof JwtStatus.Ok> {
  if (p.config.issuer !== "" && jwt.iss !== p.config.issuer) return JwtStatus.JwtUnknownIssuer;
  const time = checkTimes(jwt, nowSeconds);
  if (time !== JwtStatus.Ok) return time as Exclude<JwtStatus, typeof JwtStatus.Ok>;
  if (!audiencesAllowed(jwt, p.config.audiences)) return JwtStatus.JwtAudienceNotAllowed;
  const keys = await p.keys();
  if (typeof keys === "string") return keys as Exclude<JwtStatus, typeof JwtStatus.Ok>;
  return verifySignature(jwt, keys) as Exclude<JwtStatus, typeof JwtStatus.Ok> | typeof JwtStatus.Ok;
}

/** What Envoy does with a valid token: payload and claims to headers, the token's header dropped. */
function acceptToken(config: JwtProvider, jwt: Jwt, location: TokenLocation, headers: HeaderMap): void {
  if (config.forwardPayloadHeader !== undefined)
    addHeader(headers, config.forwardPayloadHeader, jwt.payloadBase64url);
  for (const c of config.claimToHeaders) {
    const value = claimHeaderValue(claimAt(jwt.payload, c.claim));
    if (value !== undefined && value !== "") addHeader(headers, c.header, value);
  }
  if (!config.forward && location.header !== undefined) delete headers[location.header];
}

function addHeader(headers: HeaderMap, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else headers[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
}

/** A claim by name; a name with dots reaches into nested objects, as Envoy's `StructUtils` does. */
function claimAt(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  let value: unknown = payload;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * A claim as Envoy writes it into a header: strings as they are, integral numbers as integers
 * (others as C's `%f`), booleans as words, objects and lists as base64 of their JSON.
 */
function claimHeaderValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? String(value) : value.toFixed(6);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "object" && value !== null)
    return Buffer.from(JSON.stringify(value)).toString("base64");
  return undefined;
}

function requestAuthOf(config: JwtProvider, jwt: Jwt): RequestAuth {
  const claims: Record<string, unknown> = { ...jwt.payload };
  for (const name of config.spaceDelimitedClaims) {
    const value = claims[name];
    if (typeof value === "string") claims[name] = value.split(" ").filter((w) => w !== "");
  }
  const azp = jwt.payload["azp"];
  return {
    principal: `${jwt.iss}/${jwt.sub}`,
    issuer: jwt.iss,
    subject: jwt.sub,
    audiences: jwt.audiences,
    presenter: typeof azp === "string" ? azp : undefined,
    claims,
    provider: config.name,
  };
}

/** The base64url characters and `.`, of which a token is made. */
const TOKEN_CHARS = /[A-Za-z0-9\-_.]+/y;

/**
 * The token after `from` in a header value, as Envoy's `extractJWT` finds it: skip to the first
 * token character, take them while they last; the whole value when there is none.
 */
function tokenAfter(value: string, from: number): string {
  let start = from;
  while (start < value.length && !/[A-Za-z0-9\-_.]/.test(value[start]!)) start++;
  if (start >= value.length) return value;
  TOKEN_CHARS.lastIndex = start;
  return TOKEN_CHARS.exec(value)![0];
}

/** The request's cookies by name (the first of a name wins). */
function parseCookies(header: string | readonly string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of (line as string).split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!cookies.has(name)) cookies.set(name, value);
    }
  }
  return cookies;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
