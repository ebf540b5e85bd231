/**
 * What every analyzer shares: the input split by kind, the gateway pods each Gateway runs on,
 * the VirtualService bindings (built once) and the findings.
 */
import { buildGatewayBindings, keyOf, namespaceOf, selectorMatches, selectorString } from "../binding";
import type { GatewayBindings } from "../binding";
import type {
  DestinationRule,
  Gateway,
  Pod,
  Resource,
  Secret,
  Service,
  ServiceEntry,
  VirtualService,
} from "../model";
import { Findings } from "./findings";
import type { AnalyzeOptions } from "./options";
import { DEFAULT_GATEWAY_NAMESPACE, DEFAULT_INGRESS_LABELS, DEFAULT_INGRESS_SERVICE_PORTS } from "./options";

/** The input of the analysis, split by kind, with the indexes several analyzers need. */
export class AnalysisContext {
  readonly gateways: Gateway[] = [];
  readonly virtualServices: VirtualService[] = [];
  readonly destinationRules: DestinationRule[] = [];
  readonly serviceEntries: ServiceEntry[] = [];
  readonly secrets: Secret[] = [];
  readonly services: Service[] = [];
  /** Pods of the input, without the assumed default ingress gateway pod. */
  readonly pods: Pod[] = [];
  /** Pods the analysis assumes: the input's, plus istioctl's default ingress gateway pod. */
  readonly assumedPods: Pod[];
  /** Services the analysis assumes: the input's, plus istioctl's default ingress gateway Service. */
  readonly assumedServices: Service[];
  /** The namespace of gateway pods not found in the input. */
  readonly gatewayNamespace: string;
  /** The time certificates must be valid at. */
  readonly now: Date;
  /** The findings. */
  readonly findings: Findings;
  /** Secrets by `<namespace>/<name>`. */
  readonly secretsByKey = new Map<string, Secret>();
  /** VirtualServices by `<namespace>/<name>` (the first of each key). */
  readonly virtualServicesByKey = new Map<string, VirtualService>();
  /** The binding of every VirtualService to every Gateway server. */
  readonly bindings: GatewayBindings;
  private readonly podsBySelector = new Map<string, Pod[]>();
  private readonly implicitPod: Pod | undefined;

  constructor(resources: readonly Resource[], options: AnalyzeOptions) {
    for (const r of resources) {
      switch (r?.kind) {
        case "Gateway":
          this.gateways.push(r);
          break;
        case "VirtualService":
          this.virtualServices.push(r);
          if (!this.virtualServicesByKey.has(keyOf(r))) this.virtualServicesByKey.set(keyOf(r), r);
          break;
        case "DestinationRule":
          this.destinationRules.push(r);
          break;
        case "ServiceEntry":
          this.serviceEntries.push(r);
          break;
        case "Secret":
          this.secrets.push(r);
          if (!this.secretsByKey.has(keyOf(r))) this.secretsByKey.set(keyOf(r), r);
          break;
        case "Service":
          this.services.push(r);
          break;
        case "Pod":
          this.pods.push(r);
          break;
        default:
          break;
      }
    }
    this.gatewayNamespace = options.gatewayNamespace ?? DEFAULT_GATEWAY_NAMESPACE;
    this.now = options.now ?? new Date();
    this.findings = new Findings(resources, { strict: options.strict ?? false });
    const implicit = options.implicitIngressGateway ?? true;
    this.implicitPod = implicit ? this.defaultIngressPod() : undefined;
    this.assumedPods = this.implicitPod === undefined ? this.pods : [...this.pods, this.implicitPod];
    this.assumedServices = implicit ? [...this.services, this.defaultIngressService()] : this.services;
    this.bindings = buildGatewayBindings({
      gateways: this.gateways,
      virtualServices: this.virtualServices,
      podNamespaces: (gw) => this.podNamespacesOf(gw),
      gatewayNamespace: this.gatewayNamespace,
    });
  }

  /** The Pods (input and assumed) a Gateway's selector selects, in any namespace. */
  selectedPods(gateway: Gateway): readonly Pod[] {
    const key = selectorString(gateway.spec?.selector);
    let pods = this.podsBySelector.get(key);
    if (pods === undefined) {
      pods = this.assumedPods.filter((p) =>
        selectorMatches(gateway.spec?.selector, p.metadata?.labels ?? {}),
      );
      this.podsBySelector.set(key, pods);
    }
    return pods;
  }

  /**
   * The namespaces of the pods running a Gateway: those of the input's Pods it selects; without
   * any, the gateway namespace (where istioctl assumes the default ingress gateway runs).
   */
  podNamespacesOf(gateway: Gateway): readonly string[] {
    const namespaces = new Set<string>();
    for (const p of this.selectedPods(gateway)) if (p !== this.implicitPod) namespaces.add(namespaceOf(p));
    return namespaces.size > 0 ? [...namespaces] : [this.gatewayNamespace];
  }

  private defaultIngressPod(): Pod {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "istio-ingressgateway",
        namespace: this.gatewayNamespace,
        labels: { ...DEFAULT_INGRESS_LABELS },
      },
    };
  }

  private defaultIngressService(): Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "istio-ingressgateway", namespace: this.gatewayNamespace },
      spec: {
        selector: { ...DEFAULT_INGRESS_LABELS },
        ports: DEFAULT_INGRESS_SERVICE_PORTS.map((port) => ({ port, targetPort: port, protocol: "TCP" })),
      },
    };
  }
}
