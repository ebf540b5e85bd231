/**
 * Duplicate certificates (IST0138): a Gateway and another Gateway whose selector covers the same
 * workloads (its selector contains this one's; an empty selector covers every Gateway) serve the
 * same certificate — the same `credentialName`, or the same `serverCertificate` and `privateKey`.
 * Browsers reuse an HTTP/2 connection for every host the certificate covers, and the other
 * server's routes then answer 404.
 */
import { listOf } from "../binding/list";
import { keyOf, selectorString } from "../binding";
import type { Gateway } from "../model";
import type { AnalysisContext } from "./context";
import { kindList } from "./names-list";

interface Use {
  readonly gateway: Gateway;
  readonly key: string;
  readonly serverIndex: number;
  readonly path: string;
  readonly value: string;
}

/** True when every label of `x` is in `y` with the same value (Istio's `selectorSubset`). */
function selectorSubset(
  x: Readonly<Record<string, string>> | undefined,
  y: Readonly<Record<string, string>> | undefined,
): boolean {
  for (const k of Object.keys(x ?? {})) {
    if (y === undefined || !Object.prototype.hasOwnProperty.call(y, k) || y[k] !== x![k]) return false;
  }
  return true;
}

/** Runs the duplicate-certificate finding. */
export function analyzeDuplicateCertificates(ctx: AnalysisContext): void {
  const byCertificate = new Map<string, Use[]>();
  for (const gateway of ctx.gateways) {
    const key = keyOf(gateway);
    listOf(gateway.spec?.servers).forEach((server, i) => {
      const tls = server?.tls;
      if (tls == null) return;
      let id: string;
      let use: Use;
      if ((tls.credentialName ?? "") !== "") {
        id = `credentialName\0${tls.credentialName}`;
        use = {
          gateway,
          key,
          serverIndex: i,
          path: `spec.servers[${i}].tls.credentialName`,
          value: tls.credentialName!,
        };
      } else if ((tls.serverCertificate ?? "") !== "" && (tls.privateKey ?? "") !== "") {
        id = `files\0${tls.serverCertificate}\0${tls.privateKey}`;
        use = {
          gateway,
          key,
          serverIndex: i,
          path: `spec.servers[${i}].tls.serverCertificate`,
          value: tls.serverCertificate!,
        };
      } else return;
      const list = byCertificate.get(id);
      if (list === undefined) byCertificate.set(id, [use]);
      else list.push(use);
    });
  }
  for (const uses of byCertificate.values()) {
    if (uses.length < 2) continue;
    // Group by selector so the subset test runs once per pair of distinct selectors, not per pair of uses.
    const bySelector = new Map<
      string,
      { selector: Record<string, string> | undefined; gateways: Set<string> }
    >();
    for (const u of uses) {
      const s = selectorString(u.gateway.spec?.selector);
      let g = bySelector.get(s);
      if (g === undefined)
        bySelector.set(s, (g = { selector: u.gateway.spec?.selector, gateways: new Set() }));
      g.gateways.add(u.key);
    }
    const covering = new Map<string, string[]>();
    for (const [s, g] of bySelector) {
      covering.set(
        s,
        [...bySelector]
          .filter(([, o]) => (s === "" ? true : selectorSubset(g.selector, o.selector)))
          .map(([t]) => t),
      );
    }
    for (const u of uses) {
      const others = new Set<string>();
      for (const s of covering.get(selectorString(u.gateway.spec?.selector))!) {
        for (const k of bySelector.get(s)!.gateways) if (k !== u.key) others.add(k);
      }
      if (others.size === 0) continue;
      ctx.findings.report(
        u.gateway,
        "IGW4004",
        u.path,
        `is also used by ${kindList("Gateway", [...others])} on the same workloads, so clients reusing an HTTP/2 connection may get 404s (got ${JSON.stringify(u.value)})`,
      );
    }
  }
}
