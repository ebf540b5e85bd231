/**
 * Istio YAML the proxy's tests share: a Gateway serving every host on one HTTP port, the head of a
 * VirtualService bound to it (its `http:` rules follow), a ServiceEntry of static endpoints, and
 * TLS and generic Secrets for `credentialName`.
 */

/** A Gateway `gw` in istio-system serving every host over HTTP on `port`. */
export function httpGateway(port = 8080): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: ["*"]
`;
}

/** A VirtualService `vs` for every host, bound to `gw`, up to its `http:` key. */
export function virtualServiceHead(): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
`;
}

/** One endpoint of {@link staticServiceEntry}: a port on 127.0.0.1. */
export interface LoopbackEndpoint {
  /** Its port. */
  readonly port: number;
  /** Its labels, for DestinationRule subsets. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A ServiceEntry `name` for host `<name>.internal`, port 80 of `protocol`, with each endpoint on
 * 127.0.0.1 at its own port.
 */
export function staticServiceEntry(
  name: string,
  endpoints: readonly LoopbackEndpoint[],
  protocol = "HTTP",
): string {
  const lines = endpoints.map((e) => {
    const labels =
      e.labels === undefined
        ? ""
        : `, labels: {${Object.entries(e.labels)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")}}`;
    return `  - {address: 127.0.0.1, ports: {web: ${e.port}}${labels}}`;
  });
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: web, protocol: ${protocol}}]
  endpoints:
${lines.join("\n")}
`;
}

/**
 * A TCP service of the Gateway `tcp-gw`: a ServiceEntry for host `<name>.test`, port 9000, with an
 * endpoint on 127.0.0.1 at each of `endpointPorts`; a VirtualService routing the Gateway's `port`
 * to it; and a DestinationRule whose `trafficPolicy` holds `policy` (a flow mapping's fields,
 * `loadBalancer: {simple: RANDOM}`).
 */
export function tcpServiceYaml(
  name: string,
  port: number,
  endpointPorts: readonly number[],
  policy: string,
): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: [${name}.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9000, name: tcp, protocol: TCP}]
  endpoints:
${endpointPorts.map((p) => `  - {address: 127.0.0.1, ports: {tcp: ${p}}}`).join("\n")}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [tcp-gw]
  tcp:
  - match: [{port: ${port}}]
    route: [{destination: {host: ${name}.test, port: {number: 9000}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: istio-system}
spec:
  host: ${name}.test
  trafficPolicy: {${policy}}
`;
}

/** Istio YAML documents as one file. */
export function documents(...docs: readonly string[]): string {
  return docs.join("---\n");
}

/**
 * A Kubernetes Secret of type kubernetes.io/tls with this certificate and key text, as `kubectl
 * create secret tls` makes it, in `namespace` (istio-system, the gateway's, by default).
 */
export function tlsSecret(name: string, cert: string, key: string, namespace = "istio-system"): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(cert)}
  tls.key: ${b64(key)}
`;
}

/**
 * A generic (Opaque) Kubernetes Secret holding `entries` (key name to text), as `kubectl create
 * secret generic --from-file=<key>=<file>` makes it, in `namespace` (istio-system by default).
 */
export function genericSecret(
  name: string,
  entries: Readonly<Record<string, string>>,
  namespace = "istio-system",
): string {
  const data = Object.entries(entries).map(([k, v]) => `  ${k}: ${Buffer.from(v).toString("base64")}`);
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: Opaque
data:
${data.join("\n")}
`;
}
