// The broken twin of examples/bookinfo: the HTTPS server terminates TLS (SIMPLE) but names no
// certificate (no credentialName), so its preview must fail.
import * as pulumi from "@pulumi/pulumi";
import { Gateway, IstioCrds, VirtualService } from "istio-gateway";

const config = new pulumi.Config();
const crds = config.getBoolean("installCrds") ? new IstioCrds("istio-crds", {}) : undefined;

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

/** What VirtualServices in other namespaces write in `spec.gateways`. */
export const gatewayName = gateway.qualifiedName;
/** The VirtualService's name. */
export const virtualServiceName = bookinfo.name;
