/**
 * An index of the hosts of one Gateway's servers, so that finding the server hosts a VirtualService
 * host overlaps costs a few map lookups (one per label of the host) instead of a scan of every
 * server host. The index only narrows the candidates; the host library decides every pair, so
 * the index cannot disagree with `matches` and `intersection`.
 */
import { isWildcard } from "../host";

/** One host of one server, after `sanitizeServerHosts`. */
export interface IndexedServerHost {
  /** Index of the server in `spec.servers`. */
  readonly serverIndex: number;
  /** Position of the host in the server's sanitized host list (keeps Istio's order in results). */
  readonly position: number;
  /** The namespace the host is restricted to (`ns/h`), or undefined when any namespace may bind. */
  readonly scope: string | undefined;
  /** The host name without its namespace prefix. */
  readonly name: string;
}

/** True for `*` and `*.<suffix>`: wildcards whose suffix starts at a label boundary. */
function isLabelWildcard(h: string): boolean {
  return h === "*" || (h.length > 1 && h.charCodeAt(1) === 0x2e);
}

/** Every suffix of `s` that starts with a dot, longest first, then `""`. */
function dotSuffixes(s: string): string[] {
  const out: string[] = [];
  for (let i = s.indexOf("."); i >= 0; i = s.indexOf(".", i + 1)) out.push(s.slice(i));
  out.push("");
  return out;
}

function push<K>(map: Map<K, IndexedServerHost[]>, key: K, entry: IndexedServerHost): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

/**
 * Server hosts of one Gateway, indexed three ways: plain names by name, label wildcards by suffix,
 * and both by every dot-suffix they fall under (to answer a wildcard VirtualService host).
 */
export class ServerHostIndex {
  private readonly exact = new Map<string, IndexedServerHost[]>();
  private readonly wildcardBySuffix = new Map<string, IndexedServerHost[]>();
  private readonly underSuffix = new Map<string, IndexedServerHost[]>();
  /** Partial wildcards (`*foo.com`) and other oddities: always candidates, decided by the library. */
  private readonly irregular: IndexedServerHost[] = [];
  private readonly all: IndexedServerHost[] = [];

  /** Indexes `hostsByServer[i]`, the sanitized hosts of server `i`. */
  constructor(hostsByServer: readonly (readonly string[])[]) {
    hostsByServer.forEach((hosts, serverIndex) => {
      hosts.forEach((raw, position) => {
        const slash = raw.indexOf("/");
        // After sanitizing only `ns/h` remains prefixed; `*` is kept as "any" to mirror namesForNamespace.
        const prefix = slash < 0 ? undefined : raw.slice(0, slash);
        const entry: IndexedServerHost = {
          serverIndex,
          position,
          scope: prefix === "*" ? undefined : prefix,
          name: slash < 0 ? raw : raw.slice(slash + 1),
        };
        this.all.push(entry);
        const name = entry.name;
        if (!isWildcard(name)) {
          push(this.exact, name, entry);
          for (const s of dotSuffixes(name)) push(this.underSuffix, s, entry);
        } else if (isLabelWildcard(name)) {
          const suffix = name.slice(1);
          push(this.wildcardBySuffix, suffix, entry);
          push(this.underSuffix, suffix, entry);
          for (const s of dotSuffixes(suffix)) if (s !== suffix) push(this.underSuffix, s, entry);
        } else {
          this.irregular.push(entry);
        }
      });
    });
  }

  /**
   * The server hosts visible to `namespace` that may overlap `host` (a superset of those that do).
   * Calls `visit` once per candidate.
   */
  candidates(host: string, namespace: string, visit: (entry: IndexedServerHost) => void): void {
    const seen = new Set<IndexedServerHost>();
    const take = (list: readonly IndexedServerHost[] | undefined): void => {
      if (list === undefined) return;
      for (const e of list) {
        if ((e.scope === undefined || e.scope === namespace) && !seen.has(e)) {
          seen.add(e);
          visit(e);
        }
      }
    };
    if (!isWildcard(host)) {
      take(this.exact.get(host));
      for (const s of dotSuffixes(host)) take(this.wildcardBySuffix.get(s));
    } else if (isLabelWildcard(host)) {
      const suffix = host.slice(1);
      take(this.underSuffix.get(suffix));
      take(this.wildcardBySuffix.get(suffix));
      for (const s of dotSuffixes(suffix)) take(this.wildcardBySuffix.get(s));
    } else {
      // A partial wildcard overlaps names that are not split at a dot: no index helps.
      take(this.all);
      return;
    }
    take(this.irregular);
  }
}
