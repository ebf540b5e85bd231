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

/** Up to this many distinct wildcard suffixes, a plain host tests each instead of looking up its own. */
const FEW_WILDCARDS = 4;

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

interface Entry extends IndexedServerHost {
  /** The query that last returned this entry, so one query returns it once. */
  mark: number;
}

function push(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

/**
 * Server hosts of one Gateway, indexed three ways: plain names by name, label wildcards by suffix,
 * and both by every dot-suffix they fall under (to answer a wildcard VirtualService host).
 */
export class ServerHostIndex {
  private readonly exact = new Map<string, Entry[]>();
  private readonly wildcardBySuffix = new Map<string, Entry[]>();
  private readonly underSuffix = new Map<string, Entry[]>();
  /** Partial wildcards (`*foo.com`) and other oddities: always candidates, decided by the library. */
  private readonly irregular: Entry[] = [];
  private readonly all: Entry[] = [];
  private query = 0;

  /** Indexes `hostsByServer[i]`, the sanitized hosts of server `i`. */
  constructor(hostsByServer: readonly (readonly string[])[]) {
    for (let serverIndex = 0; serverIndex < hostsByServer.length; serverIndex++) {
      const hosts = hostsByServer[serverIndex]!;
      for (let position = 0; position < hosts.length; position++) {
        const raw = hosts[position]!;
        if (typeof raw !== "string") continue;
        const slash = raw.indexOf("/");
        // After sanitizing only `ns/h` remains prefixed; `*` is kept as "any" to mirror namesForNamespace.
        const prefix = slash < 0 ? undefined : raw.slice(0, slash);
        const name = slash < 0 ? raw : raw.slice(slash + 1);
        const entry: Entry = {
          serverIndex,
          position,
          scope: prefix === "*" ? undefined : prefix,
          name,
          mark: 0,
        };
        this.all.push(entry);
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
      }
    }
  }

  /**
   * Appends to `out` the server hosts visible to `namespace` that may overlap `host` (a superset
   * of those that do), each once.
   */
  candidates(host: string, namespace: string, out: IndexedServerHost[]): void {
    const mark = ++this.query;
    if (!isWildcard(host)) {
      this.take(this.exact.get(host), namespace, mark, out);
      if (this.wildcardBySuffix.size <= FEW_WILDCARDS) {
        // Few wildcard suffixes (the usual case): testing each is cheaper than hashing every
        // dot-suffix of the host. Every suffix starts with a dot or is empty, so endsWith finds
        // exactly the suffixes the lookups below would.
        for (const [suffix, list] of this.wildcardBySuffix)
          if (host.endsWith(suffix)) this.take(list, namespace, mark, out);
      } else {
        this.take(this.wildcardBySuffix.get(""), namespace, mark, out);
        for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
          this.take(this.wildcardBySuffix.get(host.slice(i)), namespace, mark, out);
        }
      }
    } else if (isLabelWildcard(host)) {
      const suffix = host.slice(1);
      this.take(this.underSuffix.get(suffix), namespace, mark, out);
      this.take(this.wildcardBySuffix.get(""), namespace, mark, out);
      for (let i = suffix.indexOf("."); i >= 0; i = suffix.indexOf(".", i + 1)) {
        this.take(this.wildcardBySuffix.get(suffix.slice(i)), namespace, mark, out);
      }
    } else {
      // A partial wildcard overlaps names that are not split at a dot: no index helps.
      this.take(this.all, namespace, mark, out);
      return;
    }
    this.take(this.irregular, namespace, mark, out);
  }

  private take(
    list: readonly Entry[] | undefined,
    namespace: string,
    mark: number,
    out: IndexedServerHost[],
  ): void {
    if (list === undefined) return;
    for (const e of list) {
      if (e.mark !== mark && (e.scope === undefined || e.scope === namespace)) {
        e.mark = mark;
        out.push(e);
      }
    }
  }
}
