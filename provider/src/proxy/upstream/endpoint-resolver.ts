/**
 * Resolves cluster endpoints to socket addresses: literal IPs as they are, `--resolve HOST=IP[:PORT]`
 * overrides (matched against the full host, the host without `.svc.cluster.local`, and the short
 * service name, so `--resolve productpage=127.0.0.1:9080` covers
 * `productpage.default.svc.cluster.local`), then DNS. Resolution happens while a configuration is
 * built, so a request never waits on DNS.
 */
import { lookup } from "node:dns/promises";
import net from "node:net";

/** One `--resolve` override. */
export interface ResolveOverride {
  /** The host as given (lower case). */
  readonly host: string;
  /** The IP address to use. */
  readonly ip: string;
  /** The port to use instead of the endpoint's, when given. */
  readonly port?: number;
}

/** A concrete address to connect to. */
export interface SocketAddress {
  /** IP address. */
  readonly ip: string;
  /** Port. */
  readonly port: number;
}

/** Parses `HOST=IP[:PORT]` (IPv6 as `[::1]:PORT` or bare); returns an error message on bad input. */
export function parseResolveOverride(text: string): ResolveOverride | string {
  const eq = text.indexOf("=");
  if (eq <= 0) return `must be HOST=IP[:PORT] (got ${JSON.stringify(text)})`;
  const host = text.slice(0, eq).trim().toLowerCase();
  let rest = text.slice(eq + 1).trim();
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket !== null) {
    rest = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (net.isIPv4(rest.split(":")[0]!) && rest.includes(":")) {
    const [ip, p] = rest.split(":");
    rest = ip!;
    port = Number(p);
  }
  if (net.isIP(rest) === 0) return `must be HOST=IP[:PORT] with an IP address (got ${JSON.stringify(text)})`;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    return `port must be an integer from 1 to 65535 (got ${JSON.stringify(text)})`;
  }
  return port === undefined ? { host, ip: rest } : { host, ip: rest, port };
}

/** Names under which a host may be overridden, most specific first. */
export function overrideCandidates(host: string): string[] {
  const h = host.toLowerCase();
  const out = [h];
  const suffix = ".svc.cluster.local";
  if (h.endsWith(suffix)) {
    const base = h.slice(0, -suffix.length);
    out.push(base);
    const dot = base.indexOf(".");
    if (dot > 0) out.push(base.slice(0, dot));
  }
  return out;
}

/** Resolves endpoint addresses with overrides and a small DNS cache. */
export class EndpointResolver {
  private readonly overrides = new Map<string, ResolveOverride>();
  private readonly dnsCache = new Map<string, { at: number; ips: string[] }>();

  constructor(
    overrides: readonly ResolveOverride[] = [],
    private readonly dnsTtlMs = 30_000,
  ) {
    for (const o of overrides) this.overrides.set(o.host, o);
  }

  /** The addresses for `address:port`; empty when DNS has no answer. */
  async resolve(address: string, port: number): Promise<SocketAddress[]> {
    if (net.isIP(address) !== 0) return [{ ip: address, port }];
    for (const name of overrideCandidates(address)) {
      const o = this.overrides.get(name);
      if (o !== undefined) return [{ ip: o.ip, port: o.port ?? port }];
    }
    const cached = this.dnsCache.get(address);
    if (cached !== undefined && Date.now() - cached.at < this.dnsTtlMs)
      return cached.ips.map((ip) => ({ ip, port }));
    let ips: string[] = [];
    try {
      const answers = await withTimeout(lookup(address, { all: true }), 2000);
      ips = answers.map((a) => a.address);
    } catch {
      ips = [];
    }
    this.dnsCache.set(address, { at: Date.now(), ips });
    return ips.map((ip) => ({ ip, port }));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
