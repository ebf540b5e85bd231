/**
 * The Kubernetes objects of a gateway proxy as plain manifests: the component creates exactly
 * these, and the tests check them against the restricted Pod Security Standard and the real API
 * server. Names are derived from the proxy's name (the ConfigMap's also from the bundle's hash,
 * so a changed proxy is a new ConfigMap and a rollout, and an unchanged one is no diff).
 */
import type { ProxyPort } from "./service-ports";
import type { PolicyRule, ProxyRules } from "./source-permissions";
import { BUNDLE_KEY, BUNDLE_MOUNT_PATH, LOADER_KEY, LOADER_SOURCE } from "./proxy-bundle";

/** The official Node.js image the zero-build Deployment runs (see the README for the choice). */
export const NODE_IMAGE = "node:22.23.3-alpine";

/** The port of `/healthz/ready` and `/metrics`, as on Istio's gateways. */
export const STATUS_PORT = 15021;

/** The numeric user and group of the `node` user in the official images (and in provider/Dockerfile). */
export const PROXY_UID = 1000;

/** Seconds the proxy lets in-flight requests finish after SIGTERM. */
export const DRAIN_SECONDS = 30;

/** Labels every object of a proxy carries, besides the pod labels the Gateways select. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "istio-gateway" } as const;

/** Everything the manifests are made from, resolved. */
export interface ProxySettings {
  /** Name of the Deployment, Service, ServiceAccount, Role, RoleBinding and PodDisruptionBudget. */
  name: string;
  /** Namespace of the namespaced objects (where the proxy reads `credentialName` Secrets). */
  namespace: string;
  /** The labels Gateway selectors match (`istio: ingressgateway`). */
  labels: Record<string, string>;
  /** The Service ports and the pod ports behind them. */
  ports: ProxyPort[];
  /** `LoadBalancer`, `NodePort` or `ClusterIP`. */
  serviceType: string;
  /** Annotations of the Service (load balancer settings). */
  serviceAnnotations: Record<string, string>;
  /** Pods. */
  replicas: number;
  /** Proxies in front whose forwarding headers are trusted (`--num-trusted-proxies`); 0 leaves it out. */
  numTrustedProxies: number;
  /** What becomes of `x-forwarded-client-cert` (`--forward-client-cert-details`); `SANITIZE_SET` leaves it out. */
  forwardClientCertDetails: string;
  /** Connections start with a PROXY protocol header (`--proxy-protocol`); false leaves it out. */
  proxyProtocol: boolean;
  /** A custom image whose entry point is `istio-gateway`; when absent, the Node.js image runs the bundle. */
  image?: string;
  /** Hex SHA-256 and Brotli-compressed base64 of the bundle; required when `image` is absent. */
  bundle?: { sha256: string; base64: string };
  /** Container resource requests. */
  requests: Record<string, string>;
  /** Container resource limits. */
  limits: Record<string, string>;
  /** What the proxy may read. */
  rules: ProxyRules;
  /** Tell Pulumi not to wait for the Deployment's rollout and the Service's address. */
  skipAwait: boolean;
}

/** A Kubernetes object. */
export interface Manifest {
  /** `group/version`. */
  apiVersion: string;
  /** The kind. */
  kind: string;
  /** Name, namespace, labels, annotations. */
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** The rest of the object (`spec`, `rules`, `data`, ...). */
  [field: string]: unknown;
}

/** The objects of one proxy. */
export interface ProxyManifests {
  serviceAccount: Manifest;
  clusterRole?: Manifest;
  clusterRoleBinding?: Manifest;
  role?: Manifest;
  roleBinding?: Manifest;
  /** Absent with a custom image. */
  configMap?: Manifest;
  deployment: Manifest;
  service: Manifest;
  podDisruptionBudget: Manifest;
}

/** The pod labels: the selected labels plus the instance label that ties pods to this proxy only. */
export function podLabels(s: Pick<ProxySettings, "name" | "labels">): Record<string, string> {
  return { ...s.labels, ...selectorLabels(s) };
}

/** What the Deployment, Service and PodDisruptionBudget select: this proxy's pods and no other. */
export function selectorLabels(s: Pick<ProxySettings, "name">): Record<string, string> {
  return { "app.kubernetes.io/name": "istio-gateway-proxy", "app.kubernetes.io/instance": s.name };
}

/** The name of the ConfigMap holding the bundle with this hash. */
export function configMapName(name: string, sha256: string): string {
  return `${name}-proxy-${sha256.slice(0, 12)}`;
}

/** The name of the ClusterRole and its binding (cluster-wide, so the namespace is part of it). */
export function clusterRoleName(s: Pick<ProxySettings, "name" | "namespace">): string {
  return `istio-gateway:${s.namespace}:${s.name}`;
}

