/**
 * The credential Secrets the proxy's certificates were last read from, kept as Envoy keeps the
 * secrets SDS sent it. Istio's control plane sends a gateway a `credentialName` Secret's
 * certificate when it can read one; when the Secret is deleted, or loses its certificate and key,
 * it sends nothing, and Envoy goes on serving the certificate it has until the gateway restarts.
 * The proxy does the same: a Secret that a served certificate came from stands in for the Secret
 * of that name when it is gone or unusable, and a finding says so, while routes and every other
 * change still apply, as they do in Istio. A Secret no served certificate comes from any more is
 * forgotten, as Envoy drops an SDS secret no listener uses.
 */
import { namespaceOf } from "../../istio/binding";
import type { Resource, Secret } from "../../istio/model";
import type { DataSource, ProxyConfig } from "../../istio/translate/proxy-config";
import { translateCodes } from "../../istio/translate/codes";
import { secretCaBundle, secretKeyPair, secretOfSource } from "../../istio/translate/secrets";
import type { Issue } from "../../istio/validate";

/** `namespace/name` of a Secret. */
function keyOf(secret: Secret): string {
  return `${namespaceOf(secret)}/${secret.metadata?.name ?? ""}`;
}

/** Whether a Secret gives anything a server can use: a certificate and key, or a CA bundle. */
function usable(secret: Secret): boolean {
  return secretKeyPair(secret) !== undefined || secretCaBundle(secret) !== undefined;
}

/** The Secrets (`namespace/name`) the TLS of `config`'s filter chains was read from. */
export function secretsServedBy(config: ProxyConfig): Set<string> {
  const out = new Set<string>();
  const add = (source: DataSource | undefined) => {
    const key = source === undefined ? undefined : secretOfSource(source);
    if (key !== undefined) out.add(key);
  };
  for (const listener of config.listeners) {
    for (const chain of listener.filterChains) {
      const tls = chain.tls;
      if (tls === undefined) continue;
      for (const c of tls.certificates) {
        add(c.certificateChain);
        add(c.privateKey);
      }
      add(tls.caCertificates);
      add(tls.crl);
    }
  }
  return out;
}

/** Resources with served Secrets standing in for missing or unusable ones. */
export interface WithServedSecrets {
  /** The resources to translate. */
  readonly resources: Resource[];
  /** The Secrets (`namespace/name`) that stand in. */
  readonly standIns: ReadonlySet<string>;
}

/** The credential Secrets served, across configurations. */
export class ServedSecrets {
  private served = new Map<string, Secret>();

  /**
   * `resources` with each served Secret that is missing from them, or present but without a
   * certificate and key or a CA bundle, put back as it was served.
   */
  standIn(resources: readonly Resource[]): WithServedSecrets {
    if (this.served.size === 0) return { resources: [...resources], standIns: new Set() };
    const current = new Map<string, Secret>();
    for (const r of resources) if (r.kind === "Secret") current.set(keyOf(r), r);
    const standIns = new Set<string>();
    const out = resources.filter((r) => {
      if (r.kind !== "Secret") return true;
      const key = keyOf(r);
      if (!this.served.has(key) || usable(r)) return true;
      standIns.add(key);
      return false;
    });
    for (const [key, secret] of this.served) {
      if (standIns.has(key) || !current.has(key)) {
        standIns.add(key);
        out.push(secret);
      }
    }
    return { resources: out, standIns };
  }

  /**
   * Takes `config` as served, translated from `input`: remembers the Secrets its certificates come
   * from and forgets the others. Returns a finding (IGW6023) for each stand-in it still serves.
   */
  take(config: ProxyConfig, input: WithServedSecrets): Issue[] {
    const used = secretsServedBy(config);
    const next = new Map<string, Secret>();
    for (const r of input.resources) {
      if (r.kind === "Secret" && used.has(keyOf(r))) next.set(keyOf(r), r);
    }
    this.served = next;
    return [...input.standIns]
      .filter((key) => used.has(key))
      .sort()
      .map((key) => {
        const slash = key.indexOf("/");
        return {
          severity: translateCodes.IGW6023.severity,
          code: "IGW6023",
          resource: { kind: "Secret", namespace: key.slice(0, slash), name: key.slice(slash + 1) },
          path: "",
          message:
            "is missing, or has no certificate and key or CA bundle: the certificates last read from it are still served, as Envoy keeps the last secret SDS sent until the gateway restarts",
        };
      });
  }
}
