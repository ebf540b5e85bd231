/** Options of `analyzeResources`, and the defaults `istioctl analyze` assumes for file input. */

/** Where gateway pods run when the input does not say: where Istio installs its ingress gateway. */
export const DEFAULT_GATEWAY_NAMESPACE = "istio-system";

/** The labels of Istio's default ingress gateway pods. */
export const DEFAULT_INGRESS_LABELS: Readonly<Record<string, string>> = Object.freeze({
  istio: "ingressgateway",
});

/** The ports of Istio's default `istio-ingressgateway` Service, as `istioctl analyze` assumes them. */
export const DEFAULT_INGRESS_SERVICE_PORTS: readonly number[] = Object.freeze([80, 443, 31400, 15443]);

/** Options of the cross-resource analysis. */
export interface AnalyzeOptions {
  /** Report the warnings that silently break traffic (code table `strict`) as errors. Default false. */
  strict?: boolean;
  /**
   * The namespace of the gateway pods serving a Gateway that selects no Pod of the input (and of
   * every Gateway when the input has no Pods): used for `exportTo` and to find `credentialName`
   * Secrets. Default `istio-system`. When the input has Pods, a Gateway runs in the namespaces of
   * the Pods its selector selects, as `istioctl analyze` decides.
   */
  gatewayNamespace?: string;
  /** The time certificates must be valid at. Default: now. */
  now?: Date;
  /**
   * Assume, as `istioctl analyze` does for files, that Istio's default ingress gateway exists: a Pod
   * labelled `istio=ingressgateway` and the Service `istio-ingressgateway` (ports 80, 443, 31400,
   * 15443) in the gateway namespace. They count only for the Pod and Service checks, which run
   * when the input has Pods or Services. Default true.
   */
  implicitIngressGateway?: boolean;
}
