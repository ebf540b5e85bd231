/**
 * What a cluster keeps across configurations, as Envoy keeps a cluster whose definition a CDS
 * update leaves alone: its circuit-breaker counts and its outlier detector. A new configuration's
 * cluster takes them over from the serving configuration's cluster of the same name when its
 * policy is the same ({@link samePolicy}); a changed policy starts afresh, as Envoy rebuilds
 * such a cluster. Endpoints may change either way (an EDS update): once the new configuration
 * serves, {@link activateClusters} has each carried-over detector watch the new endpoints.
 *
 * Requests in flight keep the cluster runtime they started on; with the state shared, what they
 * still hold (a breaker slot, a place in the pending queue) counts against the new configuration's
 * limits too, and their outcomes feed the same detector.
 */
import type { Cluster } from "../../istio/translate/proxy-config";
import type { ClusterRuntime } from "./cluster-manager";

/** Fields of a {@link Cluster} that say which endpoints it has, not how it treats them. */
const ENDPOINT_FIELDS: ReadonlySet<string> = new Set(["endpoints", "subsetLabels", "sources"]);

/**
 * True when `a` and `b` treat their endpoints alike: same name and every field but the endpoint
 * selection equal (thresholds, outlier settings, load balancing and ring size, TLS, timeouts,
 * protocol options). A field added to {@link Cluster} later counts as policy, so state is never
 * carried over a change nobody thought of.
 */
export function samePolicy(a: Cluster, b: Cluster): boolean {
  if (a === b) return true;
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const f of fields) {
    if (ENDPOINT_FIELDS.has(f)) continue;
    const x = (a as unknown as Record<string, unknown>)[f];
    const y = (b as unknown as Record<string, unknown>)[f];
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** The state a cluster built from `config` takes over from `previous`, when their policies match. */
export function carriedState(
  config: Cluster,
  previous: ReadonlyMap<string, ClusterRuntime> | undefined,
): Pick<ClusterRuntime, "breaker" | "outlier"> | undefined {
  const prev = previous?.get(config.name);
  if (prev === undefined || !samePolicy(prev.config, config)) return undefined;
  return { breaker: prev.breaker, outlier: prev.outlier };
}

/**
 * Called once `clusters` serve: every outlier detector watches exactly its cluster's endpoints
 * (carried-over ones forget the endpoints that went and take in the new ones). Not before, so a
 * configuration that is refused after its clusters were built leaves the serving one untouched.
 */
export function activateClusters(clusters: ReadonlyMap<string, ClusterRuntime>): void {
  for (const c of clusters.values()) c.outlier?.retain(c.endpoints);
}
