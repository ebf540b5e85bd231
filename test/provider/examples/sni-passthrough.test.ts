import { exampleSuite } from "./example-suite";

exampleSuite({
  name: "sni-passthrough",
  resources: [
    "istio-gateway:index:Gateway mygateway",
    "istio-gateway:index:VirtualService nginx",
    "kubernetes:networking.istio.io/v1:Gateway mygateway",
    "kubernetes:networking.istio.io/v1:VirtualService nginx",
  ],
  outputs: {},
  broken: {
    kind: "VirtualService",
    name: "nginx",
    errors: [
      'spec.http: do not apply on server spec.servers[0] of Gateway default/mygateway, which passes TLS through and routes only tls rules (got protocol "HTTPS", tls.mode "PASSTHROUGH")',
    ],
  },
});
