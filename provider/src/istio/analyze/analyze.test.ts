import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type {
  Gateway,
  Pod,
  Resource,
  Secret,
  Server,
  Service,
  VirtualService,
  VirtualServiceSpec,
} from "../model";
import { analyzeResources } from "./analyze";
import type { AnalyzeOptions } from "./options";

// ---- builders ----------------------------------------------------------------------------------

const ISTIO = "networking.istio.io/v1";
const http80 = (hosts: string[]): Server => ({ port: { number: 80, protocol: "HTTP", name: "http" }, hosts });
const https443 = (hosts: string[], tls: Server["tls"]): Server => ({
  port: { number: 443, protocol: "HTTPS", name: "https" },
  hosts,
  ...(tls === undefined ? {} : { tls }),
});

function gateway(
  name: string,
  servers: Server[],
  opts: { namespace?: string; selector?: Record<string, string> } = {},
): Gateway {
  return {
    apiVersion: ISTIO,
    kind: "Gateway",
    metadata: { name, namespace: opts.namespace ?? "istio-system" },
    spec: { selector: opts.selector ?? { istio: "ingressgateway" }, servers },
  };
}
function virtualService(name: string, spec: VirtualServiceSpec, namespace = "default"): VirtualService {
  return { apiVersion: ISTIO, kind: "VirtualService", metadata: { name, namespace }, spec };
}
function pod(name: string, namespace: string, labels: Record<string, string>): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels } };
}
function secret(name: string, namespace: string, stringData: Record<string, string>): Secret {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, stringData };
}
function service(
  name: string,
  namespace: string,
  selector: Record<string, string>,
  ports: number[],
): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector, ports: ports.map((port) => ({ port })) },
  };
}
const to = (host: string) => [{ destination: { host } }];
const publicGw = gateway("public-gw", [
  http80(["*.example.com"]),
  https443(["*.example.com"], { mode: "SIMPLE", credentialName: "wildcard-cert" }),
]);
const bound = (spec: Partial<VirtualServiceSpec> = {}, name = "site") =>
  virtualService(name, {
    hosts: ["www.example.com"],
    gateways: ["istio-system/public-gw"],
    http: [{ route: to("web") }],
    ...spec,
  });

/** Findings as `[severity, code, istioCode, "Kind ns/name", path, message]` rows. */
function run(resources: Resource[], options?: AnalyzeOptions): string[][] {
  return analyzeResources(resources, options).map((i) => [
    i.severity,
    i.code,
    i.istioCode ?? "",
    `${i.resource.kind} ${i.resource.namespace}/${i.resource.name}`,
    i.path,
    i.message,
  ]);
}

// ---- certificates made at test time --------------------------------------------------------------

let dir = "";
let certPem = "";
let keyPem = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "analyze-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "30",
      "-subj",
      "/CN=www.example.com",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  certPem = readFileSync(join(dir, "cert.pem"), "utf8");
  keyPem = readFileSync(join(dir, "key.pem"), "utf8");
});
after(() => rmSync(dir, { recursive: true, force: true }));

// ---- findings ----------------------------------------------------------------------------------

