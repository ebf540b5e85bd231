/**
 * The few fields the source reads from core Kubernetes objects, taken from either form the client
 * hands over: plain JSON from a watch event, or the client's deserialized classes from a list
 * (where timestamps are `Date`s). Everything else in those objects is dropped on arrival, so the
 * caches hold no more than the proxy needs.
 */
import type { Secret } from "../../istio/model";

/** A Service's port, as EndpointSlices name it. */
export interface ServicePortInfo {
  /** The port name; `""` for the single unnamed port. */
  readonly name: string;
  /** The port clients use (what a destination's `port.number` names). */
  readonly port: number;
  /** The pod port, when a number (a named target port is resolved by EndpointSlices). */
  readonly targetPort?: number;
  /** The transport, when not `TCP` (the API's default): `UDP` or `SCTP`. */
  readonly protocol?: string;
  /** The application protocol (`http`, `grpc`, `kubernetes.io/h2c`, ...), when set. */
  readonly appProtocol?: string;
}

/** The parts of a Service the source uses. */
export interface ServiceInfo {
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
  /** `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`. */
  readonly type: string;
  /** Ports. */
  readonly ports: readonly ServicePortInfo[];
}

/** One endpoint of an EndpointSlice. */
export interface SliceEndpoint {
  /** Addresses (IPs, or names in an `FQDN` slice). */
  readonly addresses: readonly string[];
  /** Whether it may receive traffic (`conditions.ready`; unset means ready, as the API says). */
  readonly ready: boolean;
  /** The Pod behind it, when it is one. */
  readonly pod?: { readonly namespace: string; readonly name: string };
}

/** The parts of an EndpointSlice the source uses. */
export interface EndpointSliceInfo {
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
  /** The Service it belongs to (label `kubernetes.io/service-name`); `""` when none. */
  readonly serviceName: string;
  /** `IPv4`, `IPv6` or `FQDN`. */
  readonly addressType: string;
  /** Ports by Service port name (`""` for an unnamed port): the port the endpoints listen on. */
  readonly ports: readonly { readonly name: string; readonly port: number }[];
  /** Endpoints. */
  readonly endpoints: readonly SliceEndpoint[];
}

/** A Pod's identity and labels: what subset selection reads. */
export interface PodInfo {
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
  /** Labels. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The label an EndpointSlice names its Service with. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

type Loose = Record<string, unknown>;

function obj(v: unknown): Loose {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : {};
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(obj(v))) if (typeof value === "string") out[k] = value;
  return out;
}

function metaOf(o: unknown): { namespace: string; name: string; labels: Record<string, string> } {
  const m = obj(obj(o).metadata);
  return { namespace: str(m.namespace), name: str(m.name), labels: stringMap(m.labels) };
}

/** A Secret as the model holds it (the `data` values stay base64, as the API returns them). */
export function toSecret(o: unknown): Secret {
  const m = obj(obj(o).metadata);
  const type = str(obj(o).type);
  const resourceVersion = str(m.resourceVersion);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: str(m.name),
      namespace: str(m.namespace),
      ...(resourceVersion === "" ? {} : { resourceVersion }),
    },
    ...(type === "" ? {} : { type }),
    data: stringMap(obj(o).data),
  };
}

/** A Service's name, type and ports (with their transport and application protocols). */
export function toServiceInfo(o: unknown): ServiceInfo {
  const { namespace, name } = metaOf(o);
  const spec = obj(obj(o).spec);
  const ports: ServicePortInfo[] = [];
  for (const p of arr(spec.ports)) {
    const port = obj(p).port;
    if (typeof port !== "number") continue;
    const target = obj(p).targetPort;
    const protocol = str(obj(p).protocol);
    const appProtocol = obj(p).appProtocol;
    ports.push({
      name: str(obj(p).name),
      port,
      ...(typeof target === "number" ? { targetPort: target } : {}),
      ...(protocol === "" || protocol === "TCP" ? {} : { protocol }),
      ...(typeof appProtocol === "string" ? { appProtocol } : {}),
    });
  }
  return { namespace, name, type: str(spec.type) || "ClusterIP", ports };
}

/** An EndpointSlice's Service, ports and endpoints. */
export function toEndpointSliceInfo(o: unknown): EndpointSliceInfo {
  const { namespace, name, labels } = metaOf(o);
  const ports = arr(obj(o).ports)
    .map((p) => ({ name: str(obj(p).name), port: obj(p).port }))
    .filter((p): p is { name: string; port: number } => typeof p.port === "number");
  const endpoints = arr(obj(o).endpoints).map((e): SliceEndpoint => {
    const ref = obj(obj(e).targetRef);
    const ready = obj(obj(e).conditions).ready;
    const addresses = arr(obj(e).addresses).filter((a): a is string => typeof a === "string");
    return {
      addresses,
      ready: ready !== false,
      ...(str(ref.kind) === "Pod" && str(ref.name) !== ""
        ? { pod: { namespace: str(ref.namespace) || namespace, name: str(ref.name) } }
        : {}),
    };
  });
  return {
    namespace,
    name,
    serviceName: labels[SERVICE_NAME_LABEL] ?? "",
    addressType: str(obj(o).addressType),
    ports,
    endpoints,
  };
}

/** A Pod's namespace, name and labels. */
export function toPodInfo(o: unknown): PodInfo {
  return metaOf(o);
}

/**
 * An Istio custom resource as plain JSON: list results come as the client's objects, whose
 * `metadata.creationTimestamp` may be a `Date`; the core compares creation times as RFC 3339 text.
 */
export function toPlainObject(o: unknown): unknown {
  const m = obj(obj(o).metadata);
  const created = m.creationTimestamp;
  if (!(created instanceof Date)) return o;
  return {
    ...obj(o),
    metadata: { ...m, creationTimestamp: created.toISOString().replace(/\.\d{3}Z$/, "Z") },
  };
}
