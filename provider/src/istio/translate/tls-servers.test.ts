import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { Resource } from "../model";
import type { Issue } from "../validate/issue";
import { buildProxyConfig } from "./build-proxy-config";
import type { FilterChain } from "./proxy-config";

const proxy = {
  namespace: "istio-system",
  labels: { istio: "ingressgateway" },
  portMap: (p: number) => (p < 1024 ? p + 8000 : p),
};

function build(yaml: string) {
  return buildProxyConfig(
    parseAllDocuments(yaml).map((d) => d.toJSON() as Resource),
    proxy,
  );
}

const issueLines = (issues: readonly Issue[]) =>
  issues.map(
    (i) =>
      `${i.severity} ${i.code} ${i.resource.kind} ${i.resource.namespace}/${i.resource.name} ${i.path}: ${i.message}`,
  );

const chains = (chains: readonly FilterChain[]) =>
  chains.map(
    (c) => `${c.name} ${c.transport} sni=${c.serverNames.join(",")}${c.tls ? ` ${c.tls.mode}` : ""}`,
  );

const secrets = `
apiVersion: v1
kind: Secret
metadata: {name: cred, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: Q0VSVA==, tls.key: S0VZ}
---
apiVersion: v1
kind: Secret
metadata: {name: mtls, namespace: istio-system}
stringData: {cert: CERT2, key: KEY2, cacert: CA-IN-SECRET}
---
apiVersion: v1
kind: Secret
metadata: {name: mtls-cacert, namespace: istio-system}
stringData: {ca.crt: CA-COMPANION, ca.crl: CRL}
---
apiVersion: v1
kind: Secret
metadata: {name: elsewhere, namespace: default}
stringData: {tls.crt: C, tls.key: K}
---
apiVersion: v1
kind: Secret
metadata: {name: nokey, namespace: istio-system}
stringData: {tls.crt: C}
---`;

/** The head of the Gateway `gw` every test here declares, up to its `servers:` key. */
const GATEWAY_HEAD = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
`;

const vs = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*.example.com", a.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: web}}]
---`;

test("terminated HTTPS: SNI filter chains, credentials from the proxy's namespace, refused servers reported", () => {
  const { config, issues } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: https-m, protocol: HTTPS}
    hosts: [m.example.com]
    tls: {mode: MUTUAL, credentialName: mtls, subjectAltNames: [client], verifyCertificateHash: ["AB:CD"], minProtocolVersion: TLSV1_3}
  - port: {number: 443, name: https-dup, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: https-missing, protocol: HTTPS}
    hosts: [x.example.com]
    tls: {mode: SIMPLE, credentialName: elsewhere}
  - port: {number: 443, name: https-nokey, protocol: HTTPS}
    hosts: [y.example.com]
    tls: {mode: SIMPLE, credentialName: nokey}
  - port: {number: 443, name: https-istio, protocol: HTTPS}
    hosts: [z.example.com]
    tls: {mode: ISTIO_MUTUAL}
  - port: {number: 15443, name: tls-auto, protocol: TLS}
    hosts: ["*.local"]
    tls: {mode: AUTO_PASSTHROUGH}
  - port: {number: 443, name: http-after-tls, protocol: HTTP}
    hosts: [w.example.com]
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.com]
    tls: {httpsRedirect: true}
