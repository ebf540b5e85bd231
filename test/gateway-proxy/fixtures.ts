// Settings and expectations shared by the GatewayProxy suites.
import { KUBERNETES_SOURCE_PERMISSIONS } from "../../provider/src/proxy/kubernetes/rbac";
import type { ProxySettings } from "../../provider/src/components/gateway-proxy/manifests";
import type { ProxyRules } from "../../provider/src/components/gateway-proxy/source-permissions";

/** The RBAC rules written out from the source's own constant, independently of the component's code. */
export function expectedRules(): ProxyRules {
  const rule = (p: (typeof KUBERNETES_SOURCE_PERMISSIONS)[number]) => ({
    apiGroups: [p.apiGroup],
    resources: [p.resource],
    verbs: [...p.verbs],
  });
  return {
    cluster: KUBERNETES_SOURCE_PERMISSIONS.filter((p) => p.scope === "cluster").map(rule),
    namespaced: KUBERNETES_SOURCE_PERMISSIONS.filter((p) => p.scope === "proxy-namespace").map(rule),
  };
}

/** A proxy for the bookinfo Gateway (HTTPS 443 and HTTP 80) in namespace `gateways`. */
export function bookinfoSettings(overrides: Partial<ProxySettings> = {}): ProxySettings {
  return {
    name: "ingress",
    namespace: "gateways",
    labels: { istio: "ingressgateway" },
    ports: [
      { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
    ],
    serviceType: "LoadBalancer",
    serviceAnnotations: {},
    replicas: 2,
    numTrustedProxies: 0,
    forwardClientCertDetails: "SANITIZE_SET",
    proxyProtocol: false,
    bundle: { sha256: "ab".repeat(32), base64: Buffer.from("not a real bundle").toString("base64") },
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { memory: "512Mi" },
    rules: expectedRules(),
    skipAwait: false,
    ...overrides,
  };
}
