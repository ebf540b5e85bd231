import { exampleSuite } from "./example-suite";

exampleSuite({
  name: "mutual-tls",
  config: {
    serverCertificate: "-----BEGIN CERTIFICATE-----\nMIIBserver\n-----END CERTIFICATE-----\n",
    serverKey: "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n",
    clientCA: "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n",
  },
  resources: [
    "istio-gateway:index:Gateway mygateway",
    "istio-gateway:index:VirtualService httpbin",
    "kubernetes:core/v1:Secret mygateway-credential-0",
    "kubernetes:networking.istio.io/v1:Gateway mygateway",
    "kubernetes:networking.istio.io/v1:VirtualService httpbin",
  ],
  outputs: { credentialSecrets: ["httpbin-credential"] },
  broken: {
    kind: "Gateway",
    name: "mygateway",
    errors: [
      'credentials[0].caCertificates: required when spec.servers[0].tls names this credential with mode "MUTUAL" and no caCertCredentialName',
    ],
  },
});