/** The proxy's command-line arguments after `istio-gateway`. */
export function proxyArgs(s: ProxySettings): string[] {
  const labels = podLabels(s);
  const args = [
    "proxy",
    "--kubernetes",
    "--namespace",
    s.namespace,
    "--labels",
    Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(","),
    // The Deployment is the workload Istio's metrics name as their source.
    "--workload-name",
    s.name,
    "--status-port",
    String(STATUS_PORT),
    "--drain-timeout",
    String(DRAIN_SECONDS),
  ];
  if (s.numTrustedProxies > 0) args.push("--num-trusted-proxies", String(s.numTrustedProxies));
  if (s.forwardClientCertDetails !== "SANITIZE_SET") {
    args.push("--forward-client-cert-details", s.forwardClientCertDetails);
  }
  if (s.proxyProtocol) args.push("--proxy-protocol");
  for (const p of s.ports) args.push("--port", `${p.port}=${p.targetPort}`);
  return args;
}

function withAnnotations(
  metadata: Manifest["metadata"],
  annotations: Record<string, string>,
): Manifest["metadata"] {
  return Object.keys(annotations).length === 0 ? metadata : { ...metadata, annotations };
}

/** Builds every object of the proxy. */
export function proxyManifests(s: ProxySettings): ProxyManifests {
  const labels = { ...podLabels(s), ...MANAGED_BY };
  const meta = (name: string) => ({ name, namespace: s.namespace, labels });
  const awaitAnnotations: Record<string, string> = s.skipAwait ? { "pulumi.com/skipAwait": "true" } : {};
  const subject = [{ kind: "ServiceAccount", name: s.name, namespace: s.namespace }];
  const rbac = (kind: "ClusterRole" | "Role", rules: PolicyRule[]) => {
    if (rules.length === 0) return {};
    const name = kind === "ClusterRole" ? clusterRoleName(s) : s.name;
    const metadata = kind === "ClusterRole" ? { name, labels } : meta(name);
    const role: Manifest = { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata, rules };
    const binding: Manifest = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: `${kind}Binding`,
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name },
      subjects: subject,
    };
    return kind === "ClusterRole"
      ? { clusterRole: role, clusterRoleBinding: binding }
      : { role, roleBinding: binding };
  };

  let configMap: Manifest | undefined;
  const volumes: unknown[] = [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }];
  const volumeMounts: unknown[] = [{ name: "tmp", mountPath: "/tmp" }];
  let runtime: { image: string; command?: string[] };
  if (s.image !== undefined) runtime = { image: s.image };
  else {
    if (s.bundle === undefined) throw new Error("the proxy bundle is required when no image is given");
    configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        ...meta(configMapName(s.name, s.bundle.sha256)),
        annotations: { "istio-gateway.io/bundle-sha256": s.bundle.sha256 },
      },
      immutable: true,
      data: { [LOADER_KEY]: LOADER_SOURCE },
      binaryData: { [BUNDLE_KEY]: s.bundle.base64 },
    };
    volumes.push({ name: "proxy", configMap: { name: configMap.metadata.name, defaultMode: 0o444 } });
    volumeMounts.push({ name: "proxy", mountPath: BUNDLE_MOUNT_PATH, readOnly: true });
    runtime = { image: NODE_IMAGE, command: ["node", `${BUNDLE_MOUNT_PATH}/${LOADER_KEY}`] };
  }

  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: "/healthz/ready", port: STATUS_PORT, scheme: "HTTP" },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  const container = {
    name: "istio-proxy",
    ...runtime,
    imagePullPolicy: "IfNotPresent",
    args: proxyArgs(s),
    env: [{ name: "NODE_ENV", value: "production" }],
    ports: [
      ...s.ports.map((p) => ({ containerPort: p.targetPort, protocol: "TCP" })),
      { name: "status-port", containerPort: STATUS_PORT, protocol: "TCP" },
    ],
    readinessProbe: probe(5, 3),
    livenessProbe: { ...probe(10, 6), initialDelaySeconds: 10 },
    resources: { requests: s.requests, limits: s.limits },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts,
  };
  const selector = selectorLabels(s);
  const deployment: Manifest = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: s.skipAwait ? { ...meta(s.name), annotations: awaitAnnotations } : meta(s.name),
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: podLabels(s),
          annotations: {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(STATUS_PORT),
            "prometheus.io/path": "/metrics",
          },
        },
        spec: {
          serviceAccountName: s.name,
          automountServiceAccountToken: true,
          terminationGracePeriodSeconds: DRAIN_SECONDS + 15,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: PROXY_UID,
            runAsGroup: PROXY_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [container],
          volumes,
        },
      },
    },
  };
  const service: Manifest = {
    apiVersion: "v1",
    kind: "Service",
    metadata: withAnnotations(meta(s.name), { ...s.serviceAnnotations, ...awaitAnnotations }),
    spec: {
      type: s.serviceType,
      selector,
      ports: s.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })),
    },
  };
  const podDisruptionBudget: Manifest = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(s.name),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
  return {
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(s.name),
      automountServiceAccountToken: true,
    },
    ...rbac("ClusterRole", s.rules.cluster),
    ...rbac("Role", s.rules.namespaced),
    ...(configMap === undefined ? {} : { configMap }),
    deployment,
    service,
    podDisruptionBudget,
  };
}
