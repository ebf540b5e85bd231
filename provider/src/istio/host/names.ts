/**
 * Lists of host names (Istio's `host.Names`) and the namespace-qualified hosts of Gateway servers
 * (`ns/host`, `./host`, `*\/host`).
 */
import { subsetOf } from "./name";

/**
 * The hosts covered by both lists (Istio's `Names.Intersection`): for each pair, the narrower name
 * when one is a subset of the other; order of first appearance, without duplicates.
 * `intersection(["*.example.com"], ["a.example.com"])` is `["a.example.com"]`.
 */
export function intersection(a: readonly string[], b: readonly string[]): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  const add = (h: string): void => {
    if (!seen.has(h)) {
      seen.add(h);
      result.push(h);
    }
  };
  for (const x of a) {
    for (const y of b) {
      if (subsetOf(x, y)) add(x);
      else if (subsetOf(y, x)) add(y);
    }
  }
  return result;
}

/**
 * The hosts of a Gateway server visible to `namespace` (Istio's `NamesForNamespace`): `ns/h` is kept
 * as `h` only for that namespace, `*\/h` as `h` for every namespace, an unqualified `h` as is.
 */
export function namesForNamespace(hosts: readonly string[], namespace: string): string[] {
  const result: string[] = [];
  for (const host of hosts) {
    const slash = host.indexOf("/");
    if (slash < 0) {
      result.push(host);
      continue;
    }
    const ns = host.slice(0, slash);
    if (ns === namespace || ns === "*") result.push(host.slice(slash + 1));
  }
  return result;
}

/**
 * Resolves the relative namespace forms of server hosts as pilot does when it merges Gateways
 * (`sanitizeServerHostNamespace`): `./h` becomes `<gatewayNamespace>/h`, `*\/h` becomes `h`, and a
 * `*\/*` anywhere makes the whole list `["*"]`. Other entries are kept as they are.
 */
export function sanitizeServerHosts(hosts: readonly string[], gatewayNamespace: string): string[] {
  const result: string[] = [];
  for (const host of hosts) {
    if (!host.includes("/")) {
      result.push(host);
      continue;
    }
    // Istio splits on every "/" and uses the first two parts.
    const [ns, name] = host.split("/") as [string, string];
    if (ns === ".") result.push(`${gatewayNamespace}/${name}`);
    else if (ns === "*") {
      if (name === "*") return ["*"];
      result.push(name);
    } else result.push(host);
  }
  return result;
}
