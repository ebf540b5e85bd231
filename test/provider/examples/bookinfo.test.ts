import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { parse } from "yaml";
import { exampleSuite } from "./example-suite";

/** What the program makes the proxy wait for: the Namespace, and the resources the components hold. */
const programDependencies = [
  "kubernetes:core/v1:Namespace istio-system",
  "kubernetes:core/v1:Secret bookinfo-gateway-credential-0",
  "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
  "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
];

exampleSuite({
  name: "bookinfo",
  config: {
    createNamespace: "true",
    tlsCertificate: "-----BEGIN CERTIFICATE-----\nMIIBbookinfo\n-----END CERTIFICATE-----\n",
    tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n",
    serviceType: "ClusterIP",
    skipAwait: "true",
  },
  resources: [
    "istio-gateway:index:Gateway bookinfo-gateway",
    "istio-gateway:index:GatewayProxy ingressgateway",
    "istio-gateway:index:VirtualService bookinfo",
    "kubernetes:apps/v1:Deployment ingressgateway",
    "kubernetes:core/v1:ConfigMap ingressgateway",
    "kubernetes:core/v1:Namespace istio-system",
    "kubernetes:core/v1:Secret bookinfo-gateway-credential-0",
    "kubernetes:core/v1:Service ingressgateway",
    "kubernetes:core/v1:ServiceAccount ingressgateway",
    "kubernetes:networking.istio.io/v1:Gateway bookinfo-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService bookinfo",
    "kubernetes:policy/v1:PodDisruptionBudget ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:Role ingressgateway",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding ingressgateway",
  ],
  outputs: {
    gatewayName: "default/bookinfo-gateway",
    virtualServiceName: "bookinfo",
    proxyServiceName: "ingressgateway",
    proxyNamespace: "istio-system",
    proxyPorts: [{ name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" }],
    // The Service's status is unknown at preview.
    proxyAddress: undefined,
  },
  logs: [
    {
      severity: "info",
      resource: "ingressgateway",
      message:
        'Gateways selecting {"istio":"ingressgateway"}: default/bookinfo-gateway; Service ports 443->8443',
    },
  ],
  dependencies: {
    "istio-gateway:index:GatewayProxy ingressgateway": programDependencies,
    // Its own access first, in the Namespace made for it.
    "kubernetes:apps/v1:Deployment ingressgateway": [
      "kubernetes:core/v1:ConfigMap ingressgateway",
      "kubernetes:core/v1:Namespace istio-system",
      "kubernetes:core/v1:ServiceAccount ingressgateway",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole ingressgateway",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding ingressgateway",
      "kubernetes:rbac.authorization.k8s.io/v1:Role ingressgateway",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding ingressgateway",
    ],
    // The certificate goes in the Namespace made for it.
    "kubernetes:core/v1:Secret bookinfo-gateway-credential-0": ["kubernetes:core/v1:Namespace istio-system"],
  },
  broken: {
    kind: "Gateway",
    name: "bookinfo-gateway",
    errors: [
      'spec.servers[0].tls.serverCertificate: required when tls.mode is "SIMPLE" and credentialName is not set',
      'spec.servers[0].tls.privateKey: required when tls.mode is "SIMPLE" and credentialName is not set',
    ],
  },
});

it("the root Pulumi.yaml runs this example, with its configuration", () => {
  const read = (...path: string[]) =>
    parse(readFileSync(join(__dirname, "..", "..", "..", ...path), "utf8")) as Record<string, unknown>;
  const project = read("Pulumi.yaml");
  assert.deepEqual([project.runtime, project.main], ["nodejs", "examples/bookinfo/"]);
  assert.deepEqual(project.config, read("examples", "bookinfo", "Pulumi.yaml").config);
});
