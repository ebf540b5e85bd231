// The proxy's Kubernetes source against a real kube-apiserver: what it emits for resources applied
// with kubectl, live changes (Secret rotation, deletion, a resource that fails validation), the
// API server lost and found again, and the least-privilege permission list as the only grant.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { buildCustomResourceDefinitions } from "../../provider/src/istio/schema/crd";
import { validateObject } from "../../provider/src/istio/validate";
import type { KubernetesLoad } from "../../provider/src/proxy/kubernetes";
import {
  KUBERNETES_SOURCE_PERMISSIONS,
  KubernetesConfigSource,
  listObjects,
} from "../../provider/src/proxy/kubernetes";
import { kubeconfigText, startCluster, type LocalCluster } from "../e2e/support/cluster";
import { controlPlaneSuite, eventually, Relay } from "./support";
import { waitForEstablished } from "../../provider/src/local/control-plane";

const PROXY_NS = "istio-system";
const identity = { namespace: PROXY_NS, labels: { istio: "ingressgateway", app: "gw" } };
const pem = (what: string) =>
  `-----BEGIN ${what}-----\n${Buffer.from(what).toString("base64")}\n-----END CERTIFICATE-----\n`;

const json = (o: unknown) => JSON.stringify(o);

/**
 * A security.istio.io CRD as Istio's base chart serves it (v1 stored beside v1beta1), its schema
 * left open: the source reads it, the suite does not test its schema.
 */
