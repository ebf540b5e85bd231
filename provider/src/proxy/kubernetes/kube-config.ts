/**
 * Where the source finds the API server: a kubeconfig file when one is named (`--kubeconfig`),
 * else the client's defaults in its order: `$KUBECONFIG`, `~/.kube/config`, then the pod's
 * service account (in-cluster: `KUBERNETES_SERVICE_HOST` and the mounted token and CA).
 */
import { KubeConfig } from "@kubernetes/client-node";

/** Loads the kubeconfig from `path`, or from the defaults (in-cluster included) when absent. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined && path !== "") kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (kc.getCurrentCluster() === null) {
    throw new Error(
      path === undefined
        ? "no Kubernetes API server found: set KUBECONFIG, pass --kubeconfig, or run in a pod"
        : `the kubeconfig ${JSON.stringify(path)} has no current cluster`,
    );
  }
  return kc;
}
