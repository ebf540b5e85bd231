import { exampleSuite } from "./example-suite";

exampleSuite({
  name: "bookinfo",
  resources: [
    "istio-gateway:index:Gateway bookinfo-gateway",
    "istio-gateway:index:VirtualService bookinfo",
    "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
  ],
  outputs: { gatewayName: "default/bookinfo-gateway", virtualServiceName: "bookinfo" },
  broken: {
    kind: "Gateway",
    name: "bookinfo-gateway",
    errors: [
      'spec.servers[0].tls.serverCertificate: required when tls.mode is "SIMPLE" and credentialName is not set',
      'spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set',
    ],
  },
});
