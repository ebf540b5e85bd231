// The broken twin of examples/mutual-tls: the credential gives the server certificate and key but
// no CA bundle, so the MUTUAL server could not verify any client; its preview must fail.
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
