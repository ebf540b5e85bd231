/**
 * `istio-gateway:index:GatewayProxy`: the TypeScript gateway proxy deployed to Kubernetes, so the
 * Gateways that select its pods (and the VirtualServices bound to them) are enforced. By default
 * nothing is built: the official Node.js image runs the proxy bundled from this package and
 * shipped in a ConfigMap; `image` runs a custom image instead (provider/Dockerfile builds one).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Port } from "../istio/model";
import { PENDING_GATEWAYS_TIMEOUT_MS, settledGateways } from "./gateway-proxy/declared-gateways";
import type { Manifest, ProxyManifests, ProxySettings } from "./gateway-proxy/manifests";
import { podLabels, proxyManifests } from "./gateway-proxy/manifests";
import { proxyBundle } from "./gateway-proxy/proxy-bundle";
import type { ResolvedProxyArgs, ServiceType } from "./gateway-proxy/proxy-args";
import { assertNoProblems, proxyArgProblems } from "./gateway-proxy/proxy-args";
import type { ProxyPort } from "./gateway-proxy/service-ports";
import { gatewaysSelecting, servicePortsFor } from "./gateway-proxy/service-ports";
import { proxyRules, sourcePermissions } from "./gateway-proxy/source-permissions";

export { ServiceType } from "./gateway-proxy/proxy-args";
export type { ProxyPort } from "./gateway-proxy/service-ports";

/** The type token of {@link GatewayProxy}. */
export const GATEWAY_PROXY_TYPE = "istio-gateway:index:GatewayProxy";

/** The namespace of the proxy when `namespace` is not given: Istio's, as for `istio-gateway proxy`. */
export const DEFAULT_PROXY_NAMESPACE = "istio-system";

/** The pod labels Gateway selectors match when `labels` is not given: Istio's ingress gateway's. */
export const DEFAULT_PROXY_LABELS: Readonly<Record<string, string>> = { istio: "ingressgateway" };

/** Requests and limits when none are given: enough for the proxy at a few hundred requests a second. */
export const DEFAULT_REQUESTS: Readonly<Record<string, string>> = { cpu: "100m", memory: "128Mi" };
/** Memory is limited (a leak restarts the pod rather than the node); CPU is not (throttling adds latency). */
export const DEFAULT_LIMITS: Readonly<Record<string, string>> = { memory: "512Mi" };

/** The inputs of a {@link GatewayProxy}. Every one is optional. */
export interface GatewayProxyArgs {
  /**
   * Name of the Deployment, Service, ServiceAccount, Role, RoleBinding and PodDisruptionBudget
   * (a DNS-1035 label). Default: the Pulumi resource name.
   */
  name?: pulumi.Input<string>;
  /**
   * Namespace of the proxy, which must exist. The proxy reads the Secrets its Gateways name in
   * `credentialName` from this namespace only, as Istio's gateways do. Default: `istio-system`.
   */
  namespace?: pulumi.Input<string>;
  /**
   * The pod labels that Gateway `selector`s match. Default: `{ istio: "ingressgateway" }`, what
   * Istio's samples select.
   */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Ports to expose besides the servers' ports of the Gateways this program declares that select
   * the proxy: for Gateways applied some other way (kubectl, another stack). Each becomes a Service
   * port; ports below 1024 are served by the pod on port+8000.
   */
  ports?: pulumi.Input<pulumi.Input<Port>[]>;
  /** The Service's type: `LoadBalancer` (default), `NodePort` or `ClusterIP`. */
  serviceType?: pulumi.Input<ServiceType>;
  /** Annotations of the Service, such as a cloud's load balancer settings. */
  serviceAnnotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Number of proxy pods. Default: 2 (the PodDisruptionBudget keeps one up during a drain). */
  replicas?: pulumi.Input<number>;
  /**
   * Proxies in front of the gateway (a cloud load balancer, a CDN) whose `X-Forwarded-For` and
   * `X-Forwarded-Proto` are trusted, as Istio's `gatewayTopology.numTrustedProxies`: the client is
   * the N-th address from the right of the `X-Forwarded-For` a request arrives with, and the
   * scheme the `X-Forwarded-Proto` it arrives with (so `httpsRedirect` lets through what the load
   * balancer received over HTTPS). Default: 0, trust nothing a client sends.
   */
  numTrustedProxies?: pulumi.Input<number>;
  /**
   * What becomes of a request's `X-Forwarded-Client-Cert`, as Istio's
   * `gatewayTopology.forwardClientCertDetails`: `SANITIZE_SET` (the default) replaces it with the
   * certificate the client presented to a `MUTUAL` or `OPTIONAL_MUTUAL` server, or drops it;
   * `SANITIZE` drops it; `FORWARD_ONLY` passes it on from clients with a certificate;
   * `APPEND_FORWARD` passes it on with theirs appended; `ALWAYS_FORWARD_ONLY` always passes it on.
   */
  forwardClientCertDetails?: pulumi.Input<string>;
  /**
   * Whether the load balancer in front sends a PROXY protocol header (v1 or v2) at the start of
   * each connection, as Istio's `gatewayTopology.proxyProtocol`: the gateway then reads it before
   * anything else, takes the client's address from it (access log, `X-Forwarded-For`,
   * `X-Envoy-External-Address`, `useSourceIp` hashing), and closes connections without a valid
   * one. Turn it on together with the load balancer's own setting (the AWS load balancer's
   * `service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"` annotation, say): clients
   * that reach the Service without the load balancer are refused then. Default: false.
   */
  proxyProtocol?: pulumi.Input<boolean>;
  /**
   * A custom image whose entry point is the `istio-gateway` command (provider/Dockerfile builds
   * one). When given, no ConfigMap is made. Default: the official Node.js image running the
   * proxy bundled from this package.
   */
  image?: pulumi.Input<string>;
  /** Container resource requests. Default: `{ cpu: "100m", memory: "128Mi" }`. */
  requests?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Container resource limits. Default: `{ memory: "512Mi" }`. */
  limits?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Do not wait for the Deployment's pods to become ready and the load balancer to get an address
   * (`pulumi.com/skipAwait`). Default: false.
   */
  skipAwait?: pulumi.Input<boolean>;
}

