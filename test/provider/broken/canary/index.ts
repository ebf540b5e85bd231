// The broken twin of examples/canary: the VirtualService's host is not one the Gateway serves, so
// it would bind nothing and the canary would get no traffic; its preview must fail.
import * as pulumi from "@pulumi/pulumi";
import { Gateway, VirtualService } from "istio-gateway";

const config = new pulumi.Config();
const canaryWeight = config.getNumber("canaryWeight") ?? 10;

const gateway = new Gateway("reviews-gateway", {
  metadata: { namespace: "istio-system" },
  spec: {
    selector: { istio: "ingressgateway" },
    servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["reviews.example.com"] }],
  },
});

new VirtualService("reviews", {
  metadata: { namespace: "bookinfo" },
  spec: {
    hosts: ["reviews.example.org"],
    gateways: ["istio-system/reviews-gateway"],
    http: [
      {
        route: [
          {
            destination: { host: "reviews", subset: "v1", port: { number: 9080 } },
            weight: 100 - canaryWeight,
          },
          { destination: { host: "reviews", subset: "v2", port: { number: 9080 } }, weight: canaryWeight },
        ],
      },
    ],
  },
});

/** The Gateway as VirtualServices in other namespaces name it. */
export const gatewayName = gateway.qualifiedName;
