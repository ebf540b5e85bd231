// The broken twin of examples/bookinfo: the HTTPS server terminates TLS (SIMPLE) but names no
// certificate (no credentialName), so its preview must fail. Everything else is the example's.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceType, TLSCredential } from "istio-gateway";
import { Gateway, GatewayProxy, IstioCrds, VirtualService } from "istio-gateway";

const config = new pulumi.Config();
const crds = config.getBoolean("installCrds") ? new IstioCrds("istio-crds", {}) : undefined;

/** Where the proxy runs, and so where it reads the Secrets its Gateways' servers name. */
const ISTIO_SYSTEM = "istio-system";
const namespace = config.getBoolean("createNamespace")
  ? new k8s.core.v1.Namespace(ISTIO_SYSTEM, { metadata: { name: ISTIO_SYSTEM } })
  : undefined;
// Through the Namespace's output, so the Secret and the proxy wait for the Namespace.
const istioSystem = namespace?.metadata.name ?? ISTIO_SYSTEM;

const certificate = config.getSecret("tlsCertificate");
const privateKey = config.getSecret("tlsPrivateKey");
// Either one alone is passed on too: the Gateway then fails preview, naming the missing one.
const credentials: TLSCredential[] | undefined =
  certificate === undefined && privateKey === undefined
    ? undefined
    : [{ name: "bookinfo-secret", namespace: istioSystem, certificate, privateKey }];

const gateway = new Gateway("bookinfo-gateway", {
  spec: {
    selector: { istio: "ingressgateway" },
    servers: [
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["bookinfo.com"],
        tls: { mode: "SIMPLE" },
      },
    ],
  },
  credentials,
  crds: crds?.definitions,
});

const bookinfo = new VirtualService("bookinfo", {
  spec: {
    hosts: ["bookinfo.com"],
    gateways: ["bookinfo-gateway"],
    http: [
      {
        match: [{ uri: { prefix: "/reviews" } }],
        route: [{ destination: { host: "reviews", port: { number: 9080 } } }],
      },
      {
        match: [{ uri: { exact: "/productpage" } }],
        route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
      },
    ],
  },
  crds: crds?.definitions,
});

// Its default labels are the ones the Gateway selects (istio: ingressgateway), and its Service
// ports are the Gateway's server ports. It depends on what it serves, so `pulumi destroy` removes
// it first; when its pods start before the Gateway exists, they pick it up as it appears.
const proxy = new GatewayProxy(
  "ingressgateway",
  {
    namespace: istioSystem,
    serviceType: (config.get("serviceType") ?? "LoadBalancer") as ServiceType,
    skipAwait: config.getBoolean("skipAwait") ?? false,
  },
  { dependsOn: [gateway, bookinfo, ...(namespace === undefined ? [] : [namespace])] },
);

/** What VirtualServices in other namespaces write in `spec.gateways`. */
export const gatewayName = gateway.qualifiedName;
/** The VirtualService's name. */
export const virtualServiceName = bookinfo.name;
/** The proxy's Service (and Deployment) name. */
export const proxyServiceName = proxy.serviceName;
/** The proxy's namespace, where its Service is and where it reads "bookinfo-secret". */
export const proxyNamespace = proxy.namespace;
/** The proxy Service's ports and the pod ports behind them. */
export const proxyPorts = proxy.servicePorts;
/** Where clients reach the proxy: the load balancer's address once assigned, else the cluster IP. */
export const proxyAddress = proxy.address;