`);
  assert.deepEqual(issueLines(issues), [
    'warning IGW6007 Gateway istio-system/gw spec.servers[2].hosts: must not repeat hosts a TLS server earlier on port 443 serves: the server is skipped (got "a.com")',
    'error IGW6002 Gateway istio-system/gw spec.servers[5].tls.mode: must not be "ISTIO_MUTUAL": it needs Istio\'s mesh identity, which this proxy does not have; the server is not served (got "ISTIO_MUTUAL")',
    'error IGW6003 Gateway istio-system/gw spec.servers[6].tls.mode: must not be "AUTO_PASSTHROUGH": it routes to Istio mesh services by SNI, which this proxy does not know; the server is not served (got "AUTO_PASSTHROUGH")',
    'error IGW6004 Gateway istio-system/gw spec.servers[3].tls.credentialName: must name a Secret in the proxy\'s namespace "istio-system" (got "elsewhere")',
    'error IGW6005 Gateway istio-system/gw spec.servers[4].tls.credentialName: must name a Secret with non-empty "tls.crt" and "tls.key" (or "cert" and "key") (got "nokey")',
  ]);
  assert.deepEqual(
    config.listeners.map((l) => [l.name, l.port, l.listenPort, l.tlsInspector]),
    [
      ["0.0.0.0_8080", 80, 8080, false],
      ["0.0.0.0_8443", 443, 8443, true],
    ],
  );
  const https = config.listeners[1].filterChains;
  assert.deepEqual(chains(https), [
    "https.443.https-a.gw.istio-system https sni=a.com SIMPLE",
    "https.443.https-m.gw.istio-system https sni=m.example.com MUTUAL",
    // Servers whose Secret cannot be used keep their SNI names: handshakes there fail, as in Envoy.
    "https.443.https-missing.gw.istio-system tls-unavailable sni=x.example.com",
    "https.443.https-nokey.gw.istio-system tls-unavailable sni=y.example.com",
    // A plain-text server after the TLS ones: its chain takes what does not speak TLS.
    "http.8443 http sni=",
  ]);
  assert.deepEqual(https[0].tls, {
    mode: "SIMPLE",
    certificates: [
      {
        certificateChain: { inline: "CERT", origin: 'Secret istio-system/cred["tls.crt"]' },
        privateKey: { inline: "KEY", origin: 'Secret istio-system/cred["tls.key"]' },
      },
    ],
    requireClientCertificate: false,
    subjectAltNames: [],
    verifyCertificateSpki: [],
    verifyCertificateHash: [],
    insecureSkipVerify: false,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    cipherSuites: [],
    alpn: ["h2", "http/1.1"],
    credentialName: "istio-system/cred",
  });
  assert.deepEqual(https[1].tls, {
    mode: "MUTUAL",
    certificates: [
      {
        certificateChain: { inline: "CERT2", origin: 'Secret istio-system/mtls["cert"]' },
        privateKey: { inline: "KEY2", origin: 'Secret istio-system/mtls["key"]' },
      },
    ],
    caCertificates: { inline: "CA-COMPANION", origin: 'Secret istio-system/mtls-cacert["ca.crt"]' },
    crl: { inline: "CRL", origin: 'Secret istio-system/mtls-cacert["ca.crl"]' },
    requireClientCertificate: true,
    subjectAltNames: ["client"],
    verifyCertificateSpki: [],
    verifyCertificateHash: ["abcd"],
    insecureSkipVerify: false,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    cipherSuites: [],
    alpn: ["h2", "http/1.1"],
    credentialName: "istio-system/mtls",
  });
  // Each HTTPS server has its own route config with only its hosts; port 80 redirects a.com.
  assert.deepEqual(
    https
      .slice(0, 2)
      .map((c) =>
        c.httpConnectionManager!.routeConfig.virtualHosts.map((v) => `${v.name} ${v.routes.length}`),
      ),
    [["a.com:443 1"], ["m.example.com:443 1"]],
  );
  assert.deepEqual(
    config.listeners[0].filterChains[0].httpConnectionManager!.routeConfig.virtualHosts.map((v) => [
      v.name,
      v.requireTls,
    ]),
    [["a.com:80", true]],
  );
});

test("passthrough and terminated TLS: one chain per SNI match, duplicates skipped, TCP routes after termination", () => {
  const { config, issues } = build(`${secrets}
${GATEWAY_HEAD}  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.pass.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 443, name: tls-term, protocol: TLS}
    hosts: [db.term.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 9443, name: https-pass, protocol: HTTPS}
    hosts: [lonely.com]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass, namespace: istio-system}
spec:
  hosts: ["*.pass.com", db.term.com]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [A.pass.com]}, {sniHosts: [b.pass.com], port: 444}]
    route: [{destination: {host: a, port: {number: 443}}}]
  - match: [{sniHosts: [a.pass.com, c.pass.com]}]
    route: [{destination: {host: c, port: {number: 443}}}]
  tcp:
  - match: [{port: 443}]
    route:
    - {destination: {host: db1, port: {number: 5432}}, weight: 90}
    - {destination: {host: db2, port: {number: 5432}}, weight: 10}