/**
 * The gateway proxy: a Deployment whose pods carry the labels Gateways select, a Service whose
 * ports are the servers' ports of those Gateways, least-privilege RBAC, a PodDisruptionBudget,
 * and, by default, the ConfigMap holding the bundled proxy.
 */
export class GatewayProxy extends pulumi.ComponentResource {
  /** The Service's name: the proxy's `name`. */
  readonly serviceName: pulumi.Output<string>;
  /** The namespace of every namespaced object of the proxy. */
  readonly namespace: pulumi.Output<string>;
  /** The pod labels, including the ones Gateway selectors match. */
  readonly labels: pulumi.Output<{ [key: string]: string }>;
  /** The Service ports and the pod ports behind them. */
  readonly servicePorts: pulumi.Output<ProxyPort[]>;
  /**
   * Where clients reach the proxy: the load balancer's IP address or host name once the cloud has
   * assigned one (`status.loadBalancer.ingress`), otherwise the cluster IP; empty until known.
   */
  readonly address: pulumi.Output<string>;
  /** The Deployment running the proxy. */
  readonly deployment: k8s.apps.v1.Deployment;
  /** The Service in front of it. */
  readonly service: k8s.core.v1.Service;

  constructor(name: string, args?: GatewayProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    const given = args ?? {};
    // Everything already known is checked before the component exists, so preview fails early.
    assertNoProblems(name, proxyArgProblems(plainPart({ ...given, name: given.name ?? name })));
    const rules = proxyRules(sourcePermissions());
    super(GATEWAY_PROXY_TYPE, name, given, opts);

    const resolved: pulumi.Output<ResolvedProxyArgs> = pulumi
      .output({
        name: given.name ?? name,
        namespace: given.namespace ?? DEFAULT_PROXY_NAMESPACE,
        labels: given.labels ?? DEFAULT_PROXY_LABELS,
        ports: given.ports ?? [],
        serviceType: given.serviceType ?? "LoadBalancer",
        serviceAnnotations: given.serviceAnnotations ?? {},
        replicas: given.replicas ?? 2,
        numTrustedProxies: given.numTrustedProxies ?? 0,
        forwardClientCertDetails: given.forwardClientCertDetails ?? "SANITIZE_SET",
        proxyProtocol: given.proxyProtocol ?? false,
        image: given.image,
        requests: given.requests ?? DEFAULT_REQUESTS,
        limits: given.limits ?? DEFAULT_LIMITS,
        skipAwait: given.skipAwait ?? false,
      })
      .apply((v) => {
        const out = { ...v } as ResolvedProxyArgs;
        if (out.image === undefined) delete out.image;
        assertNoProblems(name, proxyArgProblems(out));
        return out;
      });

    this.serviceName = resolved.name;
    this.namespace = resolved.namespace;
    this.labels = resolved.apply((v) => podLabels(v));
    this.servicePorts = resolved.apply((v) => portsOf(v, name, this));

    const custom = given.image !== undefined;
    const settings = pulumi
      .all([resolved, this.servicePorts])
      .apply(async ([v, ports]): Promise<ProxySettings> => {
        const bundle = custom ? undefined : await proxyBundle();
        return {
          ...v,
          ports,
          rules,
          ...(bundle === undefined
            ? {}
            : { bundle: { sha256: bundle.sha256, base64: bundle.compressed.toString("base64") } }),
        };
      });
    const manifests = settings.apply(proxyManifests);
    const child = { parent: this };

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      name,
      fields(manifests, "serviceAccount", ["automountServiceAccountToken"]),
      child,
    );
    const access: pulumi.Resource[] = [serviceAccount];
    if (rules.cluster.length > 0) {
      const role = new k8s.rbac.v1.ClusterRole(name, fields(manifests, "clusterRole", ["rules"]), child);
      access.push(
        role,
        new k8s.rbac.v1.ClusterRoleBinding(
          name,
          fields(manifests, "clusterRoleBinding", ["roleRef", "subjects"]),
          { parent: this, dependsOn: [role, serviceAccount] },
        ),
      );
    }
    if (rules.namespaced.length > 0) {
      const role = new k8s.rbac.v1.Role(name, fields(manifests, "role", ["rules"]), child);
      access.push(
        role,
        new k8s.rbac.v1.RoleBinding(name, fields(manifests, "roleBinding", ["roleRef", "subjects"]), {
          parent: this,
          dependsOn: [role, serviceAccount],
        }),
      );
    }
    if (!custom)
      access.push(
        new k8s.core.v1.ConfigMap(
          name,
          fields(manifests, "configMap", ["immutable", "data", "binaryData"]),
          child,
        ),
      );
    this.deployment = new k8s.apps.v1.Deployment(name, fields(manifests, "deployment", ["spec"]), {
      parent: this,
      dependsOn: access,
    });
    this.service = new k8s.core.v1.Service(name, fields(manifests, "service", ["spec"]), child);
    new k8s.policy.v1.PodDisruptionBudget(name, fields(manifests, "podDisruptionBudget", ["spec"]), child);

