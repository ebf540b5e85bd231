/**
 * The core Kubernetes kinds the rules and the proxy read beside Istio's: Secrets (for
 * `credentialName`), Services and Pods (for gateway selectors and ports), Endpoints.
 * Only the fields used are modelled.
 */
import type { ObjectMeta } from "./meta";

/** A Secret; TLS credentials live in `data` (base64) or `stringData` (plain text). */
export interface Secret {
  /** `v1`. */
  apiVersion: string;
  /** Always `Secret`. */
  kind: "Secret";
  /** Name and namespace: a `credentialName` names a Secret in the gateway pod's namespace. */
  metadata: ObjectMeta;
  /** `kubernetes.io/tls`, `Opaque`, … */
  type?: string;
  /** Values, base64-encoded: `tls.crt`, `tls.key`, `ca.crt`, `ca.crl` (or `cert`, `key`, `cacert`, `crl`). */
  data?: { [key: string]: string };
  /** Values as plain text; merged over `data` by the API server. */
  stringData?: { [key: string]: string };
}

/** A Service: how gateway pods are exposed, and the ports they serve. */
export interface Service {
  /** `v1`. */
  apiVersion: string;
  /** Always `Service`. */
  kind: "Service";
  /** Name and namespace. */
  metadata: ObjectMeta;
  /** Selector and ports. */
  spec: ServiceSpec;
}

/** The desired state of a Service. */
export interface ServiceSpec {
  /** Labels of the pods behind the Service. */
  selector?: { [key: string]: string };
  /** The Service's ports. */
  ports?: ServiceSpecPort[];
  /** `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`. */
  type?: string;
  /** The cluster IP. */
  clusterIP?: string;
}

/** One port of a Service. */
export interface ServiceSpecPort {
  /** Port name. */
  name?: string;
  /** `TCP` (default), `UDP` or `SCTP`. */
  protocol?: string;
  /** The port clients use. */
  port: number;
  /** The pod port (a number or a named container port). Default: `port`. */
  targetPort?: number | string;
}

/** A Pod: only its labels and namespace matter here. */
export interface Pod {
  /** `v1`. */
  apiVersion: string;
  /** Always `Pod`. */
  kind: "Pod";
  /** Labels and namespace. */
  metadata: ObjectMeta;
}