`);
  assert.deepEqual(issueLines(issues), [
    'warning IGW6010 VirtualService istio-system/pass spec.tls[1].match[0].sniHosts: must not repeat SNI hosts already routed on port 443: the match is skipped (got "a.pass.com")',
    'info IGW6019 Gateway istio-system/gw spec.servers[2]: gets no filter chain: no VirtualService bound to it has a tls rule that applies (got "HTTPS/9443")',
  ]);
  assert.equal(config.listeners.length, 1);
  assert.deepEqual(chains(config.listeners[0].filterChains), [
    "passthrough.443.istio-system.pass.0.0 tls-passthrough sni=a.pass.com",
    "tls.443.tls-term.gw.istio-system tls-terminated-tcp sni=db.term.com SIMPLE",
  ]);
  assert.deepEqual(config.listeners[0].filterChains[1].tcpProxy, {
    clusters: [
      { cluster: "outbound|5432||db1.istio-system.svc.cluster.local", weight: 90 },
      { cluster: "outbound|5432||db2.istio-system.svc.cluster.local", weight: 10 },
    ],
    metadata: { virtualService: "istio-system/pass", block: "tcp", ruleIndex: 0, matchIndex: 0 },
  });
  // Istio offers ALPN h2 and http/1.1 on terminated TLS servers too (util.ALPNHttp).
  assert.deepEqual(config.listeners[0].filterChains[1].tls?.alpn, ["h2", "http/1.1"]);
});

test("two terminating servers of one Gateway sharing a port name: the later is skipped", () => {
  const { config, issues } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: cred}
`);
  assert.deepEqual(issueLines(issues), [
    'warning IGW6020 Gateway istio-system/gw spec.servers[1].port.name: must be unique among the Gateway\'s servers on port 443: the server is skipped (got "https")',
  ]);
  assert.deepEqual(chains(config.listeners[0].filterChains), [
    "https.443.https.gw.istio-system https sni=a.com SIMPLE",
  ]);
});

test("cipherSuites go to the proxy as Istio hands them to Envoy: unknown names and repeats dropped", () => {
  const { config } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.com]
    tls:
      mode: SIMPLE
      credentialName: cred
      cipherSuites:
      - ECDHE-RSA-AES128-GCM-SHA256
      - TLS_AES_128_GCM_SHA256
      - NOT-A-CIPHER
      - ECDHE-RSA-AES128-GCM-SHA256
      - "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]"
      - "!aNULL"
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: cred, cipherSuites: [TLS_AES_256_GCM_SHA384]}
`);
  assert.deepEqual(
    config.listeners[0].filterChains.map((c) => c.tls?.cipherSuites),
    [
      [
        "ECDHE-RSA-AES128-GCM-SHA256",
        "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]",
        "!aNULL",
      ],
      [],
    ],
  );
});

test("a Secret with both sets of keys: the generic ones win, and a CRL goes with its CA bundle, as in Istio", () => {
  const { config, issues } = build(`${vs}
