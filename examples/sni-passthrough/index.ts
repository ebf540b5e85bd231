// SNI passthrough (Istio's "ingress gateway without TLS termination" task): the gateway does not
// decrypt; it reads the server name of the TLS ClientHello and forwards the connection to the
// nginx service, which holds the certificate. Such a server is routed by `tls` rules, not `http`.
import { Gateway, VirtualService } from "istio-gateway";

new Gateway("mygateway", {
  spec: {
    selector: { istio: "ingressgateway" },
    servers: [
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["nginx.example.com"],
        tls: { mode: "PASSTHROUGH" },
      },
    ],
  },
});

new VirtualService("nginx", {
  spec: {
    hosts: ["nginx.example.com"],
    gateways: ["mygateway"],
    tls: [
      {
        match: [{ port: 443, sniHosts: ["nginx.example.com"] }],
        route: [{ destination: { host: "my-nginx", port: { number: 443 } } }],
      },
    ],
  },
});