    this.address = pulumi.all([this.service.spec, this.service.status]).apply(([spec, status]) => {
      const ingress = status?.loadBalancer?.ingress?.[0];
      return (
        ingress?.ip ?? ingress?.hostname ?? (spec?.type === "LoadBalancer" ? "" : (spec?.clusterIP ?? ""))
      );
    });
    this.registerOutputs({
      serviceName: this.serviceName,
      namespace: this.namespace,
      labels: this.labels,
      servicePorts: this.servicePorts,
      address: this.address,
      deployment: this.deployment,
      service: this.service,
    });
  }
}

/** The Service ports: the servers' of the declared Gateways selecting the pods, plus `ports`. */
async function portsOf(
  v: ResolvedProxyArgs,
  resourceName: string,
  proxy: pulumi.Resource,
): Promise<ProxyPort[]> {
  const declared = await settledGateways();
  const labels = podLabels(v);
  const selecting = gatewaysSelecting(declared.gateways, labels);
  const ports = servicePortsFor(selecting, v.ports);
  const keys = selecting.map((g) => g.key).sort();
  void pulumi.log.info(
    `Gateways selecting ${JSON.stringify(v.labels)}: ${keys.length === 0 ? "none" : keys.join(", ")}; Service ports ${ports.map((p) => `${p.port}->${p.targetPort}`).join(", ") || "none"}`,
    proxy,
  );
  if (declared.pending > 0 && pulumi.runtime.isDryRun()) {
    void pulumi.log.info(
      `${declared.pending} Gateway(s) of this program are not known yet; their ports are added when their values are`,
      proxy,
    );
  } else if (declared.pending > 0) {
    void pulumi.log.warn(
      `${declared.pending} Gateway(s) of this program were still not known after ${PENDING_GATEWAYS_TIMEOUT_MS / 1000}s; their ports are not in the Service (give them as "ports")`,
      proxy,
    );
  } else if (ports.length === 0) {
    assertNoProblems(resourceName, [
      {
        propertyPath: "ports",
        reason: `required when no Gateway declared in the program selects the labels ${JSON.stringify(v.labels)} (got [])`,
      },
    ]);
  }
  return ports;
}

/** The fields of one manifest as resource args (metadata included), each an Output of the manifests. */
function fields<T>(
  manifests: pulumi.Output<ProxyManifests>,
  which: keyof ProxyManifests,
  names: string[],
): T {
  const pick = (m: ProxyManifests): Manifest => {
    const manifest = m[which];
    if (manifest === undefined) throw new Error(`the proxy has no ${which}`);
    return manifest;
  };
  const out: Record<string, pulumi.Output<unknown>> = { metadata: manifests.apply((m) => pick(m).metadata) };
  for (const f of names) out[f] = manifests.apply((m) => pick(m)[f]);
  return out as T;
}

/** The inputs that are plain values (no Output or Promise anywhere inside), for the early check. */
function plainPart(args: GatewayProxyArgs): Partial<ResolvedProxyArgs> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== undefined && isPlain(v)) out[k] = v;
  return out as Partial<ResolvedProxyArgs>;
}

function isPlain(v: unknown): boolean {
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return false;
  if (Array.isArray(v)) return v.every(isPlain);
  if (v !== null && typeof v === "object") return Object.values(v).every(isPlain);
  return true;
}
