// Pulumi mocks for the GatewayProxy suites: every registration recorded, inputs echoed as state,
// and Services given what a cloud would fill in (a cluster IP and a load balancer address).
import * as pulumi from "@pulumi/pulumi";
import { recordDependencies } from "../provider/mocks";

/** A resource as the engine would receive it. */
export interface Registered {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
  /** URNs of the resources it was registered as depending on. */
  dependencies: string[];
}

/** The address the mocked cloud gives every LoadBalancer Service. */
export const LOAD_BALANCER_IP = "203.0.113.10";
/** The cluster IP the mocked API server gives every Service. */
export const CLUSTER_IP = "10.96.0.10";

/** Installs the mocks (once per process) and returns the live list of registrations. */
export async function installProxyMocks(preview: boolean): Promise<Registered[]> {
  const registered: Registered[] = [];
  const dependencies = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          dependencies: dependencies.get(`${args.type} ${args.name}`) ?? [],
        });
        const state = { ...args.inputs };
        if (args.type === "kubernetes:core/v1:Service") {
          state.spec = { ...args.inputs.spec, clusterIP: CLUSTER_IP };
          if (args.inputs.spec?.type === "LoadBalancer")
            state.status = { loadBalancer: { ingress: [{ ip: LOAD_BALANCER_IP }] } };
        }
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    "istio-gateway-proxy-test",
    preview ? "preview" : "update",
    preview,
  );
  recordDependencies(dependencies);
  return registered;
}

/** Resolves once `done()` holds, polling; rejects after `timeoutMs` with what was awaited. */
export async function until(what: string, done: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The resource types of one proxy, in a fixed order, as `type name`. */
export const PROXY_RESOURCE_TYPES = [
  "istio-gateway:index:GatewayProxy",
  "kubernetes:core/v1:ServiceAccount",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  "kubernetes:rbac.authorization.k8s.io/v1:Role",
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  "kubernetes:core/v1:ConfigMap",
  "kubernetes:apps/v1:Deployment",
  "kubernetes:core/v1:Service",
  "kubernetes:policy/v1:PodDisruptionBudget",
] as const;

/** Which manifest of `proxyManifests` each child type is made from. */
export const MANIFEST_OF: Record<string, string> = {
  "kubernetes:core/v1:ServiceAccount": "serviceAccount",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": "clusterRole",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": "clusterRoleBinding",
  "kubernetes:rbac.authorization.k8s.io/v1:Role": "role",
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": "roleBinding",
  "kubernetes:core/v1:ConfigMap": "configMap",
  "kubernetes:apps/v1:Deployment": "deployment",
  "kubernetes:core/v1:Service": "service",
  "kubernetes:policy/v1:PodDisruptionBudget": "podDisruptionBudget",
};
