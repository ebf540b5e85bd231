// The broken twin of examples/sni-passthrough: the VirtualService routes with http rules, which
// never apply to a server that passes TLS through; its preview must fail.
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
    http: [{ route: [{ destination: { host: "my-nginx", port: { number: 443 } } }] }],
  },
});
