/**
 * `ServiceEntry` (networking.istio.io): a service added to the mesh's registry by hand — its host
 * names, ports and, for `STATIC` resolution, its endpoints. The gateway proxy resolves destinations
 * through ServiceEntries before DNS.
 */
import type { ObjectMeta } from "./meta";

/** A ServiceEntry resource as stored by Kubernetes. */
export interface ServiceEntry {
  /** `networking.istio.io/v1` (or `v1beta1`, `v1alpha3`). */
  apiVersion: string;
  /** Always `ServiceEntry`. */
  kind: "ServiceEntry";
  /** Name, namespace, labels and annotations. */
  metadata: ObjectMeta;
  /** The service. */
  spec: ServiceEntrySpec;
}

/** Where a service lives relative to the mesh. */
export const ServiceEntryLocation = {
  MESH_EXTERNAL: "MESH_EXTERNAL",
  MESH_INTERNAL: "MESH_INTERNAL",
} as const;
export type ServiceEntryLocation = (typeof ServiceEntryLocation)[keyof typeof ServiceEntryLocation];

/** How the endpoints of a service are found. */
export const ServiceEntryResolution = {
  /** Connect to the address the client asked for. */
  NONE: "NONE",
  /** Use the `endpoints` listed. */
  STATIC: "STATIC",
  /** Resolve the endpoints' addresses (or the hosts) by DNS, using every address returned. */
  DNS: "DNS",
  /** Resolve by DNS and use the first address. */
  DNS_ROUND_ROBIN: "DNS_ROUND_ROBIN",
  /** Resolve by DNS at request time (wildcard hosts). */
  DYNAMIC_DNS: "DYNAMIC_DNS",
} as const;
export type ServiceEntryResolution = (typeof ServiceEntryResolution)[keyof typeof ServiceEntryResolution];

/** The desired state of a ServiceEntry. */
export interface ServiceEntrySpec {
  /** Host names of the service, as destinations name them. Required. */
  hosts: string[];
  /** Virtual IP addresses of the service. */
  addresses?: string[];
  /** Ports of the service. */
  ports?: ServicePort[];
  /** Inside or outside the mesh. Default `MESH_EXTERNAL`. */
  location?: ServiceEntryLocation;
  /** How endpoints are found. Default `NONE`. */
  resolution?: ServiceEntryResolution;
  /** The endpoints (for `STATIC`, and `DNS` with addresses). */
  endpoints?: WorkloadEntry[];
  /** Select WorkloadEntries or pods as endpoints instead of listing them. */
  workloadSelector?: WorkloadSelector;
  /** Namespaces the entry is visible to: `.`, `*` or names. Default `*`. */
  exportTo?: string[];
  /** Names accepted in the endpoints' certificates. */
  subjectAltNames?: string[];
}

/** A port of a ServiceEntry. */
export interface ServicePort {
  /** The port number clients use. Required. */
  number: number;
  /** The protocol, as in Gateway ports. */
  protocol?: string;
  /** The port's name. Required. */
  name: string;
  /** The endpoints' port, when it differs from `number`. */
  targetPort?: number;
}

/** One endpoint of a ServiceEntry. */
export interface WorkloadEntry {
  /** An IP address, a DNS name or `unix://` path. */
  address?: string;
  /** Endpoint ports by ServicePort name, when they differ from the service ports. */
  ports?: { [name: string]: number };
  /** Labels, matched by DestinationRule subsets. */
  labels?: { [key: string]: string };
  /** The network the endpoint is on. */
  network?: string;
  /** `region/zone/subzone`. */
  locality?: string;
  /** Relative load-balancing weight. */
  weight?: number;
  /** Service account of the workload. */
  serviceAccount?: string;
}

/** Selects workloads by labels. */
export interface WorkloadSelector {
  /** Labels a workload must carry. */
  labels?: { [key: string]: string };
}
