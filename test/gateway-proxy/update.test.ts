// GatewayProxy under `pulumi up` (mocks in update mode): exactly the expected resources with the
// manifests the tests check elsewhere, Service ports from the Gateways declared in the program
// (before or after the proxy) that select it, labels and selectors in agreement, probes, security
// context and RBAC as specified, outputs resolved, and inputs that break a rule refused.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Gateway } from "../../provider/src/components";
import { resetDeclarations } from "../../provider/src/components/declarations";
import { GatewayProxy } from "../../provider/src/components/gateway-proxy";
import type { ProxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { NODE_IMAGE, proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { proxyBundle } from "../../provider/src/components/gateway-proxy/proxy-bundle";
import { selectorMatches } from "../../provider/src/istio/binding";
import type { GatewaySpec } from "../../provider/src/istio/model";
import type { LogLine } from "../provider/mocks";
import { captureLogs, valueOf } from "../provider/mocks";
import { bookinfoSettings } from "./fixtures";
import type { Registered } from "./mocks";
import {
  CLUSTER_IP,
  installProxyMocks,
  LOAD_BALANCER_IP,
  MANIFEST_OF,
  PROXY_RESOURCE_TYPES,
  until,
} from "./mocks";

// Internal to the SDK (absent from its typings): the runtime's record of pending promises.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { leakedPromises } = require("@pulumi/pulumi/runtime/debuggable") as {
  leakedPromises(): [Set<Promise<unknown>>, string];
};

let registered: Registered[];
let logs: LogLine[];
// An input found invalid once it resolves rejects the Output feeding the children, and their
// registrations fail as unhandled rejections (how the Pulumi runtime fails a run); they are kept
// here and checked instead of failing whichever test is running.
const rejections: unknown[] = [];
const onRejection = (e: unknown) => void rejections.push(e);
// Failed registrations surface as either, depending on where in the runtime they fail.
const events: string[] = ["unhandledRejection", "uncaughtException"];
type Listener = (...args: unknown[]) => void;
const runnerListeners = events.map((e) => process.listeners(e as "exit") as Listener[]);

before(async () => {
  registered = await installProxyMocks(false);
  logs = captureLogs();
  for (const e of events) {
    process.removeAllListeners(e);
    process.on(e, onRejection);
  }
});
after(() => {
  events.forEach((e, i) => {
    process.off(e, onRejection);
    for (const l of runnerListeners[i]) process.on(e, l);
  });
  // The registrations a failed input stopped never finish, and the runtime would fail the process
  // at exit for them ("promises were still active"). Only those may be pending.
  const leaked = [...leakedPromises()[0]].map((p) => (p as unknown as { _debugCtx: string })._debugCtx);
  assert.deepEqual(
    leaked.filter((ctx) => !/resource:(lonely|late)\[/.test(ctx)),
    [],
  );
});

/** The messages of the errors that failed registrations, without duplicates. */
function rejectionMessages(): string[] {
  const message = (e: unknown) => String(e instanceof Error ? e.message : e);
  return [
    ...new Set(rejections.map((e) => message(e).replace(/^(error serializing property "\w+": )+/, ""))),
  ];
}

/** Waits for the registrations that a failed input stops, and returns what failed them. */
async function failedRegistrations(): Promise<string[]> {
  await until("the failed registrations", () => rejections.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return rejectionMessages();
}
beforeEach(() => {
  resetDeclarations();
  logs.length = 0;
  rejections.length = 0;
});

const bookinfoGateway: GatewaySpec = {
  selector: { istio: "ingressgateway" },
  servers: [
    {
      port: { number: 443, name: "https", protocol: "HTTPS" },
      hosts: ["bookinfo.com"],
      tls: { mode: "SIMPLE", credentialName: "bookinfo-secret" },
    },
    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["bookinfo.com"] },
  ],
};

/** The registrations of the proxy named `name` and its children, by type. */
function proxyResources(name: string): Map<string, Registered> {
  const mine = registered.filter(
    (r) => r.name === name && (r.type.startsWith("kubernetes:") || r.type.endsWith("GatewayProxy")),
  );
  return new Map(mine.map((r) => [r.type, r]));
}

async function childrenOf(name: string, count: number): Promise<Map<string, Registered>> {
  await until(`${count} resources named ${name}`, () => proxyResources(name).size === count);
  return proxyResources(name);
}

/** The registered inputs of each child next to the manifest it should be. */
function assertManifests(children: Map<string, Registered>, manifests: ProxyManifests): void {
  for (const [type, r] of children) {
    if (type.endsWith("GatewayProxy")) continue;
    assert.deepEqual(r.inputs, manifests[MANIFEST_OF[type] as keyof ProxyManifests], type);
  }
}

describe("GatewayProxy (update)", { timeout: 600_000 }, () => {
  it("deploys the bundled proxy with Service ports from the Gateways that select it, declared before or after it", async () => {
    new Gateway("bookinfo-gateway", { metadata: { namespace: "bookinfo" }, spec: bookinfoGateway });
    const proxy = new GatewayProxy("ingress", { namespace: "gateways" });
    new Gateway("east-west", {
      spec: {
        selector: { istio: "eastwestgateway" },
        servers: [{ port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["*"] }],
      },
    });
    new Gateway("extra-port", {
      metadata: { namespace: "bookinfo" },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [
          {
            port: { number: 8443, name: "https-alt", protocol: "HTTPS" },
            hosts: ["*"],
            tls: { mode: "PASSTHROUGH" },
          },
        ],
      },
    });
    const children = await childrenOf("ingress", PROXY_RESOURCE_TYPES.length);
    assert.deepEqual([...children.keys()].sort(), [...PROXY_RESOURCE_TYPES].sort());

    const bundle = await proxyBundle();
    const expected = proxyManifests(
      bookinfoSettings({
        ports: [
          { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
          { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
          { name: "https-alt", port: 8443, targetPort: 8443, protocol: "HTTPS" },
        ],
        bundle: { sha256: bundle.sha256, base64: bundle.compressed.toString("base64") },
      }),
    );
    assertManifests(children, expected);

    // The key inputs, written out rather than taken from the builder.
    const service = children.get("kubernetes:core/v1:Service")!.inputs;
    const instance = {
      "app.kubernetes.io/name": "istio-gateway-proxy",
      "app.kubernetes.io/instance": "ingress",
    };
    assert.deepEqual(service.spec, {
      type: "LoadBalancer",
      selector: instance,
      ports: [
        { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
        { name: "https", port: 443, targetPort: 8443, protocol: "TCP" },
        { name: "https-alt", port: 8443, targetPort: 8443, protocol: "TCP" },
      ],
    });
    const deployment = children.get("kubernetes:apps/v1:Deployment")!.inputs;
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    assert.equal(container.image, NODE_IMAGE);
    assert.deepEqual(container.command, ["node", "/etc/istio-gateway/main.js"]);
    assert.deepEqual(container.args, [
      "proxy",
      "--kubernetes",
      "--namespace",
      "gateways",
      "--labels",
      "app.kubernetes.io/instance=ingress,app.kubernetes.io/name=istio-gateway-proxy,istio=ingressgateway",
      "--workload-name",
      "ingress",
      "--status-port",
      "15021",
      "--drain-timeout",
      "30",
      "--port",
      "80=8080",
      "--port",
      "443=8443",
      "--port",
      "8443=8443",
    ]);
    assert.deepEqual(container.ports, [
      { containerPort: 8080, protocol: "TCP" },
      { containerPort: 8443, protocol: "TCP" },
      { containerPort: 8443, protocol: "TCP" },
      { name: "status-port", containerPort: 15021, protocol: "TCP" },
    ]);
    const httpGet = { path: "/healthz/ready", port: 15021, scheme: "HTTP" };
    assert.deepEqual(container.readinessProbe, {
      httpGet,
      periodSeconds: 5,
      failureThreshold: 3,
      timeoutSeconds: 2,
    });
    assert.deepEqual(container.livenessProbe, {
      httpGet,
      periodSeconds: 10,
      failureThreshold: 6,
      timeoutSeconds: 2,
      initialDelaySeconds: 10,
    });
    assert.deepEqual(container.resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "512Mi" },
    });
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(pod.spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.equal(pod.spec.serviceAccountName, "ingress");
    const configMap = children.get("kubernetes:core/v1:ConfigMap")!.inputs;
    assert.deepEqual(pod.spec.volumes, [
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      { name: "proxy", configMap: { name: configMap.metadata.name, defaultMode: 0o444 } },
    ]);

    // Labels and selectors agree: the Gateway's selector picks the pods, every selector picks them.
    const podLabels = pod.metadata.labels;
    assert.ok(selectorMatches(bookinfoGateway.selector, podLabels));
    assert.ok(!selectorMatches({ istio: "eastwestgateway" }, podLabels));
    assert.deepEqual(deployment.spec.selector.matchLabels, instance);
    assert.ok(selectorMatches(deployment.spec.selector.matchLabels, podLabels));
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    const pdb = children.get("kubernetes:policy/v1:PodDisruptionBudget")!.inputs;
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: instance } });

    // The pods start only once their permissions and their ConfigMap exist.
    const urn = (type: string) =>
      `urn:pulumi:update::istio-gateway-proxy-test::istio-gateway:index:GatewayProxy$${type}::ingress`;
    assert.deepEqual(
      [...children.get("kubernetes:apps/v1:Deployment")!.dependencies].sort(),
      [
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      ]
        .map(urn)
        .sort(),
    );

    assert.equal(await valueOf(proxy.serviceName), "ingress");
    assert.equal(await valueOf(proxy.namespace), "gateways");
    assert.deepEqual(await valueOf(proxy.labels), { istio: "ingressgateway", ...instance });
    assert.deepEqual(await valueOf(proxy.servicePorts), [
      { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
      { name: "https", port: 443, targetPort: 8443, protocol: "HTTPS" },
      { name: "https-alt", port: 8443, targetPort: 8443, protocol: "HTTPS" },
    ]);
    assert.equal(await valueOf(proxy.address), LOAD_BALANCER_IP);
    assert.deepEqual(
      logs.filter((l) => l.resource === "ingress"),
      [
        {
          severity: "info",
          resource: "ingress",
          message:
            'Gateways selecting {"istio":"ingressgateway"}: bookinfo/bookinfo-gateway, bookinfo/extra-port; Service ports 80->8080, 443->8443, 8443->8443',
        },
      ],
    );
    assert.deepEqual(rejections, []);
  });

  it("waits for a Gateway whose inputs resolve later, and serves its ports", async () => {
    const proxy = new GatewayProxy("waiting", { namespace: "gateways", image: "example/igw:1" });
    const namespace = new Promise<string>((resolve) => setTimeout(() => resolve("slow"), 500));
    new Gateway("slow-gateway", {
      metadata: { namespace: pulumi.output(namespace) },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [
          {
            port: { number: 9443, name: "tls", protocol: "TLS" },
            hosts: ["*"],
            tls: { mode: "PASSTHROUGH" },
          },
        ],
      },
    });
    assert.deepEqual(await valueOf(proxy.servicePorts), [
      { name: "tls", port: 9443, targetPort: 9443, protocol: "TLS" },
    ]);
    assert.deepEqual(
      logs.filter((l) => l.resource === "waiting").map((l) => l.message),
      ['Gateways selecting {"istio":"ingressgateway"}: slow/slow-gateway; Service ports 9443->9443'],
    );
  });

  it("runs a custom image behind a ClusterIP Service on the given ports, with no ConfigMap", async () => {
    const proxy = new GatewayProxy("edge", {
      name: "edge-gateway",
      namespace: "edge",
      labels: { app: "edge" },
      ports: [{ number: 443, name: "tls", protocol: "TLS" }],
      serviceType: "ClusterIP",
      serviceAnnotations: { "example.com/team": "edge" },
      replicas: 3,
      numTrustedProxies: 1,
      forwardClientCertDetails: "APPEND_FORWARD",
      proxyProtocol: true,
      image: pulumi.output("registry.example.com/istio-gateway:0.1.0"),
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { memory: "1Gi" },
      skipAwait: true,
    });
    const children = await childrenOf("edge", PROXY_RESOURCE_TYPES.length - 1);
    assert.ok(!children.has("kubernetes:core/v1:ConfigMap"));
    const expected = proxyManifests(
      bookinfoSettings({
        name: "edge-gateway",
        namespace: "edge",
        labels: { app: "edge" },
        ports: [{ name: "tls", port: 443, targetPort: 8443, protocol: "TLS" }],
        serviceType: "ClusterIP",
        serviceAnnotations: { "example.com/team": "edge" },
        replicas: 3,
        numTrustedProxies: 1,
        forwardClientCertDetails: "APPEND_FORWARD",
        proxyProtocol: true,
        image: "registry.example.com/istio-gateway:0.1.0",
        bundle: undefined,
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { memory: "1Gi" },
        skipAwait: true,
      }),
    );
    assertManifests(children, expected);
    const deployment = children.get("kubernetes:apps/v1:Deployment")!.inputs;
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.image, "registry.example.com/istio-gateway:0.1.0");
    assert.equal(container.command, undefined);
    // The load balancer in front is trusted to tell the client and the scheme, and names the
    // client in a PROXY protocol header.
    assert.deepEqual(container.args.slice(-7, -2), [
      "--num-trusted-proxies",
      "1",
      "--forward-client-cert-details",
      "APPEND_FORWARD",
      "--proxy-protocol",
    ]);
    assert.deepEqual(deployment.spec.template.spec.volumes, [
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
    ]);
    assert.deepEqual(deployment.metadata.annotations, { "pulumi.com/skipAwait": "true" });
    assert.deepEqual(children.get("kubernetes:core/v1:Service")!.inputs.metadata.annotations, {
      "example.com/team": "edge",
      "pulumi.com/skipAwait": "true",
    });
    assert.equal(await valueOf(proxy.serviceName), "edge-gateway");
    assert.equal(await valueOf(proxy.address), CLUSTER_IP);
    assert.deepEqual(rejections, []);
  });

  const invalid: [string, string, Record<string, unknown>, string][] = [
    [
      "ports, serviceType, replicas, numTrustedProxies, forwardClientCertDetails and proxyProtocol",
      "bad",
      {
        ports: [{ number: 70000, name: "x", protocol: "HTTP" }],
        serviceType: "Ingress",
        replicas: -1,
        numTrustedProxies: 1.5,
        forwardClientCertDetails: "SANITISE",
        proxyProtocol: "yes",
      },
      [
        'GatewayProxy "bad" has 6 invalid properties:',
        "  ports[0].number: must be an integer from 1 to 65535 (got 70000)",
        '  serviceType: must be one of "LoadBalancer", "NodePort", "ClusterIP" (got "Ingress")',
        "  replicas: must be a non-negative integer (got -1)",
        "  numTrustedProxies: must be an integer from 0 to 64 (got 1.5)",
        '  forwardClientCertDetails: must be one of "SANITIZE", "FORWARD_ONLY", "APPEND_FORWARD", "SANITIZE_SET", "ALWAYS_FORWARD_ONLY" (got "SANITISE")',
        '  proxyProtocol: must be true or false (got "yes")',
      ].join("\n"),
    ],
    [
      "a name that cannot name a Service",
      "Ingress_1",
      { ports: [{ number: 80, name: "http", protocol: "HTTP" }] },
      [
        'GatewayProxy "Ingress_1" has 1 invalid property:',
        '  name: must be a DNS-1035 label: at most 63 lower-case letters, digits or "-", starting with a letter (got "Ingress_1")',
      ].join("\n"),
    ],
    [
      "labels and namespace",
      "labels",
      { namespace: "Gateways", labels: { "istio/": "x", tier: "edge!" } },
      [
        'GatewayProxy "labels" has 3 invalid properties:',
        '  namespace: must be a DNS-1123 label: at most 63 lower-case letters, digits or "-" (got "Gateways")',
        '  labels["istio/"]: must be a label name: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (got "istio/")',
        '  labels.tier: must be a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (got "edge!")',
      ].join("\n"),
    ],
  ];
  for (const [what, name, args, message] of invalid) {
    it(`refuses ${what} before creating anything`, () => {
      const before = registered.length;
      assert.throws(
        () => new GatewayProxy(name, args as never),
        (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.message === message,
      );
      assert.equal(registered.length, before);
    });
  }

  it("refuses a proxy that no Gateway selects and that is given no ports, once that is known", async () => {
    new Gateway("elsewhere", {
      spec: {
        selector: { istio: "eastwestgateway" },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      },
    });
    const proxy = new GatewayProxy("lonely", { namespace: pulumi.output("gateways") });
    await assert.rejects(
      valueOf(proxy.servicePorts),
      (e: unknown) =>
        pulumi.InputPropertiesError.isInstance(e) &&
        e.message ===
          'GatewayProxy "lonely" has 1 invalid property:\n  ports: required when no Gateway declared in the program selects the labels {"istio":"ingressgateway"} (got [])',
    );
    assert.deepEqual(await failedRegistrations(), [
      'GatewayProxy "lonely" has 1 invalid property:\n  ports: required when no Gateway declared in the program selects the labels {"istio":"ingressgateway"} (got [])',
    ]);
    assert.deepEqual(
      registered.filter((r) => r.name === "lonely").map((r) => r.type),
      ["istio-gateway:index:GatewayProxy"],
    );
  });

  it("refuses an input that resolves to a broken value", async () => {
    const proxy = new GatewayProxy("late", {
      namespace: pulumi.output("Not A Namespace"),
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
    });
    await assert.rejects(
      valueOf(proxy.namespace),
      (e: unknown) =>
        pulumi.InputPropertiesError.isInstance(e) &&
        e.message ===
          'GatewayProxy "late" has 1 invalid property:\n  namespace: must be a DNS-1123 label: at most 63 lower-case letters, digits or "-" (got "Not A Namespace")',
    );
    assert.deepEqual(await failedRegistrations(), [
      'GatewayProxy "late" has 1 invalid property:\n  namespace: must be a DNS-1123 label: at most 63 lower-case letters, digits or "-" (got "Not A Namespace")',
    ]);
    assert.deepEqual(
      registered.filter((r) => r.name === "late").map((r) => r.type),
      ["istio-gateway:index:GatewayProxy"],
    );
  });
});
