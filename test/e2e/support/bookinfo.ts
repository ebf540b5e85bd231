/** What previewing the bookinfo example (the root program) plans, as `<type> <name>`. */

/** The resources bookinfo creates on stack `stack`, in sorted order, its provider included. */
export function bookinfoPlannedResources(stack: string): string[] {
  return [
    "istio-gateway:index:Gateway bookinfo-gateway",
    "istio-gateway:index:GatewayProxy ingressgateway",
    "istio-gateway:index:VirtualService bookinfo",
    "kubernetes:apps/v1:Deployment ingressgateway",
    "kubernetes:core/v1:ConfigMap ingressgateway",
    "kubernetes:core/v1:Service ingressgateway",
    "kubernetes:core/v1:ServiceAccount ingressgateway",
    "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
    "kubernetes:policy/v1:PodDisruptionBudget ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:Role ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding ingressgateway",
    "pulumi:providers:kubernetes default_4_34_2",
    `pulumi:pulumi:Stack ${stack}`,
  ].sort();
}
