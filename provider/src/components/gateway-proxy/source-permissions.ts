/**
 * The RBAC of a gateway proxy, generated from what its Kubernetes configuration source declares it
 * reads (`KUBERNETES_SOURCE_PERMISSIONS` in `src/proxy/kubernetes/rbac.ts`) and nothing more: a
 * ClusterRole for what it reads in every namespace, a Role in its own namespace for the rest
 * (the `credentialName` Secrets).
 *
 * Components ship the proxy, they do not import it (one-way dependencies), so the list is read
 * the way the proxy itself is shipped: through esbuild, from the proxy's own source file.
 */
import { buildSync } from "esbuild";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./proxy-bundle";

/** One permission of the source, as `rbac.ts` declares it. */
export interface SourcePermission {
  /** The API group (`""` is the core group). */
  readonly apiGroup: string;
  /** The resource, plural and lower case. */
  readonly resource: string;
  /** The verbs used. */
  readonly verbs: readonly string[];
  /** `cluster` (a ClusterRole) or `proxy-namespace` (a Role in the proxy's namespace). */
  readonly scope: string;
}

/** One RBAC policy rule, as `rbac.authorization.k8s.io/v1` writes it. */
export interface PolicyRule {
  /** API groups. */
  apiGroups: string[];
  /** Resources. */
  resources: string[];
  /** Verbs. */
  verbs: string[];
}

/** The rules of the ClusterRole and of the Role. */
export interface ProxyRules {
  /** Read in every namespace. */
  cluster: PolicyRule[];
  /** Read in the proxy's namespace only. */
  namespaced: PolicyRule[];
}

/** The source file that declares the permissions. */
export const PERMISSIONS_SOURCE = join(PACKAGE_ROOT, "src", "proxy", "kubernetes", "rbac.ts");

let cached: readonly SourcePermission[] | undefined;

/** `KUBERNETES_SOURCE_PERMISSIONS`, read from the proxy's source. */
export function sourcePermissions(): readonly SourcePermission[] {
  if (cached !== undefined) return cached;
  const out = buildSync({
    entryPoints: [PERMISSIONS_SOURCE],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    logLevel: "silent",
  });
  const module = { exports: {} as { KUBERNETES_SOURCE_PERMISSIONS?: readonly SourcePermission[] } };
  new Function("module", "exports", out.outputFiles[0]!.text)(module, module.exports);
  const list = module.exports.KUBERNETES_SOURCE_PERMISSIONS;
  if (!Array.isArray(list)) throw new Error(`${PERMISSIONS_SOURCE} exports no KUBERNETES_SOURCE_PERMISSIONS`);
  cached = list;
  return list;
}

/** One rule per permission, in the source's order; unknown scopes are refused rather than guessed. */
export function proxyRules(permissions: readonly SourcePermission[]): ProxyRules {
  const rules: ProxyRules = { cluster: [], namespaced: [] };
  for (const p of permissions) {
    const rule = { apiGroups: [p.apiGroup], resources: [p.resource], verbs: [...p.verbs] };
    if (p.scope === "cluster") rules.cluster.push(rule);
    else if (p.scope === "proxy-namespace") rules.namespaced.push(rule);
    else
      throw new Error(
        `permission for ${JSON.stringify(p.resource)} has an unknown scope ${JSON.stringify(p.scope)}`,
      );
  }
  return rules;
}