apiVersion: v1
kind: Secret
metadata: {name: both, namespace: istio-system}
stringData: {cert: GENERIC-CERT, key: GENERIC-KEY, tls.crt: TLS-CERT, tls.key: TLS-KEY, cacert: GENERIC-CA, ca.crt: TLS-CA, ca.crl: TLS-CRL}
---
${GATEWAY_HEAD}  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: MUTUAL, credentialName: both}
`);
  assert.deepEqual(issues, []);
  const tls = config.listeners[0].filterChains[0].tls!;
  assert.deepEqual(
    [tls.certificates, tls.caCertificates, tls.crl],
    [
      [
        {
          certificateChain: { inline: "GENERIC-CERT", origin: 'Secret istio-system/both["cert"]' },
          privateKey: { inline: "GENERIC-KEY", origin: 'Secret istio-system/both["key"]' },
        },
      ],
      { inline: "GENERIC-CA", origin: 'Secret istio-system/both["cacert"]' },
      undefined,
    ],
  );
});

test("credentialName forms Istio resolves: kubernetes://name, kubernetes://namespace/name, -cacert companions", () => {
  const { config, issues } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: SIMPLE, credentialName: "kubernetes://cred"}
  - port: {number: 443, name: https-m, protocol: HTTPS}
    hosts: [m.example.com]
    tls: {mode: MUTUAL, credentialName: "kubernetes://istio-system/mtls"}
  - port: {number: 443, name: https-s, protocol: HTTPS}
    hosts: [s.example.com]
    tls: {mode: SIMPLE, credentialNames: ["sds://cred"]}
  - port: {number: 443, name: https-x, protocol: HTTPS}
    hosts: [x.example.com]
    tls: {mode: SIMPLE, credentialName: "kubernetes://default/elsewhere"}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: "builtin://"}
  - port: {number: 443, name: https-c, protocol: HTTPS}
    hosts: [c.example.com]
    tls: {mode: MUTUAL, credentialName: cred, caCertCredentialName: "kubernetes://mtls-cacert"}
`);
  assert.deepEqual(issueLines(issues), [
    'error IGW6004 Gateway istio-system/gw spec.servers[3].tls.credentialName: must name a Secret in the proxy\'s namespace "istio-system": Istio does not give a gateway the Secrets of other namespaces ("default/elsewhere") (got "kubernetes://default/elsewhere")',
    'error IGW6004 Gateway istio-system/gw spec.servers[4].tls.credentialName: must name a Secret in the proxy\'s namespace "istio-system": "builtin://" is the workload\'s mesh certificate, which this proxy does not have (got "builtin://")',
  ]);
  const https = config.listeners[0].filterChains;
  assert.deepEqual(chains(https), [
    "https.443.https-a.gw.istio-system https sni=a.com SIMPLE",
    "https.443.https-m.gw.istio-system https sni=m.example.com MUTUAL",
    "https.443.https-s.gw.istio-system https sni=s.example.com SIMPLE",
    "https.443.https-x.gw.istio-system tls-unavailable sni=x.example.com",
    "https.443.https-b.gw.istio-system tls-unavailable sni=b.example.com",
    "https.443.https-c.gw.istio-system https sni=c.example.com MUTUAL",
  ]);
  assert.deepEqual(
    [0, 1, 2, 5].map((i) => [
      https[i].tls?.credentialName,
      https[i].tls?.certificates[0].certificateChain,
      https[i].tls?.caCertificates,
    ]),
    [
      ["istio-system/cred", { inline: "CERT", origin: 'Secret istio-system/cred["tls.crt"]' }, undefined],
      [
        "istio-system/mtls",
        { inline: "CERT2", origin: 'Secret istio-system/mtls["cert"]' },
        // The companion of kubernetes://istio-system/mtls is kubernetes://istio-system/mtls-cacert.
        { inline: "CA-COMPANION", origin: 'Secret istio-system/mtls-cacert["ca.crt"]' },
      ],
      ["istio-system/cred", { inline: "CERT", origin: 'Secret istio-system/cred["tls.crt"]' }, undefined],
      [
        "istio-system/cred",
        { inline: "CERT", origin: 'Secret istio-system/cred["tls.crt"]' },
        { inline: "CA-COMPANION", origin: 'Secret istio-system/mtls-cacert["ca.crt"]' },
      ],
    ],
  );
});

