/**
 * The configuration of Istio's traffic-management tasks (istio.io, `docs/tasks/traffic-management/`),
 * as data: the Bookinfo, httpbin and tcp-echo rules the tasks apply, from istio/istio's
 * `samples/bookinfo/networking/`, `samples/tcp-echo/` and the tasks' own pages, field for field.
 * Namespaces are left out, as the tasks apply them to `default`. Also: the one adaptation the
 * gateway needs ({@link bindToGateway}), and ServiceEntries that stand in for the services' pods.
 */

/** `samples/bookinfo/networking/destination-rule-all.yaml`: the v1, v2, ... subsets by `version`. */
export const DESTINATION_RULE_ALL = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage
spec:
  host: productpage
  subsets:
  - name: v1
    labels:
      version: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v2-mysql
    labels:
      version: v2-mysql
  - name: v2-mysql-vm
    labels:
      version: v2-mysql-vm
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: details
spec:
  host: details
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;

/** `samples/bookinfo/networking/virtual-service-all-v1.yaml`: every service to its v1. */
export const VIRTUAL_SERVICE_ALL_V1 = ["productpage", "reviews", "ratings", "details"]
  .map(
    (name) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts:
  - ${name}
  http:
  - route:
    - destination:
        host: ${name}
        subset: v1
`,
  )
  .join("---\n");

/** `virtual-service-reviews-test-v2.yaml` (request routing): user jason to reviews v2. */
export const VIRTUAL_SERVICE_REVIEWS_TEST_V2 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`;

/** The ratings rule of the fault-injection task: jason's requests get `fault` (YAML, indented). */
function ratingsForJason(fault: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
${fault}
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;
}

/** `virtual-service-ratings-test-delay.yaml`: a 7 s delay for jason. */
export const VIRTUAL_SERVICE_RATINGS_TEST_DELAY = ratingsForJason(
  "      delay:\n        percentage:\n          value: 100.0\n        fixedDelay: 7s",
);

/** `virtual-service-ratings-test-abort.yaml`: HTTP 500 for jason. */
export const VIRTUAL_SERVICE_RATINGS_TEST_ABORT = ratingsForJason(
  "      abort:\n        percentage:\n          value: 100.0\n        httpStatus: 500",
);

/** `virtual-service-reviews-50-v3.yaml` (traffic shifting): half to v1, half to v3. */
export const VIRTUAL_SERVICE_REVIEWS_50_V3 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 50
    - destination:
        host: reviews
        subset: v3
      weight: 50
`;

/** `virtual-service-reviews-v3.yaml` (traffic shifting): all to v3. */
export const VIRTUAL_SERVICE_REVIEWS_V3 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v3
`;

/** `samples/tcp-echo/tcp-echo-20-v2.yaml` (TCP traffic shifting): 80% to v1, 20% to v2. */
export const TCP_ECHO_20_V2 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: tcp-echo
spec:
  hosts:
  - "*"
  gateways:
  - tcp-echo-gateway
  tcp:
  - match:
    - port: 31400
    route:
    - destination:
        host: tcp-echo
        port:
          number: 9000
        subset: v1
      weight: 80
    - destination:
        host: tcp-echo
        port:
          number: 9000
        subset: v2
      weight: 20
`;

/** The request-timeouts task, first step: reviews to v2 (which calls ratings). */
export const TIMEOUTS_REVIEWS_V2 = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
`;

/** The request-timeouts task, second step: a 2 s delay on every call to ratings. */
export const TIMEOUTS_RATINGS_DELAY = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - fault:
      delay:
        percentage:
          value: 100
        fixedDelay: 2s
    route:
    - destination:
        host: ratings
        subset: v1
`;

/** The request-timeouts task, third step: reviews times out after half a second. */
export const TIMEOUTS_REVIEWS_HALF_SECOND = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
    timeout: 0.5s
`;

/** The circuit-breaking task's DestinationRule for httpbin, with its deprecated `consecutiveErrors`. */
export const CIRCUIT_BREAKING_DESTINATION_RULE = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutiveErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
`;

/** The mirroring task's default routing policy: all of httpbin to v1, subsets v1 and v2. */
export const MIRRORING_DEFAULT_ROUTING = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
    - httpbin
  http:
  - route:
    - destination:
        host: httpbin
        subset: v1
      weight: 100
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;

/** The mirroring task's rule: all of httpbin to v1, and a copy of `percent`% of it to v2 (100 in the task). */
export function mirroringToV2(percent = "100.0"): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
    - httpbin
  http:
  - route:
    - destination:
        host: httpbin
        subset: v1
      weight: 100
    mirror:
      host: httpbin
      subset: v2
    mirrorPercentage:
      value: ${percent}
`;
}

/**
 * `yaml` with `gateways: [<gateway>]` added to each VirtualService that has no `gateways:`, the one
 * change a task's mesh rule needs to apply at an ingress gateway: without it the rule binds to
 * `mesh` (the sidecars) only, and the gateway never serves it.
 */
export function bindToGateway(yaml: string, gateway: string): string {
  return yaml
    .split(/^---\n/m)
    .map((doc) =>
      /^kind: VirtualService$/m.test(doc) && !/^ {2}gateways:/m.test(doc)
        ? doc.replace(/^spec:\n/m, `spec:\n  gateways: [${gateway}]\n`)
        : doc,
    )
    .join("---\n");
}

/** One endpoint of a service: a loopback port, labelled with its `version`. */
export interface VersionedEndpoint {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Its `version` label (`v1`, ...), which the subsets select. */
  readonly version: string;
}

/**
 * A ServiceEntry standing in for the Kubernetes Service `name` in `default` and its pods: host
 * `<name>.default.svc.cluster.local` (what the tasks' short names expand to), one `port` of
 * `protocol`, and an endpoint on 127.0.0.1 per pod, labelled with its version.
 */
export function serviceOfPods(
  name: string,
  port: number,
  endpoints: readonly VersionedEndpoint[],
  protocol = "HTTP",
): string {
  const portName = protocol.toLowerCase();
  const lines = endpoints.map(
    (e) => `  - {address: 127.0.0.1, ports: {${portName}: ${e.port}}, labels: {version: ${e.version}}}`,
  );
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${port}, name: ${portName}, protocol: ${protocol}}]
  endpoints:
${lines.join("\n")}
`;
}

/** The tcp-echo task's Service (port 9000, TCP) with its v1 and v2 pods on `v1Port` and `v2Port`. */
export function tcpEchoPods(v1Port: number, v2Port: number): string {
  const pods = [
    { port: v1Port, version: "v1" },
    { port: v2Port, version: "v2" },
  ];
  return serviceOfPods("tcp-echo", 9000, pods, "TCP");
}
