// A Kubernetes control plane for tests: etcd and kube-apiserver on loopback, torn down completely
// afterwards. It is the one `istio-gateway demo` runs (provider/src/local/control-plane), under the
// names the suites use.
export {
  kubeconfigText,
  startControlPlane as startCluster,
  type ControlPlaneOptions as ClusterOptions,
  type ControlPlane as LocalCluster,
  waitForEstablished,
} from "../../../provider/src/local/control-plane";
