/**
 * The Kubernetes envelope of a component's custom resource: the part of `metadata` a user sets.
 * A named interface (not the model's `ObjectMeta`) because Pulumi's schema needs `Input<T>` fields
 * and the server-assigned fields (`uid`, `resourceVersion`, ...) are not inputs.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The namespace a resource lands in when `metadata.namespace` is not given. */
export const DEFAULT_NAMESPACE = "default";

/** Name, namespace, labels and annotations of the custom resource a component creates. */
export interface ResourceMetadata {
  /**
   * Name of the custom resource. Default: the Pulumi resource name, exactly (no random suffix), so
   * that VirtualServices can name a Gateway in `spec.gateways` before it exists. Istio requires a
   * DNS-1123 label for Gateways.
   */
  name?: pulumi.Input<string>;
  /** Namespace of the custom resource. Default: `default`. */
  namespace?: pulumi.Input<string>;
  /** Labels of the custom resource. */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Annotations of the custom resource. Istio rejects some `internal.istio.io/` keys. */
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}
