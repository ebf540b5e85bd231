/**
 * The proxy's Kubernetes configuration source: watches Gateways, VirtualServices,
 * DestinationRules, ServiceEntries, AuthorizationPolicies and RequestAuthentications in every namespace, the Secrets of its own namespace, and
 * Services, EndpointSlices and Pods in the namespaces its destinations name (watches start and
 * stop as destinations come and go); after each burst of events (debounced) it rebuilds the
 * configuration with the same validation and translation as the file source, and tells the
 * runtime when the result changed. Losing the API server keeps every cache, so the last good
 * configuration keeps serving while each watch reconnects with bounded exponential backoff.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { ResourceRef } from "../../istio/validate";
import type { Issue } from "../../istio/validate";
import type { ProxyIdentity } from "../config/config-loader";
import type { ConfigLoadResult } from "../config/config-load-result";
import { ServedSecrets } from "../config/served-secrets";
import type { BackoffPolicy } from "./backoff";
import { DEFAULT_BACKOFF } from "./backoff";
import type { KubernetesLoad } from "./kubernetes-load";
import { buildKubernetesLoad } from "./kubernetes-load";
import { toEndpointSliceInfo, toPodInfo, toSecret, toServiceInfo } from "./kubernetes-objects";
import type { WatchStatus } from "./reflector";
import { Reflector } from "./reflector";

/** Options of a {@link KubernetesConfigSource}. */
export interface KubernetesSourceOptions {
  /** Server and credentials. */
  readonly kubeConfig: KubeConfig;
  /** The gateway pod the proxy is: its namespace and labels. */
  readonly identity: ProxyIdentity;
  /** Called (after debouncing) when the configuration or its messages changed. */
  readonly onChange: () => void;
  /** Operational log lines (watch failures and recoveries). */
  readonly log: (line: string) => void;
  /** Quiet time after the last event before rebuilding, ms (a burst waits at most 1 s). Default 100. */
  readonly debounceMs?: number;
  /** Reconnection delays. Default {@link DEFAULT_BACKOFF}. */
  readonly backoff?: BackoffPolicy;
}

/** A resource left out, as the status endpoint shows it. */
export interface SkippedResourceStatus {
  /** Which resource. */
  readonly resource: ResourceRef;
  /** Its resourceVersion. */
  readonly resourceVersion: string;
  /** Why: the findings, without the resource repeated. */
  readonly issues: readonly Omit<Issue, "resource">[];
}

/** What the source reports on the status endpoint. */
export interface KubernetesSourceStatus {
  /** True once every watch of Istio resources and Secrets has listed once. */
  readonly synced: boolean;
  /** The version of the configuration last built, when one was. */
  readonly configVersion?: string;
  /** When it was built (RFC 3339). */
  readonly builtAt?: string;
  /** Resources skipped because they fail validation. */
  readonly skipped: readonly SkippedResourceStatus[];
  /** Every watch. */
  readonly watches: readonly WatchStatus[];
}

/** The longest a burst of events may delay a rebuild, ms. */
const MAX_DEBOUNCE_MS = 1000;

/** The Istio collections watched in every namespace: API group and resource. */
const ISTIO_RESOURCES = [
  ["networking.istio.io", "gateways"],
  ["networking.istio.io", "virtualservices"],
  ["networking.istio.io", "destinationrules"],
  ["networking.istio.io", "serviceentries"],
  ["security.istio.io", "authorizationpolicies"],
  ["security.istio.io", "requestauthentications"],
] as const;

/** Watches the cluster and serves the configuration it implies. */
export class KubernetesConfigSource {
  private readonly istio: Reflector[];
  private readonly secrets: Reflector;
  /** The credential Secrets served, standing in when they go (as Envoy keeps its SDS secrets). */
  private readonly served = new ServedSecrets();
  private readonly services = new Map<string, Reflector>();
  private readonly endpointSlices = new Map<string, Reflector>();
  private readonly pods = new Map<string, Reflector>();
  private current: KubernetesLoad | undefined;
  private builtAt: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pendingSince: number | undefined;
  private closed = false;
  private started = false;
  private readonly make: (path: string, description: string) => Reflector;

  constructor(private readonly options: KubernetesSourceOptions) {
    const schedule = () => this.schedule();
    const make = (path: string, description: string) =>
      new Reflector({
        kubeConfig: options.kubeConfig,
        path,
        description,
        onChange: schedule,
        log: options.log,
        backoff: options.backoff ?? DEFAULT_BACKOFF,
      });
    this.make = make;
    this.istio = ISTIO_RESOURCES.map(([group, r]) => make(`/apis/${group}/v1/${r}`, `${r}.${group}`));
    const ns = encodeURIComponent(options.identity.namespace);
    this.secrets = make(`/api/v1/namespaces/${ns}/secrets`, `secrets in ${options.identity.namespace}`);
  }