function securityCrd(kind: string, plural: string) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.security.istio.io` },
    spec: {
      group: "security.istio.io",
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: "Namespaced",
      versions: ["v1", "v1beta1"].map((name) => ({
        name,
        served: true,
        storage: name === "v1",
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      })),
    },
  };
}

function gateway(name: string, selector: Record<string, string>, servers: unknown[]) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: PROXY_NS },
    spec: { selector, servers },
  };
}
const http80 = { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] };
const http81 = { port: { number: 81, name: "http", protocol: "HTTP" }, hosts: ["*"] };
const https443 = {
  port: { number: 443, name: "https", protocol: "HTTPS" },
  hosts: ["*"],
  tls: { mode: "SIMPLE", credentialName: "cred" },
};

function virtualService(
  name: string,
  exportTo: string[] | undefined,
  host: string,
  destination: Record<string, unknown>,
) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace: "bookinfo" },
    spec: {
      hosts: [host],
      gateways: [`${PROXY_NS}/gw`],
      ...(exportTo === undefined ? {} : { exportTo }),
      http: [{ route: [{ destination }] }],
    },
  };
}

const objects = [
  ...["istio-system", "bookinfo", "other"].map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  })),
  // No controller manager runs, so the ServiceAccount pods name must be made by hand.
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "bookinfo" } },
  gateway("gw", { istio: "ingressgateway" }, [http80]),
  gateway("gw-elsewhere", { istio: "eastwestgateway" }, [http81]),
  virtualService("reviews", undefined, "reviews.example.com", {
    host: "reviews",
    port: { number: 9080 },
    subset: "v1",
  }),
  virtualService("hidden", ["other"], "hidden.example.com", { host: "ratings", port: { number: 9080 } }),
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "reviews", namespace: "bookinfo" },
    spec: {
      host: "reviews",
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "reviews", namespace: "bookinfo" },
    spec: { selector: { app: "reviews" }, ports: [{ name: "http", port: 9080, targetPort: 9081 }] },
  },
  ...[
    ["reviews-v1", "v1"],
    ["reviews-v2", "v2"],
  ].map(([name, version]) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "bookinfo", labels: { app: "reviews", version } },
    spec: { containers: [{ name: "app", image: "example.invalid/reviews" }] },
  })),
  {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "reviews-1",
      namespace: "bookinfo",
      labels: { "kubernetes.io/service-name": "reviews" },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 9081, protocol: "TCP" }],
    endpoints: [
      {
        addresses: ["10.1.0.1"],
        conditions: { ready: true },
        targetRef: { kind: "Pod", name: "reviews-v1", namespace: "bookinfo" },
      },
      {
        addresses: ["10.1.0.2"],
        conditions: { ready: true },
        targetRef: { kind: "Pod", name: "reviews-v2", namespace: "bookinfo" },
      },
    ],
  },
];

/** What a load amounts to, compared whole. */
function summary(load: KubernetesLoad | undefined) {
  return {
    listeners: (load?.config?.listeners ?? []).map((l) => ({
      name: l.name,
      chains: l.filterChains.map((f) => ({
        name: f.name,
        ...(f.tls === undefined
          ? {}
          : {
              certificate: f.tls.certificates.map((c) =>
                "inline" in c.certificateChain ? c.certificateChain.inline : "",
              )[0],
            }),
        virtualHosts: (f.httpConnectionManager?.routeConfig.virtualHosts ?? []).map((v) =>
          v.domains.join(","),
        ),
      })),
    })),
    clusters: (load?.config?.clusters ?? []).map(
      (c) => `${c.name} ${c.endpoints.map((e) => `${e.address}:${e.port}`).join(" ")}`,
    ),
    skipped: (load?.skipped ?? []).map(
      (s) => `${s.resource.kind} ${s.resource.namespace}/${s.resource.name}`,
    ),
  };
}

controlPlaneSuite("Kubernetes configuration source", (tools) => {
  let cluster: LocalCluster;
  let kc: KubeConfig;
  const sources: KubernetesConfigSource[] = [];
  const relays: Relay[] = [];
  const log: string[] = [];
  let changes = 0;
  let source: KubernetesConfigSource;

  const apply = async (...docs: unknown[]) => {
    await cluster.kubectl(["apply", "-f", "-"], docs.map(json).join("\n"));
  };

  function startSource(config: KubeConfig, lines: string[]): KubernetesConfigSource {
    const s = new KubernetesConfigSource({
      kubeConfig: config,
      identity,
      onChange: () => changes++,
      log: (line) => lines.push(line),
      debounceMs: 50,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
    });
    sources.push(s);
    return s;
  }

  before(async () => {
    cluster = await startCluster(tools);
    kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    await apply(
      ...buildCustomResourceDefinitions(),
      securityCrd("AuthorizationPolicy", "authorizationpolicies"),
      securityCrd("RequestAuthentication", "requestauthentications"),
    );
    await waitForEstablished((args) => cluster.kubectl(args), ["crd", "--all"]);
    await apply(...objects);
    source = startSource(kc, log);
    await source.start();
  });

  after(async () => {
    for (const s of sources) s.stop();
    for (const r of relays) await r.cut();
    await cluster?.stop();
  });

  it("serves the Gateway selecting the proxy and the VirtualService exported to it, with the v1 pod as the subset's endpoint", async () => {
    await eventually(
      "the reviews endpoints",
      () => summary(source.lastLoad).clusters[0]?.includes("10.1.0.1") === true,
    );
    assert.deepEqual(summary(source.lastLoad), {
      listeners: [
        { name: "0.0.0.0_8080", chains: [{ name: "http.8080", virtualHosts: ["reviews.example.com"] }] },
      ],
      clusters: ["outbound|9080|v1|reviews.bookinfo.svc.cluster.local 10.1.0.1:9081"],
      skipped: [],
    });
    assert.deepEqual(source.lastLoad?.messages, [
      `Info [IGW6001] (Gateway istio-system/gw-elsewhere) spec.selector: must be contained in the proxy's labels "app=gw,istio=ingressgateway" for this proxy to serve the Gateway (got "istio=eastwestgateway")`,
    ]);
    assert.deepEqual(
      source.status().watches.map((w) => [w.resource, w.synced, w.connected]),
      [
        ["gateways.networking.istio.io", true, true],
        ["virtualservices.networking.istio.io", true, true],
        ["destinationrules.networking.istio.io", true, true],
        ["serviceentries.networking.istio.io", true, true],
        ["authorizationpolicies.security.istio.io", true, true],
        ["requestauthentications.security.istio.io", true, true],
        ["secrets in istio-system", true, true],
        ["services in bookinfo", true, true],
        ["endpointslices.discovery.k8s.io in bookinfo", true, true],
        ["pods in bookinfo", true, true],
      ],
    );
  });

  it("follows a pod's labels into subset selection", async () => {
    await cluster.kubectl(["-n", "bookinfo", "label", "pod", "reviews-v2", "version=v1", "--overwrite"]);
    await eventually(
      "both pods in subset v1",
      () => summary(source.lastLoad).clusters[0]?.endsWith("10.1.0.1:9081 10.1.0.2:9081") === true,
    );
    await cluster.kubectl(["-n", "bookinfo", "label", "pod", "reviews-v2", "version=v2", "--overwrite"]);
    await eventually(
      "only reviews-v1 again",
      () =>
        summary(source.lastLoad).clusters[0]?.endsWith(
          "v1|reviews.bookinfo.svc.cluster.local 10.1.0.1:9081",
        ) === true,
    );
  });

  it("serves a credential and a rotated credential's new PEM", async () => {
    const secret = (cert: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: "cred", namespace: PROXY_NS },
      stringData: { "tls.crt": cert, "tls.key": pem("PRIVATE KEY") },
    });
    await apply(secret(pem("FIRST")), gateway("gw-https", { istio: "ingressgateway" }, [https443]));
    const certificate = () =>
      summary(source.lastLoad).listeners.find((l) => l.name === "0.0.0.0_8443")?.chains[0]?.certificate;
    await eventually("the first certificate", () => certificate() === pem("FIRST"));
    const before = changes;
    await apply(secret(pem("SECOND")));
    await eventually("the rotated certificate", () => certificate() === pem("SECOND"));
    assert.equal(changes > before, true);
  });

  it("enforces an AuthorizationPolicy applied with kubectl, and drops it when deleted", async () => {
    // authz-ingress, snip_ipbased_allow_list_and_deny_list_1, selecting this proxy by its labels.
    await apply({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "ingress-policy", namespace: PROXY_NS },
      spec: {
        selector: { matchLabels: { app: "gw" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { ipBlocks: ["1.2.3.4", "5.6.7.0/24"] } }] }],
      },
    });
    await eventually("the policy in force", () => source.lastLoad?.config?.rbac !== undefined);
    assert.deepEqual(source.lastLoad?.config?.rbac?.policies, [
      { policy: "istio-system/ingress-policy", action: "ALLOW" },
    ]);
    await cluster.kubectl(["-n", PROXY_NS, "delete", "authorizationpolicy", "ingress-policy"]);
    await eventually("the policy gone", () => source.lastLoad?.config?.rbac === undefined);
  });

  it("validates tokens as a RequestAuthentication applied with kubectl says, and stops when it is deleted", async () => {
    // authn-policy, snip_enduser_authentication_4, selecting this proxy by its labels, its key set
    // inline (the task's jwksUri is not reachable from a test).
    const jwks = JSON.stringify({
      keys: [
        {
          kty: "EC",
          crv: "P-256",
          x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        },
      ],
    });
    await apply({
      apiVersion: "security.istio.io/v1",
      kind: "RequestAuthentication",
      metadata: { name: "jwt-example", namespace: PROXY_NS },
      spec: {
        selector: { matchLabels: { app: "gw" } },
        jwtRules: [{ issuer: "testing@secure.istio.io", jwks }],
      },
    });
    await eventually("the policy in force", () => source.lastLoad?.config?.jwtAuthn !== undefined);
    assert.deepEqual(source.lastLoad?.config?.jwtAuthn?.policies, ["istio-system/jwt-example"]);
    await cluster.kubectl(["-n", PROXY_NS, "delete", "requestauthentication", "jwt-example"]);
    await eventually("the policy gone", () => source.lastLoad?.config?.jwtAuthn === undefined);
  });

  it("drops a deleted Gateway's listener", async () => {
    await cluster.kubectl(["-n", PROXY_NS, "delete", "gateway", "gw-https"]);
    await eventually("no 8443 listener", () =>
      summary(source.lastLoad).listeners.every((l) => l.name !== "0.0.0.0_8443"),
    );
    assert.deepEqual(
      summary(source.lastLoad).listeners.map((l) => l.name),
      ["0.0.0.0_8080"],
    );
  });

  it("skips a Gateway that fails validation, shows it on the status, and keeps serving the rest", async () => {
    const bad = gateway("bad", { istio: "ingressgateway" }, [
      { ...https443, port: { number: 9443, name: "tls", protocol: "HTTPS" }, tls: { mode: "SIMPLE" } },
    ]);
    // The rule engine's verdict; its wording and codes are its own tests' business.
    const verdict = validateObject(bad).issues.map(({ resource: _resource, ...rest }) => rest);
    assert.deepEqual(
      verdict.map((i) => `${i.severity} ${i.path}`),
      ["error spec.servers[0].tls.serverCertificate", "error spec.servers[0].tls.privateKey"],
    );
    await apply(bad);
    await eventually("the skipped Gateway", () => summary(source.lastLoad).skipped.length === 1);
    assert.deepEqual(summary(source.lastLoad), {
      listeners: [
        { name: "0.0.0.0_8080", chains: [{ name: "http.8080", virtualHosts: ["reviews.example.com"] }] },
      ],
      clusters: ["outbound|9080|v1|reviews.bookinfo.svc.cluster.local 10.1.0.1:9081"],
      skipped: ["Gateway istio-system/bad"],
    });
    const status = source.status();
    assert.deepEqual(
      status.skipped.map((s) => ({ ...s, resourceVersion: s.resourceVersion !== "" })),
      [
        {
          resource: { kind: "Gateway", namespace: PROXY_NS, name: "bad" },
          resourceVersion: true,
          issues: verdict,
        },
      ],
    );
    await cluster.kubectl(["-n", PROXY_NS, "delete", "gateway", "bad"]);
    await eventually("nothing skipped", () => summary(source.lastLoad).skipped.length === 0);
  });

  it("keeps the last configuration while the API server is away and catches up when it is back, backing off", async () => {
    const target = new URL(cluster.server);
    const relay = new Relay(target.hostname, Number(target.port));
    relays.push(relay);
    await relay.open(0);
    const relayed = new KubeConfig();
    relayed.loadFromString(kubeconfigText(`https://127.0.0.1:${relay.port}`, cluster.caCert, cluster.token));
    const lines: string[] = [];
    const s = startSource(relayed, lines);
    await s.start();
    await eventually(
      "the endpoints through the relay",
      () => summary(s.lastLoad).clusters[0]?.includes("10.1.0.1") === true,
    );
    const served = summary(s.lastLoad);

    await relay.cut();
    await cluster.kubectl(["-n", PROXY_NS, "delete", "gateway", "gw"]);
    const gatewayLines = () =>
      lines.filter((l) => l.startsWith("cannot watch gateways.networking.istio.io:"));
    await eventually("four failed attempts", () => gatewayLines().length >= 4);
    assert.deepEqual(summary(s.lastLoad), served);
    assert.deepEqual(
      gatewayLines()
        .slice(0, 4)
        .map((l) => / attempt \d+ failed, retrying in \d+ ms/.exec(l)?.[0]),
      [
        " attempt 1 failed, retrying in 100 ms",
        " attempt 2 failed, retrying in 200 ms",
        " attempt 3 failed, retrying in 400 ms",
        " attempt 4 failed, retrying in 400 ms",
      ],
    );
    assert.equal(
      s.status().watches.find((w) => w.resource === "gateways.networking.istio.io")?.connected,
      false,
    );

    await relay.open();
    await eventually("the deleted Gateway gone", () => summary(s.lastLoad).listeners.length === 0);
    await eventually("the watch reconnected", () =>
      lines.some((l) => /^watching gateways\.networking\.istio\.io again after \d+ failed attempts$/.test(l)),
    );
    assert.equal(
      s.status().watches.every((w) => w.connected),
      true,
    );
    await apply(gateway("gw", { istio: "ingressgateway" }, [http80]));
    await eventually("the Gateway back", () => summary(s.lastLoad).listeners.length === 1);
  });

  it("works with exactly the permissions it declares", async () => {
    const rules = (scope: string) =>
      KUBERNETES_SOURCE_PERMISSIONS.filter((p) => p.scope === scope).map((p) => ({
        apiGroups: [p.apiGroup],
        resources: [p.resource],
        verbs: [...p.verbs],
      }));
    const sa = { kind: "ServiceAccount", name: "gateway-proxy", namespace: PROXY_NS };
    await apply(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "gateway-proxy", namespace: PROXY_NS } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "gateway-proxy" },
        rules: rules("cluster"),
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "gateway-proxy" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "gateway-proxy" },
        subjects: [sa],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "gateway-proxy", namespace: PROXY_NS },
        rules: rules("proxy-namespace"),
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "gateway-proxy", namespace: PROXY_NS },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "gateway-proxy" },
        subjects: [sa],
      },
    );
    const token = (
      await cluster.kubectl(["-n", PROXY_NS, "create", "token", "gateway-proxy", "--duration=10m"])
    ).trim();
    const restricted = new KubeConfig();
    restricted.loadFromString(kubeconfigText(cluster.server, cluster.caCert, token));
    const lines: string[] = [];
    const s = startSource(restricted, lines);
    await s.start();
    await eventually(
      "the endpoints with the restricted account",
      () => summary(s.lastLoad).clusters[0]?.includes("10.1.0.1") === true,
    );
    assert.deepEqual(summary(s.lastLoad), summary(source.lastLoad));
    assert.deepEqual(lines, []);
    // And the declared grant is what it takes: a Secret outside its namespace is not readable.
    await assert.rejects(listObjects(restricted, "/api/v1/namespaces/bookinfo/secrets"), {
      name: "ApiStatusError",
      statusCode: 403,
    });
  });
});
