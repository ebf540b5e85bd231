import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Secret } from "../../istio/model";
import type { DataSource } from "../../istio/translate/proxy-config";
import { formatIssueLine, validateObject } from "../../istio/validate";
import type { WatchedObjects } from "./kubernetes-load";
import { ServedSecrets } from "../config/served-secrets";
import { buildKubernetesLoad } from "./kubernetes-load";

const identity = { namespace: "istio-system", labels: { istio: "ingressgateway" } };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const pem = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`;

function gateway(
  name: string,
  selector: Record<string, string>,
  servers: unknown[],
  namespace = "istio-system",
): unknown {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name, namespace, resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { selector, servers },
  };
}

const http80 = { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] };
const https443 = (credentialName: string, mode = "SIMPLE") => ({
  port: { number: 443, name: "https", protocol: "HTTPS" },
  hosts: ["*"],
  tls: { mode, credentialName },
});

function virtualService(
  name: string,
  namespace: string,
  exportTo: string[] | undefined,
  host: string,
  subset?: string,
): unknown {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      hosts: ["*"],
      gateways: ["istio-system/gw"],
      ...(exportTo === undefined ? {} : { exportTo }),
      http: [
        {
          route: [
            { destination: { host, port: { number: 9080 }, ...(subset === undefined ? {} : { subset }) } },
          ],
        },
      ],
    },
  };
}

/** Where an inline data source came from (`Secret ns/name["key"]`). */
const originOf = (d: DataSource | undefined) => (d !== undefined && "origin" in d ? d.origin : undefined);

function secret(name: string, data: Record<string, string>, namespace = "istio-system"): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

const empty: WatchedObjects = { istio: [], secrets: [], services: [], endpointSlices: [], pods: [] };

/** The parts of a load the tests compare: whole, but without the bulk of unrelated defaults. */
function summary(load: ReturnType<typeof buildKubernetesLoad>) {
  return {
    served: load.config !== undefined,
    listeners: (load.config?.listeners ?? []).map((l) => ({
      name: l.name,
      chains: l.filterChains.map((f) => ({
        name: f.name,
        ...(f.tls === undefined
          ? {}
          : {
              certificates: f.tls.certificates.map((c) => [c.certificateChain, c.privateKey]),
              ...(f.tls.caCertificates === undefined ? {} : { ca: f.tls.caCertificates }),
            }),
        routes: (f.httpConnectionManager?.routeConfig.virtualHosts ?? []).flatMap((v) =>
          v.routes.map((r) => `${v.name} -> ${r.name}`),
        ),
      })),
    })),
    clusters: (load.config?.clusters ?? []).map((c) => ({
      name: c.name,
      endpoints: c.endpoints.map((e) => `${e.address}:${e.port}`),
    })),
    skipped: load.skipped.map(
      (s) => `${s.resource.kind} ${s.resource.namespace}/${s.resource.name}@${s.resourceVersion}`,
    ),
    messages: load.messages,
  };
}

const destinationRule = {
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
};

const reviewsEndpoints: Pick<WatchedObjects, "services" | "endpointSlices" | "pods"> = {
  services: [
    { namespace: "bookinfo", name: "reviews", type: "ClusterIP", ports: [{ name: "http", port: 9080 }] },
  ],
  endpointSlices: [
    {
      namespace: "bookinfo",
      name: "reviews-1",
      serviceName: "reviews",
      addressType: "IPv4",
      ports: [{ name: "http", port: 9081 }],
      endpoints: [
        { addresses: ["10.0.0.1"], ready: true, pod: { namespace: "bookinfo", name: "reviews-v1" } },
        { addresses: ["10.0.0.2"], ready: true, pod: { namespace: "bookinfo", name: "reviews-v2" } },
        { addresses: ["10.0.0.3"], ready: false, pod: { namespace: "bookinfo", name: "reviews-v1-old" } },
      ],
    },
  ],
  pods: [
    { namespace: "bookinfo", name: "reviews-v1", labels: { app: "reviews", version: "v1" } },
    { namespace: "bookinfo", name: "reviews-v2", labels: { app: "reviews", version: "v2" } },
    { namespace: "bookinfo", name: "reviews-v1-old", labels: { app: "reviews", version: "v1" } },
  ],
};

const certChain = pem("CERTIFICATE");
const key = pem("PRIVATE KEY");
const ca = pem("CA");

describe("buildKubernetesLoad", () => {
  it("serves the Gateways selecting the proxy and the VirtualServices exported to it, subsets by pod labels", () => {
    const load = buildKubernetesLoad(
      {
        ...reviewsEndpoints,
        istio: [
          gateway("gw", { istio: "ingressgateway" }, [http80]),
          gateway("other", { app: "other" }, [
            { ...http80, port: { number: 81, name: "http", protocol: "HTTP" } },
          ]),
          virtualService("vs", "bookinfo", undefined, "reviews", "v1"),
          virtualService("hidden", "bookinfo", ["bookinfo"], "ratings"),
          destinationRule,
        ],
        secrets: [],
      },
      identity,
    );
    assert.deepEqual(summary(load), {
      served: true,
      listeners: [
        { name: "0.0.0.0_8080", chains: [{ name: "http.8080", routes: ["*:80 -> bookinfo.vs.0.-1"] }] },
      ],
      clusters: [
        { name: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local", endpoints: ["10.0.0.1:9081"] },
      ],
      skipped: [],
      messages: [
        `Info [IGW6001] (Gateway istio-system/other) spec.selector: must be contained in the proxy's labels "istio=ingressgateway" for this proxy to serve the Gateway (got "app=other")`,
      ],
    });
    assert.deepEqual(load.destinationServices, [{ namespace: "bookinfo", name: "reviews" }]);
  });

  it("reads credentials in each format Istio reads, and no other Secret", () => {
    const origin = (name: string, k: string) => `Secret istio-system/${name}[${JSON.stringify(k)}]`;
    const cases: [string, Secret[], unknown][] = [
      [
        "tls.crt, tls.key and ca.crt",
        [secret("cred", { "tls.crt": certChain, "tls.key": key, "ca.crt": ca })],
        {
          certificates: [
            [
              { inline: certChain, origin: origin("cred", "tls.crt") },
              { inline: key, origin: origin("cred", "tls.key") },
            ],
          ],
          ca: { inline: ca, origin: origin("cred", "ca.crt") },
        },
      ],
      [
        "cert, key and cacert",
        [secret("cred", { cert: certChain, key, cacert: ca })],
        {
          certificates: [
            [
              { inline: certChain, origin: origin("cred", "cert") },
              { inline: key, origin: origin("cred", "key") },
            ],
          ],
          ca: { inline: ca, origin: origin("cred", "cacert") },
        },
      ],
      [
        "the CA in the -cacert companion",
        [secret("cred", { "tls.crt": certChain, "tls.key": key }), secret("cred-cacert", { "ca.crt": ca })],
        {
          certificates: [
            [
              { inline: certChain, origin: origin("cred", "tls.crt") },
              { inline: key, origin: origin("cred", "tls.key") },
            ],
          ],
          ca: { inline: ca, origin: origin("cred-cacert", "ca.crt") },
        },
      ],
    ];
    for (const [name, secrets, want] of cases) {
      const load = buildKubernetesLoad(
        {
          ...empty,
          istio: [gateway("gw", { istio: "ingressgateway" }, [https443("cred", "MUTUAL")])],
          secrets: [
            ...secrets,
            secret("unrelated", { "tls.crt": "x" }),
            secret("cred", { cert: "elsewhere" }, "default"),
          ],
        },
        identity,
      );
      const chain = summary(load).listeners[0]?.chains[0];
      assert.deepEqual({ certificates: chain?.certificates, ca: chain?.ca }, want, name);
      assert.deepEqual(
        load.resources
          .filter((r) => r.kind === "Secret")
          .map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
        secrets.map((s) => `istio-system/${s.metadata.name}`),
        name,
      );
    }
  });

  it("reads the Secrets of kubernetes:// credential names, their -cacert companions and caCertCredentialName", () => {
    const origin = (name: string, k: string) => `Secret istio-system/${name}[${JSON.stringify(k)}]`;
    const mutual = (tls: Record<string, unknown>) => ({
      ...https443("x", "MUTUAL"),
      tls: { mode: "MUTUAL", ...tls },
    });
    const cases: [string, Record<string, unknown>, Secret[], unknown][] = [
      [
        "kubernetes://namespace/name with its companion",
        { credentialName: "kubernetes://istio-system/cred" },
        [secret("cred", { "tls.crt": certChain, "tls.key": key }), secret("cred-cacert", { "ca.crt": ca })],
        { certificate: origin("cred", "tls.crt"), ca: origin("cred-cacert", "ca.crt") },
      ],
      [
        "kubernetes://name, and the CA of caCertCredentialName",
        { credentialName: "kubernetes://cred", caCertCredentialName: "kubernetes://client-ca" },
        [secret("client-ca", { "ca.crt": ca }), secret("cred", { cert: certChain, key })],
        { certificate: origin("cred", "cert"), ca: origin("client-ca", "ca.crt") },
      ],
    ];
    for (const [name, tls, secrets, want] of cases) {
      const load = buildKubernetesLoad(
        {
          ...empty,
          istio: [gateway("gw", { istio: "ingressgateway" }, [mutual(tls)])],
          secrets: [
            ...secrets,
            secret("unrelated", { "tls.crt": "x" }),
            secret("cred", { cert: "x" }, "default"),
          ],
        },
        identity,
      );
      const chain = load.config?.listeners[0]?.filterChains[0]?.tls;
      assert.deepEqual(
        {
          certificate: originOf(chain?.certificates[0]?.certificateChain),
          ca: originOf(chain?.caCertificates),
        },
        want,
        name,
      );
      assert.deepEqual(
        load.resources
          .filter((r) => r.kind === "Secret")
          .map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
        secrets.map((s) => `istio-system/${s.metadata.name}`),
        name,
      );
    }
  });

  it("skips a resource that fails validation, reports it, and serves the rest", () => {
    // The rule engine's verdict (its wording and codes are its own tests' business).
    const bad = gateway("bad", { istio: "ingressgateway" }, [{ ...https443("x"), tls: { mode: "SIMPLE" } }]);
    const verdict = validateObject(bad).issues;
    assert.deepEqual(
      verdict.map((i) => `${i.severity} ${i.path}`),
      ["error spec.servers[0].tls.serverCertificate", "error spec.servers[0].tls.privateKey"],
    );
    const load = buildKubernetesLoad(
      {
        ...empty,
        istio: [
          bad,
          gateway("gw", { istio: "ingressgateway" }, [http80]),
          virtualService("vs", "bookinfo", undefined, "reviews"),
        ],
      },
      identity,
    );
    assert.deepEqual(summary(load), {
      served: true,
      listeners: [
        { name: "0.0.0.0_8080", chains: [{ name: "http.8080", routes: ["*:80 -> bookinfo.vs.0.-1"] }] },
      ],
      clusters: [
        {
          name: "outbound|9080||reviews.bookinfo.svc.cluster.local",
          endpoints: ["reviews.bookinfo.svc.cluster.local:9080"],
        },
      ],
      skipped: ["Gateway istio-system/bad@7"],
      messages: [
        ...verdict.map((i) => formatIssueLine(i)),
        "skipped Gateway istio-system/bad (resourceVersion 7): it fails validation; the rest of the configuration is served",
      ],
    });
    assert.deepEqual(load.skipped[0]?.issues, verdict);
  });

  it("enforces the AuthorizationPolicies it watches, and refuses a change with one that fails validation", () => {
    const policy = (ipBlocks: string[]) => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "ingress-policy", namespace: "istio-system", resourceVersion: "9" },
      spec: { action: "DENY", rules: [{ from: [{ source: { ipBlocks } }] }] },
    });
    const gw = gateway("gw", { istio: "ingressgateway" }, [http80]);
    const load = buildKubernetesLoad({ ...empty, istio: [gw, policy(["10.0.0.0/8"])] }, identity);
    assert.deepEqual(load.config?.rbac?.policies, [
      { policy: "istio-system/ingress-policy", action: "DENY" },
    ]);
    const bad = policy(["10.0.0.0/33"]);
    const refused = buildKubernetesLoad({ ...empty, istio: [gw, bad] }, identity);
    assert.equal(refused.config, undefined);
    assert.deepEqual(refused.messages, [
      ...validateObject(bad).issues.map((i) => formatIssueLine(i)),
      "AuthorizationPolicy istio-system/ingress-policy (resourceVersion 9) fails validation: the change is refused rather than served without it",
    ]);
  });

  it("validates tokens by the RequestAuthentications it watches, and refuses a change with one that fails validation", () => {
    const policy = (jwksUri: string) => ({
      apiVersion: "security.istio.io/v1",
      kind: "RequestAuthentication",
      metadata: { name: "jwt-example", namespace: "istio-system", resourceVersion: "7" },
      spec: { jwtRules: [{ issuer: "testing@secure.istio.io", jwksUri }] },
    });
    const gw = gateway("gw", { istio: "ingressgateway" }, [http80]);
    const load = buildKubernetesLoad(
      { ...empty, istio: [gw, policy("https://keys.example.com/jwks.json")] },
      identity,
    );
    assert.deepEqual(load.config?.jwtAuthn?.policies, ["istio-system/jwt-example"]);
    const bad = policy("ftp://keys.example.com/jwks.json");
    const refused = buildKubernetesLoad({ ...empty, istio: [gw, bad] }, identity);
    assert.equal(refused.config, undefined);
    assert.deepEqual(refused.messages, [
      ...validateObject(bad).issues.map((i) => formatIssueLine(i)),
      "RequestAuthentication istio-system/jwt-example (resourceVersion 7) fails validation: the change is refused rather than served without it",
    ]);
  });

  it("serves a server whose Secret is missing beside a working one, its handshakes failing", () => {
    const load = buildKubernetesLoad(
      { ...empty, istio: [gateway("gw", { istio: "ingressgateway" }, [http80, https443("missing")])] },
      identity,
    );
    assert.deepEqual(
      load.config?.listeners.map((l) => [l.name, l.filterChains.map((c) => c.transport)]),
      [
        ["0.0.0.0_8080", ["http"]],
        ["0.0.0.0_8443", ["tls-unavailable"]],
      ],
    );
  });

  it("serves a Gateway whose only server lacks its Secret: its handshakes fail until the Secret comes", () => {
    const load = buildKubernetesLoad(
      { ...empty, istio: [gateway("gw", { istio: "ingressgateway" }, [https443("missing")])] },
      identity,
    );
    assert.deepEqual(
      load.config?.listeners.map((l) => [l.name, l.filterChains.map((c) => c.transport)]),
      [["0.0.0.0_8443", ["tls-unavailable"]]],
    );
    assert.deepEqual(load.messages, [
      `Error [IST0101] (Gateway istio-system/gw) spec.servers[0].tls.credentialName: must name a Secret in the proxy's namespace "istio-system" (got "missing")`,
    ]);
  });

  it("refuses a change that leaves only errors and nothing to serve", () => {
    const auto = { ...https443("unused"), tls: { mode: "AUTO_PASSTHROUGH" } };
    const load = buildKubernetesLoad(
      { ...empty, istio: [gateway("gw", { istio: "ingressgateway" }, [auto])] },
      identity,
    );
    assert.equal(load.config, undefined);
    assert.equal(load.messages.length, 1);
    assert.match(
      load.messages[0]!,
      /^Error \[IGW6003\] \(Gateway istio-system\/gw\) spec\.servers\[0\]\.tls\.mode/,
    );
  });

  it("serves a served Secret's certificate when the Secret goes or breaks, until no server names it", () => {
    const served = new ServedSecrets();
    const istio = [gateway("gw", { istio: "ingressgateway" }, [https443("cred")])];
    const good = secret("cred", { "tls.crt": certChain, "tls.key": key });
    const load = (secrets: Secret[], objects = istio) =>
      buildKubernetesLoad({ ...empty, istio: objects, secrets }, identity, served);
    const certificateOf = (l: ReturnType<typeof load>) =>
      l.config?.listeners.map((x) => x.filterChains.map((c) => c.tls?.certificates[0]?.certificateChain));
    const kept = `Warning [IGW6023] (Secret istio-system/cred) is missing, or has no certificate and key or CA bundle: the certificates last read from it are still served, as Envoy keeps the last secret SDS sent until the gateway restarts`;
    const served1 = [[{ inline: certChain, origin: 'Secret istio-system/cred["tls.crt"]' }]];

    assert.deepEqual([certificateOf(load([good])), load([good]).messages], [served1, []]);
    // Deleted, then left without its key: the certificate served before is served on.
    assert.deepEqual([certificateOf(load([])), load([]).messages], [served1, [kept]]);
    const broken = load([secret("cred", { "tls.crt": certChain })]);
    assert.deepEqual([certificateOf(broken), broken.messages], [served1, [kept]]);
    // No server names it any more: forgotten, so a server naming it again waits for it.
    assert.deepEqual(load([], [gateway("gw", { istio: "ingressgateway" }, [http80])]).messages, []);
    const again = load([]);
    assert.deepEqual(
      again.config?.listeners.map((l) => l.filterChains.map((c) => c.transport)),
      [["tls-unavailable"]],
    );
  });
});
