/**
 * The Kubernetes envelope every configuration object shares. Field names are Kubernetes' own,
 * so an object read from YAML and one written in TypeScript have the same shape.
 */

/** The API group of the kinds this project models. */
export const ISTIO_NETWORKING_GROUP = "networking.istio.io";

/**
 * The apiVersions of `networking.istio.io` accepted as one shape. `v1` is the stored, current
 * version; `v1beta1` and `v1alpha3` are older names for the same schema, still served by Istio.
 */
export const NETWORKING_API_VERSIONS = [
  "networking.istio.io/v1",
  "networking.istio.io/v1beta1",
  "networking.istio.io/v1alpha3",
] as const;

/** The apiVersion this project writes. */
export const NETWORKING_API_VERSION = "networking.istio.io/v1";

/** Standard object metadata, as Kubernetes defines it (only the fields this project reads). */
export interface ObjectMeta {
  /**
   * Name of the object, unique per kind within its namespace. Istio requires a DNS-1123 label for
   * Gateways (lower-case letters, digits and `-`, at most 63 characters).
   */
  name?: string;
  /** Namespace of the object. Defaults to `default` where this project has to pick one. */
  namespace?: string;
  /** Labels: identifying key/value pairs. Gateway `selector`s and DestinationRule subsets match pod labels. */
  labels?: { [key: string]: string };
  /**
   * Annotations: non-identifying key/value pairs. Istio rejects some `internal.istio.io/` keys on
   * user objects.
   */
  annotations?: { [key: string]: string };
  /**
   * When the API server created the object (RFC 3339). Istio merges VirtualServices for one host in
   * creation order, oldest first; objects without it keep their input order.
   */
  creationTimestamp?: string;
  /** Opaque version the API server assigns on every change; used to tell updates apart. */
  resourceVersion?: string;
  /** Unique identifier the API server assigns. */
  uid?: string;
  /** Incremented by the API server on every change to `spec`. */
  generation?: number;
}
