// Mutual TLS at the ingress (Istio's "secure ingress" task): clients must present a certificate
// signed by the configured CA. The certificate, key and CA come from stack configuration
// (`pulumi config set --secret serverKey < key.pem`); the Gateway creates the Secret
// "httpbin-credential" from them in istio-system, where the ingress gateway pods read it.
import * as pulumi from "@pulumi/pulumi";
import { Gateway, VirtualService } from "istio-gateway";

const config = new pulumi.Config();

const gateway = new Gateway("mygateway", {
  metadata: { namespace: "istio-system" },
  spec: {
    selector: { istio: "ingressgateway" },
    servers: [
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["httpbin.example.com"],
        tls: { mode: "MUTUAL", credentialName: "httpbin-credential" },
      },
    ],
  },
  credentials: [
    {
      name: "httpbin-credential",
      certificate: config.require("serverCertificate"),
      privateKey: config.requireSecret("serverKey"),
      caCertificates: config.require("clientCA"),
    },
  ],
});

new VirtualService("httpbin", {
  metadata: { namespace: "istio-system" },
  spec: {
    hosts: ["httpbin.example.com"],
    gateways: ["mygateway"],
    http: [
      {
        match: [{ uri: { prefix: "/status" } }, { uri: { prefix: "/delay" } }],
        route: [{ destination: { host: "httpbin.default.svc.cluster.local", port: { number: 8000 } } }],
      },
    ],
  },
});

/** The Secrets made from the credentials: the one the server's credentialName names. */
export const credentialSecrets = gateway.credentialSecrets.apply((secrets) =>
  pulumi.all(secrets.map((s) => s.metadata.name)),
);
