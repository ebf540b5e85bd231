import { exampleSuite } from "./example-suite";

exampleSuite({
  name: "canary",
  resources: [
    "istio-gateway:index:Gateway reviews-gateway",
    "istio-gateway:index:VirtualService reviews",
    "kubernetes:networking.istio.io/v1:Gateway reviews-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService reviews",
  ],
  outputs: { gatewayName: "istio-system/reviews-gateway" },
  broken: {
    kind: "VirtualService",
    name: "reviews",
    errors: [
      'spec.hosts: none matches a host of Gateway istio-system/reviews-gateway visible to namespace "bookinfo" (got ["reviews.example.org"])',
    ],
  },
});