test("MUTUAL's CA as Istio asks for it: the first of credentialNames only, caCertCredentialName alone", () => {
  const { config, issues } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https-first, protocol: HTTPS}
    hosts: [first.example.com]
    tls: {mode: MUTUAL, credentialNames: [mtls, cred]}
  - port: {number: 443, name: https-second, protocol: HTTPS}
    hosts: [second.example.com]
    tls: {mode: MUTUAL, credentialNames: [cred, mtls]}
  - port: {number: 443, name: https-ca, protocol: HTTPS}
    hosts: [ca.example.com]
    tls: {mode: MUTUAL, credentialName: mtls, caCertCredentialName: cred}
`);
  // Istio asks SDS for <first>-cacert alone, and for caCertCredentialName as it is: a CA that
  // only a later credential, or only the credential beside caCertCredentialName, holds is none.
  assert.deepEqual(issueLines(issues), [
    'error IGW6006 Gateway istio-system/gw spec.servers[1].tls.credentialNames: must provide a CA bundle when tls.mode is "MUTUAL" (got none)',
    'error IGW6006 Gateway istio-system/gw spec.servers[2].tls.caCertCredentialName: must provide a CA bundle when tls.mode is "MUTUAL" (got none)',
  ]);
  const https = config.listeners[0].filterChains;
  assert.deepEqual(chains(https), [
    "https.443.https-first.gw.istio-system https sni=first.example.com MUTUAL",
    "https.443.https-second.gw.istio-system tls-unavailable sni=second.example.com",
    "https.443.https-ca.gw.istio-system tls-unavailable sni=ca.example.com",
  ]);
  assert.deepEqual(https[0].tls?.caCertificates, {
    inline: "CA-COMPANION",
    origin: 'Secret istio-system/mtls-cacert["ca.crt"]',
  });
});

test("plain-text servers after TLS servers on one port: a chain of their own, as Istio merges them", () => {
  const { config, issues } = build(`${secrets}${vs}
${GATEWAY_HEAD}  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: http-one, protocol: HTTP}
    hosts: [one.example.com]
  - port: {number: 443, name: http-two, protocol: HTTP}
    hosts: [two.example.com]
  - port: {number: 443, name: https-later, protocol: HTTPS}
    hosts: [later.example.com]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: tcp-later, protocol: TCP}
    hosts: ["*"]
  - port: {number: 9443, name: tls-p, protocol: TLS}
    hosts: [p.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 9443, name: tcp, protocol: TCP}
    hosts: ["*"]
  - port: {number: 9443, name: tcp-again, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  tls:
  - match: [{port: 9443, sniHosts: [p.example.com]}]
    route: [{destination: {host: passthrough}}]
  tcp:
  - match: [{port: 9443}]
    route: [{destination: {host: db, port: {number: 5432}}}]
`);
  // HTTP servers join the first plain-text one; once it is there a TLS server is skipped, and so
  // is a second plain-text server that is not HTTP.
  assert.deepEqual(issueLines(issues), [
    'warning IGW6008 Gateway istio-system/gw spec.servers[3].port: must not share port 443 and bind "0.0.0.0" with server istio-system/gw spec.servers[1] (protocol "HTTP"): the server is skipped (got protocol "HTTPS")',
    'warning IGW6008 Gateway istio-system/gw spec.servers[4].port: must not share port 443 and bind "0.0.0.0" with server istio-system/gw spec.servers[1] (protocol "HTTP"): the server is skipped (got protocol "TCP")',
    'warning IGW6008 Gateway istio-system/gw spec.servers[7].port: must not share port 9443 and bind "0.0.0.0" with server istio-system/gw spec.servers[6] (protocol "TCP"): the server is skipped (got protocol "TCP")',
  ]);
  assert.deepEqual(
    config.listeners.map((l) => [l.name, l.tlsInspector, chains(l.filterChains)]),
    [
      [
        "0.0.0.0_8443",
        true,
        ["https.443.https-a.gw.istio-system https sni=a.com SIMPLE", "http.8443 http sni="],
      ],
      [
        "0.0.0.0_9443",
        true,
        ["passthrough.9443.istio-system.tcp.0.0 tls-passthrough sni=p.example.com", "tcp.9443 tcp sni="],
      ],
    ],
  );
  const plain = config.listeners[0].filterChains[1];
  assert.deepEqual(
    plain.httpConnectionManager?.routeConfig.virtualHosts.map((v) => v.domains),
    [["one.example.com"], ["two.example.com"]],
  );
  assert.deepEqual(
    plain.servers.map((r) => r.serverIndex),
    [1, 2],
  );
});

test("filter chains Envoy would refuse together on one port are reported (IGW6025) and the earlier one serves", () => {
  const { config, issues } = build(`${secrets}
${GATEWAY_HEAD}  - port: {number: 443, name: https-any, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 443, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 9443, name: https-a, protocol: HTTPS}
    hosts: ["./a.example.com"]
    tls: {mode: SIMPLE, credentialName: cred}
  - port: {number: 9443, name: https-ab, protocol: HTTPS}
    hosts: ["a.example.com", "b.example.com"]
    tls: {mode: SIMPLE, credentialName: cred}
`);
  const refused = (server: number, port: number, earlier: string, chain: string, names: string) =>
    `warning IGW6025 Gateway istio-system/gw spec.servers[${server}].hosts: must not match connections filter chain "${earlier}" on port ${port} matches: Envoy refuses a listener with both, so Istio's gateway would not serve the port; the proxy serves it, the earlier chain winning where both match (got chain "${chain}" for ${names})`;
  assert.deepEqual(issueLines(issues), [
    refused(1, 443, "https.443.https-any.gw.istio-system", "http.8443", '"*"'),
    refused(
      3,
      9443,
      "https.9443.https-a.gw.istio-system",
      "https.9443.https-ab.gw.istio-system",
      '"a.example.com", "b.example.com"',
    ),
  ]);
  assert.deepEqual(
    config.listeners.map((l) => chains(l.filterChains)),
    [
      ["https.443.https-any.gw.istio-system https sni= SIMPLE", "http.8443 http sni="],
      [
        "https.9443.https-a.gw.istio-system https sni=a.example.com SIMPLE",
        "https.9443.https-ab.gw.istio-system https sni=a.example.com,b.example.com SIMPLE",
      ],
    ],
  );
});
