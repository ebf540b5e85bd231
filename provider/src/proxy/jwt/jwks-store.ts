/**
 * Key sets fetched from `jwksUri` (or found by OpenID discovery from the issuer), shared by every
 * configuration the proxy serves, as istiod's `JwksResolver` keeps them: fetched when a
 * configuration first needs them, refetched in the background every 20 minutes
 * (`PILOT_JWT_PUB_KEY_REFRESH_INTERVAL`), a failed refresh keeping the keys last fetched and
 * retrying after a minute, doubling up to an hour. A key set that could never be fetched verifies
 * no token: istiod then gives Envoy a key nobody holds the private half of, so every token of the
 * issuer fails as "Jwt verification fails" (istiod's default `PILOT_JWT_ENABLE_REMOTE_JWKS=false`;
 * Envoy's own fetching, which answers "Jwks remote fetch is failed", is not Istio's default).
 */
import { fetchText } from "./jwks-fetch";
import type { Jwks } from "./jwks";
import { parseJwks } from "./jwks";

/** istiod's refresh interval. */
export const JWKS_REFRESH_MS = 20 * 60_000;
/** istiod's first retry after a failed refresh (`JwtPubKeyRefreshIntervalOnFailure`). */
export const JWKS_RETRY_MS = 60_000;
/** The longest wait between retries (`JwtPubKeyRefreshIntervalOnFailureResetThreshold`). */
export const JWKS_RETRY_MAX_MS = 60 * 60_000;

/** How often key sets are fetched again (tests shorten them). */
export interface JwksSchedule {
  /** After a fetch that worked. Default {@link JWKS_REFRESH_MS}. */
  readonly refreshMs: number;
  /** After the first fetch that failed, doubling up to {@link JWKS_RETRY_MAX_MS}. Default {@link JWKS_RETRY_MS}. */
  readonly retryMs: number;
}

const ISTIOD_SCHEDULE: JwksSchedule = { refreshMs: JWKS_REFRESH_MS, retryMs: JWKS_RETRY_MS };

/** What a provider's remote key set is now. */
export type RemoteKeys =
  { readonly state: "ready"; readonly jwks: Jwks } | { readonly state: "failed"; readonly reason: string };

/** One remote key set. */
export class RemoteJwks {
  private keys: RemoteKeys | undefined;
  private pending: Promise<RemoteKeys> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closed = false;

  constructor(
    /** The issuer (for OpenID discovery when there is no `jwksUri`). */
    readonly issuer: string,
    /** `jwksUri`; undefined: found by OpenID discovery. */
    readonly uri: string | undefined,
    /** The fetch timeout (ms). */
    readonly timeoutMs: number,
    private readonly onChange: (line: string) => void,
    private readonly schedule_: JwksSchedule = ISTIOD_SCHEDULE,
  ) {
    this.retryMs = schedule_.retryMs;
  }

  /** The keys, or a promise of them while the first fetch is under way. */
  current(): RemoteKeys | Promise<RemoteKeys> {
    if (this.keys !== undefined) return this.keys;
    this.pending ??= this.fetch();
    return this.pending;
  }

  /** Stops the background refresh. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private async fetch(): Promise<RemoteKeys> {
    let next: RemoteKeys;
    try {
      const uri = this.uri ?? (await this.discover());
      const parsed = parseJwks(await fetchText(uri, this.timeoutMs));
      next =
        typeof parsed === "string" ? { state: "failed", reason: parsed } : { state: "ready", jwks: parsed };
    } catch (err) {
      next = { state: "failed", reason: (err as Error).message };
    }
    const where = this.uri ?? `the OpenID discovery of ${JSON.stringify(this.issuer)}`;
    if (next.state === "ready") {
      this.keys = next;
      this.retryMs = this.schedule_.retryMs;
      this.schedule(this.schedule_.refreshMs);
    } else {
      this.onChange(`warning: cannot fetch the JWKS of ${where}: ${next.reason}`);
      // A refresh that fails keeps the keys fetched before.
      if (this.keys === undefined || this.keys.state === "failed") this.keys = next;
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, JWKS_RETRY_MAX_MS);
    }
    this.pending = undefined;
    return this.keys;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fetch(), ms);
    this.timer.unref();
  }

  /** istiod's OpenID discovery: the issuer's `/.well-known/openid-configuration` names `jwks_uri`. */
  private async discover(): Promise<string> {
    const doc: unknown = JSON.parse(
      await fetchText(`${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, this.timeoutMs),
    );
    const uri = (doc as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof uri !== "string" || uri === "") throw new Error("the discovery document has no jwks_uri");
    return uri;
  }
}

/** Every remote key set, by issuer and URI. */
export class JwksStore {
  private readonly sets = new Map<string, RemoteJwks>();

  constructor(
    private readonly log: (line: string) => void = () => {},
    private readonly timing: JwksSchedule = ISTIOD_SCHEDULE,
  ) {}

  /** The key set of `issuer` at `uri` (undefined: by discovery), made on first use. */
  get(issuer: string, uri: string | undefined, timeoutMs: number): RemoteJwks {
    const key = JSON.stringify([issuer, uri ?? ""]);
    let set = this.sets.get(key);
    if (set === undefined) {
      set = new RemoteJwks(issuer, uri, timeoutMs, this.log, this.timing);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Forgets (and stops refreshing) the key sets not in `used`. */
  retain(used: ReadonlySet<RemoteJwks>): void {
    for (const [key, set] of this.sets) {
      if (!used.has(set)) {
        set.close();
        this.sets.delete(key);
      }
    }
  }

  /** Stops every refresh. */
  close(): void {
    for (const set of this.sets.values()) set.close();
    this.sets.clear();
  }
}