  /**
   * Starts every watch and resolves once the Istio resources and Secrets have been listed and a
   * first configuration built (endpoint watches follow and trigger a rebuild when they list).
   * While the API server cannot be reached this waits, retrying with backoff.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error("the Kubernetes source is already started");
    this.started = true;
    for (const r of [...this.istio, this.secrets]) r.start();
    await Promise.all([...this.istio, this.secrets].map((r) => r.waitForSync()));
    if (this.closed) return;
    this.rebuild(false);
  }

  /** The current configuration, in the form every source gives the runtime. */
  load(): Promise<ConfigLoadResult> {
    if (this.current === undefined) {
      return Promise.resolve({ messages: ["the Kubernetes resources have not been listed yet"] });
    }
    return Promise.resolve(this.current);
  }

  /** The last build with everything that went into it (resources, skipped ones, destinations). */
  get lastLoad(): KubernetesLoad | undefined {
    return this.current;
  }

  /** The state of the source, for the status endpoint. */
  status(): KubernetesSourceStatus {
    const all = [
      ...this.istio,
      this.secrets,
      ...[...this.services.values()],
      ...[...this.endpointSlices.values()],
      ...[...this.pods.values()],
    ];
    return {
      synced: [...this.istio, this.secrets].every((r) => r.synced),
      ...(this.current?.config === undefined ? {} : { configVersion: this.current.config.version }),
      ...(this.builtAt === undefined ? {} : { builtAt: this.builtAt }),
      skipped: (this.current?.skipped ?? []).map((s) => ({
        resource: s.resource,
        resourceVersion: s.resourceVersion,
        issues: s.issues.map(({ resource: _r, ...rest }) => rest),
      })),
      watches: all.map((r) => r.status()),
    };
  }

  /** Stops every watch. */
  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.allReflectors()) r.stop();
    this.services.clear();
    this.endpointSlices.clear();
    this.pods.clear();
  }

  private allReflectors(): Reflector[] {
    return [
      ...this.istio,
      this.secrets,
      ...this.services.values(),
      ...this.endpointSlices.values(),
      ...this.pods.values(),
    ];
  }

  private schedule(): void {
    if (this.closed || this.current === undefined) return;
    const now = Date.now();
    this.pendingSince ??= now;
    // A steady stream of events (pods churning) must not postpone a rebuild for ever.
    if (this.timer !== undefined) {
      if (now - this.pendingSince >= MAX_DEBOUNCE_MS) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pendingSince = undefined;
      this.rebuild(true);
    }, this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  private rebuild(notify: boolean): void {
    if (this.closed) return;
    const next = buildKubernetesLoad(
      {
        istio: this.istio.flatMap((r) => r.list()),
        secrets: this.secrets.list().map(toSecret),
        services: [...this.services.values()].flatMap((r) => r.list().map(toServiceInfo)),
        endpointSlices: [...this.endpointSlices.values()].flatMap((r) => r.list().map(toEndpointSliceInfo)),
        pods: [...this.pods.values()].flatMap((r) => r.list().map(toPodInfo)),
      },
      this.options.identity,
      this.served,
    );
    this.watchNamespaces(new Set(next.destinationServices.map((s) => s.namespace)));
    const previous = this.current;
    this.current = next;
    const same =
      previous !== undefined &&
      previous.config?.version === next.config?.version &&
      previous.messages.join("\n") === next.messages.join("\n");
    if (same) return;
    this.builtAt = new Date().toISOString();
    if (notify) this.options.onChange();
  }

  /** Starts endpoint watches in namespaces newly named by destinations and stops the rest. */
  private watchNamespaces(namespaces: ReadonlySet<string>): void {
    const kinds: [Map<string, Reflector>, (ns: string) => string, string][] = [
      [this.services, (ns) => `/api/v1/namespaces/${ns}/services`, "services"],
      [
        this.endpointSlices,
        (ns) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
        "endpointslices.discovery.k8s.io",
      ],
      [this.pods, (ns) => `/api/v1/namespaces/${ns}/pods`, "pods"],
    ];
    for (const [map, path, name] of kinds) {
      for (const [ns, r] of map) {
        if (!namespaces.has(ns)) {
          r.stop();
          map.delete(ns);
        }
      }
      for (const ns of namespaces) {
        if (map.has(ns)) continue;
        const r = this.make(path(encodeURIComponent(ns)), `${name} in ${ns}`);
        map.set(ns, r);
        r.start();
      }
    }
  }
}
