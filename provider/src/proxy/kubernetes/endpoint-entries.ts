/**
 * The endpoints behind Kubernetes Services, handed to translation as ServiceEntries: one per
 * destination Service that has EndpointSlices, listing each ready address with the labels of the
 * Pod behind it (EndpointSlice `targetRef` -> Pod). Translation already filters ServiceEntry
 * endpoints by DestinationRule subset labels and maps Service ports to endpoint ports by name, so
 * subsets select endpoints by pod labels with no second implementation of either, and the
 * runtime connects to pod addresses directly (as Envoy does with EDS) instead of a ClusterIP.
 *
 * Each port carries the protocol Istio reads from the Service port (its `appProtocol`, else its
 * name: {@link servicePortProtocol}), which decides the cluster's upstream HTTP version.
 *
 * A Service without EndpointSlices (none were ever made: a cluster without the EndpointSlice
 * controller, such as a bare API server) gets an entry without endpoints (resolution `DNS`, no
 * target ports), so its host is resolved by DNS or `--resolve` on the Service's own ports as with
 * the file source, and its ports' protocols still count. A user's own ServiceEntry for the same
 * host wins.
 */
import { isIPAddress } from "../../istio/host";
import type { ServiceEntry, ServicePort, WorkloadEntry } from "../../istio/model";
import type { EndpointSliceInfo, PodInfo, ServiceInfo, ServicePortInfo } from "./kubernetes-objects";
import { servicePortProtocol } from "./service-port-protocol";
import type { ServiceRef } from "./destination-services";
import { serviceHost } from "./destination-services";

/** The annotation that marks a ServiceEntry made from EndpointSlices (cluster sources name it). */
export const ENDPOINTS_ANNOTATION = "istio-gateway.dev/endpoints-of";

/** The name given to a ServiceEntry made from a Service's EndpointSlices. */
export function endpointsEntryName(service: string): string {
  return `${service}.endpointslices`;
}

/** The ServiceEntry port name for a Service port (an unnamed port needs a name in a ServiceEntry). */
function entryPortName(name: string, port: number): string {
  return name === "" ? `port-${port}` : name;
}

/**
 * The entry port of a Service port, with the protocol Istio reads from it. When `appProtocol` names
 * no protocol Istio knows, the port has none (it is sniffed) whatever its name says, so the entry
 * keeps that `appProtocol` as its protocol, which translation does not know either, rather than
 * none, which would send translation back to the name. `withTarget` false leaves the target port
 * out: the endpoint is the Service's own address.
 */
function entryPort(p: ServicePortInfo, withTarget: boolean): ServicePort {
  const protocol = servicePortProtocol(p) ?? p.appProtocol;
  return {
    number: p.port,
    name: entryPortName(p.name, p.port),
    ...(protocol === undefined ? {} : { protocol }),
    ...(withTarget && p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
  };
}

/** What {@link buildEndpointEntries} reads. */
export interface EndpointInputs {
  /** Services, any namespace. */
  readonly services: readonly ServiceInfo[];
  /** EndpointSlices, any namespace. */
  readonly endpointSlices: readonly EndpointSliceInfo[];
  /** Pods, any namespace (only those behind endpoints matter). */
  readonly pods: readonly PodInfo[];
}

/**
 * ServiceEntries for `wanted` Services, built from their EndpointSlices (without endpoints when
 * they have none), sorted by namespace and name; `skipHosts` are hosts a user's ServiceEntry
 * already defines.
 */
export function buildEndpointEntries(
  wanted: readonly ServiceRef[],
  inputs: EndpointInputs,
  skipHosts: ReadonlySet<string> = new Set(),
): ServiceEntry[] {
  const services = new Map(inputs.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const pods = new Map(inputs.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const slicesOf = new Map<string, EndpointSliceInfo[]>();
  for (const slice of inputs.endpointSlices) {
    if (slice.serviceName === "") continue;
    const key = `${slice.namespace}/${slice.serviceName}`;
    const list = slicesOf.get(key) ?? [];
    list.push(slice);
    slicesOf.set(key, list);
  }
  const out: ServiceEntry[] = [];
  for (const ref of wanted) {
    const key = `${ref.namespace}/${ref.name}`;
    const service = services.get(key);
    const slices = slicesOf.get(key);
    const host = serviceHost(ref);
    if (service === undefined || service.type === "ExternalName") continue;
    if (skipHosts.has(host)) continue;
    /** The Service's entry, with `spec` (ports, resolution, endpoints) added to what every entry has. */
    const serviceEntry = (
      spec: Omit<ServiceEntry["spec"], "hosts" | "location" | "exportTo">,
    ): ServiceEntry => ({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: {
        name: endpointsEntryName(ref.name),
        namespace: ref.namespace,
        annotations: { [ENDPOINTS_ANNOTATION]: `Service ${key}` },
      },
      spec: { hosts: [host], location: "MESH_INTERNAL", ...spec, exportTo: ["*"] },
    });
    if (slices === undefined) {
      out.push(serviceEntry({ ports: service.ports.map((p) => entryPort(p, false)), resolution: "DNS" }));
      continue;
    }
    const byAddress = new Map<string, WorkloadEntry & { ports: Record<string, number> }>();
    let dns = false;
    // Slices in name order, so an address in two slices always takes the same labels.
    for (const slice of [...slices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      for (const endpoint of slice.endpoints) {
        if (!endpoint.ready) continue;
        const pod =
          endpoint.pod === undefined ? undefined : pods.get(`${endpoint.pod.namespace}/${endpoint.pod.name}`);
        for (const address of endpoint.addresses) {
          if (!isIPAddress(address)) dns = true;
          let entry = byAddress.get(address);
          if (entry === undefined) {
            entry = { address, ports: {}, labels: { ...(pod?.labels ?? {}) } };
            byAddress.set(address, entry);
          }
          for (const sp of service.ports) {
            const port = slice.ports.find((p) => p.name === sp.name);
            if (port !== undefined) entry.ports[entryPortName(sp.name, sp.port)] = port.port;
          }
        }
      }
    }
    const endpoints = [...byAddress.values()].sort((a, b) =>
      a.address! < b.address! ? -1 : a.address! > b.address! ? 1 : 0,
    );
    out.push(
      serviceEntry({
        ports: service.ports.map((p) => entryPort(p, true)),
        resolution: dns ? "DNS" : "STATIC",
        endpoints,
      }),
    );
  }
  return out;
}