describe("analyzeResources", () => {
  it("passes a Gateway and a VirtualService that bind", () => {
    assert.deepEqual(run([publicGw, bound()]), []);
  });

  it("IGW4001: a gateway reference that resolves to no Gateway", () => {
    const vs = virtualService("site", {
      hosts: ["www.example.com"],
      gateways: ["public-gw", "mesh"],
      http: [{ route: to("web") }],
    });
    assert.deepEqual(run([publicGw, vs]), [
      [
        "error",
        "IGW4001",
        "IST0101",
        "VirtualService default/site",
        "spec.gateways[0]",
        'references Gateway default/public-gw, which does not exist (got "public-gw")',
      ],
    ]);
  });

  it("IGW4002: no host of the VirtualService is served by the Gateway (strict makes it an error)", () => {
    const vs = bound({ hosts: ["www.example.org"] });
    const row = [
      "VirtualService default/site",
      "spec.hosts",
      'none matches a host of Gateway istio-system/public-gw visible to namespace "default" (got ["www.example.org"])',
    ];
    assert.deepEqual(run([publicGw, vs]), [["warning", "IGW4002", "IST0132", ...row]]);
    assert.deepEqual(run([publicGw, vs], { strict: true }), [["error", "IGW4002", "IST0132", ...row]]);
  });

  it("IGW4002: a ./ host is not visible from another namespace", () => {
    const gw = gateway("internal-gw", [http80(["./internal.example.com"])]);
    const vs = bound({ hosts: ["internal.example.com"], gateways: ["istio-system/internal-gw"] });
    assert.deepEqual(run([gw, vs]), [
      [
        "warning",
        "IGW4002",
        "IST0132",
        "VirtualService default/site",
        "spec.hosts",
        'none matches a host of Gateway istio-system/internal-gw visible to namespace "default" (got ["internal.example.com"])',
      ],
    ]);
    assert.deepEqual(run([gw, { ...vs, metadata: { name: "site", namespace: "istio-system" } }]), []);
  });

  it("IGW4003: two Gateways on the same workloads serve the same port and host", () => {
    const a = gateway("alpha", [http80(["foo.bar"])]);
    const b = gateway("beta", [http80(["foo.bar", "x.bar"])]);
    assert.deepEqual(run([a, b]), [
      [
        "error",
        "IGW4003",
        "IST0145",
        "Gateway istio-system/alpha",
        "spec.servers[0]",
        'serves port 80 and hosts ["foo.bar"] with the same bind as Gateway istio-system/beta on the same workloads (got selector "istio=ingressgateway")',
      ],
      [
        "error",
        "IGW4003",
        "IST0145",
        "Gateway istio-system/beta",
        "spec.servers[0]",
        'serves port 80 and hosts ["foo.bar"] with the same bind as Gateway istio-system/alpha on the same workloads (got selector "istio=ingressgateway")',
      ],
    ]);
    const c = gateway("gamma", [
      { ...http80(["foo.bar"]), port: { number: 8080, protocol: "HTTP", name: "http" } },
    ]);
    const d = gateway("delta", [http80(["foo.bar"])], { selector: { istio: "other" } });
    assert.deepEqual(run([a, c, d]), []);
  });

  it("IGW4004: two Gateways on the same workloads share a certificate", () => {
    const a = gateway("a", [https443(["a.example.com"], { mode: "SIMPLE", credentialName: "shared" })]);
    const b = gateway("b", [https443(["b.example.com"], { mode: "SIMPLE", credentialName: "shared" })], {
      selector: { istio: "ingressgateway", app: "b" },
    });
    // b's selector is narrower: a covers b's workloads, b does not cover all of a's.
    assert.deepEqual(run([a, b]), [
      [
        "warning",
        "IGW4004",
        "IST0138",
        "Gateway istio-system/a",
        "spec.servers[0].tls.credentialName",
        'is also used by Gateway istio-system/b on the same workloads, so clients reusing an HTTP/2 connection may get 404s (got "shared")',
      ],
    ]);
    const c = gateway("c", [https443(["c.example.com"], { mode: "SIMPLE", credentialName: "shared" })], {
      selector: { istio: "other" },
    });
    assert.deepEqual(run([a, c]), []);
  });

  it("IGW4005: credentialName names a Secret missing from the gateway pods' namespace", () => {
    const gw = gateway("tls-gw", [https443(["a.example.com"], { mode: "SIMPLE", credentialName: "a-cert" })]);
    const elsewhere = secret("a-cert", "default", { "tls.crt": certPem, "tls.key": keyPem });
    assert.deepEqual(run([gw, elsewhere]), [
      [
        "error",
        "IGW4005",
        "IST0101",
        "Gateway istio-system/tls-gw",
        "spec.servers[0].tls.credentialName",
        'names Secret istio-system/a-cert, which does not exist in the namespace of the gateway pods (got "a-cert")',
      ],
    ]);
    // The gateway pods' namespace comes from the Pods it selects, when the input has them.
    assert.deepEqual(run([gw, elsewhere, pod("ingress-1", "default", { istio: "ingressgateway" })]), []);
    assert.deepEqual(run([gw, elsewhere], { gatewayNamespace: "default" }), []);
    // Without Secrets in the input, credentials are assumed to live in the cluster.
    assert.deepEqual(run([gw]), []);
  });

  it("IGW4005: kubernetes:// credential names are looked up as Istio resolves them", () => {
    const cert = { "tls.crt": certPem, "tls.key": keyPem };
    const secrets = [secret("a-cert", "istio-system", cert), secret("b-cert", "default", cert)];
    const gw = gateway("tls-gw", [
      https443(["a.example.com"], { mode: "SIMPLE", credentialName: "kubernetes://a-cert" }),
      https443(["b.example.com"], { mode: "SIMPLE", credentialName: "kubernetes://istio-system/a-cert" }),
      https443(["c.example.com"], { mode: "SIMPLE", credentialName: "kubernetes://default/b-cert" }),
      https443(["d.example.com"], { mode: "SIMPLE", credentialName: "kubernetes://istio-system/b-cert" }),
    ]);
    assert.deepEqual(run([gw, ...secrets]), [
      [
        "error",
        "IGW4005",
        "IST0101",
        "Gateway istio-system/tls-gw",
        "spec.servers[2].tls.credentialName",
        'names Secret default/b-cert, which is not in the namespace of the gateway pods (istio-system): Istio gives a gateway only its own namespace\'s Secrets (got "kubernetes://default/b-cert")',
      ],
      [
        "error",
        "IGW4005",
        "IST0101",
        "Gateway istio-system/tls-gw",
        "spec.servers[3].tls.credentialName",
        'names Secret istio-system/b-cert, which does not exist in the namespace of the gateway pods (got "kubernetes://istio-system/b-cert")',
      ],
    ]);
  });

  it("IGW4006: the credential Secret is unusable", () => {
    const gw = gateway("tls-gw", [https443(["a.example.com"], { mode: "SIMPLE", credentialName: "a-cert" })]);
    const cases: Array<[Record<string, string>, AnalyzeOptions, string | undefined]> = [
      [{ "tls.crt": certPem, "tls.key": keyPem }, {}, undefined],
      [{ cert: certPem, key: keyPem }, {}, undefined],
      [
        { "tls.crt": certPem },
        {},
        'has no non-empty "tls.crt" and "tls.key" (nor "cert" and "key"); it has ["tls.crt"]',
      ],
      [
        { "tls.crt": "hush hush", "tls.key": keyPem },
        {},
        "holds a certificate that is not a PEM X.509 certificate",
      ],
      [
        { "tls.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "tls.key": keyPem },
        {},
        "holds a certificate that is not a PEM X.509 certificate",
      ],
    ];
    for (const [data, options, problem] of cases) {
      const got = run([gw, secret("a-cert", "istio-system", data)], options);
      assert.deepEqual(
        got,
        problem === undefined
          ? []
          : [
              [
                "error",
                "IGW4006",
                "IST0161",
                "Gateway istio-system/tls-gw",
                "spec.servers[0].tls.credentialName",
                `names Secret istio-system/a-cert, which ${problem} (got "a-cert")`,
              ],
            ],
        JSON.stringify(Object.keys(data)),
      );
    }
    const s = secret("a-cert", "istio-system", { "tls.crt": certPem, "tls.key": keyPem });
    const later = run([gw, s], { now: new Date(Date.now() + 60 * 86400_000) });
    assert.equal(later.length, 1);
    assert.match(
      later[0]![5]!,
      /^names Secret istio-system\/a-cert, which holds a certificate that expired at \d{4}-\d\d-\d\dT[\d:.]+Z \(got "a-cert"\)$/,
    );
    const earlier = run([gw, s], { now: new Date(Date.now() - 86400_000) });
    assert.match(
      earlier[0]![5]!,
      /^names Secret istio-system\/a-cert, which holds a certificate not valid before \d{4}-\d\d-\d\dT[\d:.]+Z \(got "a-cert"\)$/,
    );
  });

  it("IGW4007: the selector matches no Pod, checked when the input has Pods", () => {
    const gw = gateway("custom-gw", [http80(["a.example.com"])], { selector: { istio: "custom" } });
    const other = pod("other", "default", { app: "web" });
    assert.deepEqual(run([gw, other]), [
      [
        "error",
        "IGW4007",
        "IST0101",
        "Gateway istio-system/custom-gw",
        "spec.selector",
        'selects no Pod in any namespace (got "istio=custom")',
      ],
    ]);
    assert.deepEqual(run([gw, other, pod("custom-1", "gateways", { istio: "custom", app: "x" })]), []);
    assert.deepEqual(run([gw]), []);
    // istioctl's default ingress gateway pod counts, as it does for files.
    assert.deepEqual(run([publicGw, other]), []);
    assert.equal(run([publicGw, other], { implicitIngressGateway: false }).length, 1);
  });

  it("IGW4008: a server port no Service in front of the pods exposes, checked when the input has Services", () => {
    const gw = gateway(
      "custom-gw",
      [
        http80(["a.example.com"]),
        { ...http80(["a.example.com"]), port: { number: 8081, protocol: "HTTP", name: "alt" } },
      ],
      { selector: { app: "gw" } },
    );
    const p = pod("gw-1", "edge", { app: "gw" });
    const svc: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "gw", namespace: "edge" },
      spec: { selector: { app: "gw" }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    assert.deepEqual(run([gw, p, svc]), [
      [
        "warning",
        "IGW4008",
        "IST0162",
        "Gateway istio-system/custom-gw",
        "spec.servers[1].port.number",
        'is neither a port nor a targetPort of a Service in front of the pods selected by "app=gw" (got 8081)',
      ],
    ]);
    assert.deepEqual(run([gw, p, service("gw", "edge", { app: "gw" }, [80, 8081])]), []);
    assert.deepEqual(run([gw, p]), []);
  });

  it("IGW4010: http rules on a server whose omitted tls.mode means PASSTHROUGH", () => {
    const gw = gateway("tls-gw", [https443(["www.example.com"], { credentialName: "www-cert" })]);
    const vs = bound({ gateways: ["istio-system/tls-gw"] });
    const row = [
      "VirtualService default/site",
      "spec.http",
      'do not apply on server spec.servers[0] of Gateway istio-system/tls-gw, which passes TLS through and routes only tls rules (got protocol "HTTPS", no tls.mode, which means "PASSTHROUGH")',
    ];
    assert.deepEqual(run([gw, vs]), [["warning", "IGW4010", "", ...row]]);
    assert.deepEqual(run([gw, vs], { strict: true }), [["error", "IGW4010", "", ...row]]);
    const fixed = gateway("tls-gw", [
      https443(["www.example.com"], { mode: "SIMPLE", credentialName: "www-cert" }),
    ]);
    assert.deepEqual(run([fixed, vs]), []);
  });

  it("IGW4010: not reported for a genuine passthrough server when the http rules bind elsewhere", () => {
    const gw = gateway("mixed", [
      http80(["www.example.com"]),
      https443(["www.example.com"], { mode: "PASSTHROUGH" }),
    ]);
    assert.deepEqual(run([gw, bound({ gateways: ["istio-system/mixed"] })]), []);
  });

  it("IGW4011: tls rules on a server that terminates TLS", () => {
    const tlsRules = { http: [], tls: [{ match: [{ sniHosts: ["www.example.com"] }], route: to("web") }] };
    const vs = bound(tlsRules);
    assert.deepEqual(run([publicGw, vs]), [
      [
        "warning",
        "IGW4011",
        "",
        "VirtualService default/site",
        "spec.tls",
        'do not apply on server spec.servers[0] of Gateway istio-system/public-gw, which routes only http rules (got protocol "HTTP")',
      ],
      [
        "warning",
        "IGW4011",
        "",
        "VirtualService default/site",
        "spec.tls",
        'do not apply on server spec.servers[1] of Gateway istio-system/public-gw, which routes only http rules (got protocol "HTTPS", tls.mode "SIMPLE")',
      ],
    ]);
    const passthrough = gateway("public-gw", [https443(["*.example.com"], { mode: "PASSTHROUGH" })]);
    assert.deepEqual(run([passthrough, vs]), []);
  });

  it("IGW4012: tcp rules on an HTTP server", () => {
    const vs = bound({ http: [], tcp: [{ route: to("db") }] });
    const gw = gateway("public-gw", [http80(["*.example.com"])]);
    assert.deepEqual(run([gw, vs]), [
      [
        "warning",
        "IGW4012",
        "",
        "VirtualService default/site",
        "spec.tcp",
        'do not apply on server spec.servers[0] of Gateway istio-system/public-gw, which routes only http rules (got protocol "HTTP")',
      ],
    ]);
    const tcpGw = gateway("public-gw", [
      { port: { number: 5432, protocol: "TCP", name: "pg" }, hosts: ["*.example.com"] },
    ]);
    assert.deepEqual(run([tcpGw, vs]), []);
  });

  it("IGW4013: binds nothing where the hosts match (tcp rules, passthrough server)", () => {
    const gw = gateway("public-gw", [https443(["*.example.com"], { mode: "PASSTHROUGH" })]);
    const vs = bound({ http: [], tcp: [{ route: to("db") }] });
    assert.deepEqual(run([gw, vs], { strict: true }), [
      [
        "error",
        "IGW4013",
        "",
        "VirtualService default/site",
        "spec.gateways[0]",
        'binds no server of Gateway istio-system/public-gw: the servers matching its hosts route by rules it does not have: spec.servers[0] (tls rules) (got ["tcp"])',
      ],
    ]);
    const auto = gateway("public-gw", [https443(["*.example.com"], { mode: "AUTO_PASSTHROUGH" })]);
    assert.deepEqual(run([auto, bound()]), [
      [
        "warning",
        "IGW4013",
        "",
        "VirtualService default/site",
        "spec.gateways[0]",
        'binds no server of Gateway istio-system/public-gw: the servers matching its hosts route by rules it does not have: spec.servers[0] (TLS_AUTO_PASSTHROUGH) (got ["http"])',
      ],
    ]);
  });

  it("IGW4014: exportTo leaves out the gateway pods' namespace", () => {
    const vs = bound({ exportTo: ["."] });
    assert.deepEqual(run([publicGw, vs]), [
      [
        "warning",
        "IGW4014",
        "",
        "VirtualService default/site",
        "spec.exportTo",
        'leaves out namespace "istio-system" of the pods of Gateway istio-system/public-gw, so the VirtualService does not bind there (got ["."])',
      ],
    ]);
    assert.deepEqual(run([publicGw, bound({ exportTo: [".", "istio-system"] })]), []);
    assert.deepEqual(run([publicGw, vs, pod("ingress-1", "default", { istio: "ingressgateway" })]), []);
  });

  it("IGW4015: match.port equal to no bound server port", () => {
    const vs = bound({ http: [{ match: [{ port: 443 }, { port: 8443 }], route: to("web") }] });
    assert.deepEqual(run([publicGw, vs]), [
      [
        "warning",
        "IGW4015",
        "",
        "VirtualService default/site",
        "spec.http[0].match[1].port",
        "equals no port of the servers this VirtualService binds with http rules [80,443], so the match never applies (got 8443)",
      ],
    ]);
    const other = gateway("other-gw", [http80(["*.example.com"])], { selector: { istio: "other" } });
    const scoped = bound({
      gateways: ["istio-system/public-gw", "istio-system/other-gw"],
      http: [
        { match: [{ gateways: ["istio-system/other-gw"], port: 443 }], route: to("web") },
        { route: to("web") },
      ],
    });
    assert.deepEqual(run([publicGw, other, scoped]), [
      [
        "warning",
        "IGW4015",
        "",
        "VirtualService default/site",
        "spec.http[0].match[0].port",
        "equals no port of the servers of match.gateways this VirtualService binds with http rules [80], so the match never applies (got 443)",
      ],
    ]);
    const meshToo = bound({
      gateways: ["istio-system/public-gw", "mesh"],
      http: [{ match: [{ port: 8443 }], route: to("web") }],
    });
    assert.deepEqual(run([publicGw, meshToo]), []);
  });

  it("IGW4016: match.gateways naming no gateway of spec.gateways", () => {
    const vs = bound({
      http: [{ match: [{ gateways: ["other-gw"] }], route: to("web") }, { route: to("web") }],
    });
    assert.deepEqual(run([publicGw, vs]), [
      [
        "warning",
        "IGW4016",
        "",
        "VirtualService default/site",
        "spec.http[0].match[0].gateways",
        'names no gateway of spec.gateways, so the match never applies (got ["other-gw"])',
      ],
    ]);
    const ok = bound({ http: [{ match: [{ gateways: ["public-gw.istio-system"] }], route: to("web") }] });
    assert.deepEqual(run([publicGw, ok]), []);
  });

  it("IGW4017: a delegate that does not exist or is not exported here", () => {
    const root = bound({ http: [{ delegate: { name: "reviews-routes", namespace: "team" } }] });
    const delegate = virtualService(
      "reviews-routes",
      { http: [{ route: to("reviews") }], exportTo: ["."] },
      "team",
    );
    assert.deepEqual(run([publicGw, root]), [
      [
        "warning",
        "IGW4017",
        "",
        "VirtualService default/site",
        "spec.http[0].delegate",
        'names VirtualService team/reviews-routes, which does not exist (got {"name":"reviews-routes","namespace":"team"})',
      ],
    ]);
    assert.deepEqual(run([publicGw, root, delegate]), [
      [
        "warning",
        "IGW4017",
        "",
        "VirtualService default/site",
        "spec.http[0].delegate",
        'names VirtualService team/reviews-routes, which is not exported to namespace "default" (got {"name":"reviews-routes","namespace":"team"})',
      ],
    ]);
    assert.deepEqual(run([publicGw, root, { ...delegate, spec: { ...delegate.spec, exportTo: ["*"] } }]), []);
  });

  it("IGW4020: a subset no DestinationRule for the host defines, checked when the input has one for the host", () => {
    const vs = bound({
      http: [
        {
          route: [{ destination: { host: "reviews", subset: "v9" } }],
          mirror: { host: "reviews", subset: "v1" },
        },
      ],
    });
    const dr: Resource = {
      apiVersion: ISTIO,
      kind: "DestinationRule",
      metadata: { name: "reviews", namespace: "default" },
      spec: { host: "reviews.default.svc.cluster.local", subsets: [{ name: "v1" }] },
    };
    assert.deepEqual(run([publicGw, vs, dr]), [
      [
        "error",
        "IGW4020",
        "IST0101",
        "VirtualService default/site",
        "spec.http[0].route[0].destination.subset",
        'is not defined by a DestinationRule for host "reviews.default.svc.cluster.local" (got "v9")',
      ],
    ]);
    assert.deepEqual(run([publicGw, vs]), []);
    const ratings: Resource = {
      apiVersion: ISTIO,
      kind: "DestinationRule",
      metadata: { name: "ratings", namespace: "default" },
      spec: { host: "ratings", subsets: [{ name: "v1" }] },
    };
    assert.deepEqual(run([publicGw, vs, ratings]), []);
    const wildcard: Resource = {
      apiVersion: ISTIO,
      kind: "DestinationRule",
      metadata: { name: "all", namespace: "default" },
      spec: { host: "*.default.svc.cluster.local", subsets: [{ name: "v9" }] },
    };
    assert.deepEqual(run([publicGw, vs, dr, wildcard]), []);
  });

  it("IGW4021: a Service host missing from a namespace the input has Services for", () => {
    const vs = bound({
      http: [
        {
          route: [
            { destination: { host: "reviews" } },
            { destination: { host: "ratings.default.svc.cluster.local" } },
          ],
        },
      ],
    });
    const ratings = service("ratings", "default", { app: "ratings" }, [9080]);
    assert.deepEqual(run([publicGw, vs, ratings]), [
      [
        "error",
        "IGW4021",
        "IST0101",
        "VirtualService default/site",
        "spec.http[0].route[0].destination.host",
        'names Service default/reviews, which is not in the input, and no ServiceEntry has the host (got "reviews")',
      ],
    ]);
    assert.deepEqual(
      run([publicGw, vs, ratings, service("reviews", "default", { app: "reviews" }, [9080])]),
      [],
    );
    const se: Resource = {
      apiVersion: ISTIO,
      kind: "ServiceEntry",
      metadata: { name: "reviews", namespace: "default" },
      spec: { hosts: ["reviews.default.svc.cluster.local"] },
    };
    assert.deepEqual(run([publicGw, vs, ratings, se]), []);
    assert.deepEqual(run([publicGw, vs]), []);
  });

  it("IGW4022: two mesh VirtualServices define the same host", () => {
    const a = virtualService("ratings", { hosts: ["ratings"], http: [{ route: to("ratings") }] }, "default");
    const b = virtualService(
      "ratings-2",
      { hosts: ["ratings.default.svc.cluster.local"], http: [{ route: to("ratings") }] },
      "default",
    );
    assert.deepEqual(run([a, b]), [
      [
        "error",
        "IGW4022",
        "IST0109",
        "VirtualService default/ratings",
        "spec.hosts[0]",
        'is also a host of mesh VirtualService default/ratings-2 for the same namespaces, so sidecars use one of them arbitrarily (got "ratings")',
      ],
      [
        "error",
        "IGW4022",
        "IST0109",
        "VirtualService default/ratings-2",
        "spec.hosts[0]",
        'is also a host of mesh VirtualService default/ratings for the same namespaces, so sidecars use one of them arbitrarily (got "ratings.default.svc.cluster.local")',
      ],
    ]);
    const scoped = { ...b, spec: { ...b.spec, exportTo: ["."] } };
    const elsewhere = { ...a, spec: { ...a.spec, exportTo: ["other"] } };
    assert.deepEqual(run([elsewhere, scoped]), []);
  });

  it("IGW4023: fault.delay.percent is deprecated", () => {
    const vs = bound({ http: [{ route: to("web"), fault: { delay: { percent: 50, fixedDelay: "1s" } } }] });
    assert.deepEqual(run([publicGw, vs]), [
      [
        "warning",
        "IGW4023",
        "IST0002",
        "VirtualService default/site",
        "spec.http[0].fault.delay.percent",
        "is deprecated: use fault.delay.percentage (got 50)",
      ],
    ]);
    const ok = bound({
      http: [{ route: to("web"), fault: { delay: { percentage: { value: 50 }, fixedDelay: "1s" } } }],
    });
    assert.deepEqual(run([publicGw, ok]), []);
  });
});
