import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { ProxyConfig } from "../../provider/src/istio/translate/proxy-config";
import { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import { spkiHash } from "../../provider/src/proxy/tls/client-certificate";
import type { Backend } from "./support/backends";
import { startEchoBackend, startTlsEcho } from "./support/backends";
import { TestPki } from "./support/certs";
import { jsonLinesSink } from "./support/access-log-sinks";
import { curl } from "./support/curl";
import { sClient } from "./support/openssl";
import {
  cluster,
  downstreamTls,
  forward,
  httpsChain,
  proxyConfig,
  route,
  tlsListener,
  vhost,
} from "./support/proxy-config-builders";

describe("TLS on real sockets", () => {
  const pki = new TestPki();
  const otherPki = new TestPki("other-ca");
  let web: Backend;
  let echo: Backend;
  let proxy: GatewayProxy;
  let port: number;
  const access: Record<string, unknown>[] = [];
  /** The same gateway with forwardClientCertDetails APPEND_FORWARD. */
  let appending: GatewayProxy;
  const client = pki.issue("client", ["URI:spiffe://cluster.local/ns/default/sa/client"], "client");
  const stranger = otherPki.issue("stranger", ["DNS:stranger.test"], "client");
  const wrongSan = pki.issue("wrong", ["DNS:wrong.test"], "client");
  const described = pki.issue(
    "client",
    ["URI:spiffe://cluster.local/ns/default/sa/client", "DNS:client.example.com", "DNS:alt.example.com"],
    "client",
    "/C=US/O=Acme, Inc./CN=client",
  );

  before(async () => {
    web = await startEchoBackend("web");
    const backendCert = pki.issue("passthrough.test", ["DNS:passthrough.test"]);
    echo = await startTlsEcho("passthrough ", backendCert.cert, backendCert.key);
    const simple = pki.issue("simple.test", ["DNS:simple.test", "DNS:*.wild.test"]);
    const mutual = pki.issue("mutual.test", ["DNS:mutual.test", "DNS:pinned.test"]);
    const routes = [vhost("any", ["*"], [route("web", forward("outbound|80||web"))])];
    const config: ProxyConfig = proxyConfig(
      "tls-v1",
      [
        tlsListener(443, [
          httpsChain(
            "https.simple",
            ["simple.test", "*.wild.test"],
            downstreamTls(simple.cert, simple.key),
            routes,
          ),
          httpsChain(
            "https.mutual",
            ["mutual.test"],
            downstreamTls(mutual.cert, mutual.key, {
              mode: "MUTUAL",
              requireClientCertificate: true,
              caCertificates: { inline: pki.ca.cert, origin: "test" },
              subjectAltNames: ["spiffe://cluster.local/ns/default/sa/client"],
            }),
            routes,
          ),
          httpsChain(
            "https.pinned",
            ["pinned.test"],
            downstreamTls(mutual.cert, mutual.key, {
              mode: "OPTIONAL_MUTUAL",
              caCertificates: { inline: pki.ca.cert, origin: "test" },
              verifyCertificateSpki: [spkiHash(new X509Certificate(client.cert))],
            }),
            routes,
          ),
          httpsChain(
            "https.tls12",
            ["tls12.test"],
            downstreamTls(simple.cert, simple.key, {
              maxVersion: "TLSv1.2",
              cipherSuites: ["ECDHE-ECDSA-AES128-GCM-SHA256"],
            }),
            routes,
          ),
          {
            name: "tls.443.0",
            serverNames: ["passthrough.test"],
            transport: "tls-passthrough",
            tcpProxy: {
              clusters: [{ cluster: "outbound|9000||echo", weight: 1 }],
              metadata: { virtualService: "default/p", block: "tls", ruleIndex: 0, matchIndex: 0 },
            },
            servers: [],
          },
        ]),
      ],
      [
        cluster("outbound|80||web", [{ address: "127.0.0.1", port: web.port }]),
        cluster("outbound|9000||echo", [{ address: "127.0.0.1", port: echo.port }]),
      ],
    );
    proxy = new GatewayProxy({
      load: async () => ({ config, messages: [] }),
      watchPaths: [],
      namespace: "istio-system",
      log: () => {},
      statusPort: 0,
      statusHost: "127.0.0.1",
      accessLog: jsonLinesSink(access),
    });
    await proxy.start();
    port = proxy.boundPorts().get(443)!;
    appending = new GatewayProxy({
      load: async () => ({ config, messages: [] }),
      watchPaths: [],
      namespace: "istio-system",
      log: () => {},
      forwardClientCertDetails: "APPEND_FORWARD",
    });
    await appending.start();
  });
  after(async () => {
    await proxy.close();
    await appending.close();
    await web.close();
    await echo.close();
    pki.dispose();
    otherPki.dispose();
  });

  const https = (host: string, extra: string[] = []) =>
    curl([
      ...extra,
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      "--cacert",
      pki.ca.certPath,
      `https://${host}:${port}/hello`,
    ]);

  it("terminates SIMPLE TLS chosen by exact SNI, HTTP/1.1 and h2 by ALPN", async () => {
    const h1 = await https("simple.test", ["--http1.1"]);
    assert.deepEqual([h1.status, h1.httpVersion, h1.headers["x-backend"]], [200, "1.1", "web"]);
    const h2 = await https("simple.test", ["--http2"]);
    assert.deepEqual([h2.status, h2.httpVersion, h2.headers["x-backend"]], [200, "2", "web"]);
    assert.equal(JSON.parse(h2.body).headers["x-forwarded-proto"], "https");
  });

  it("chooses a chain by wildcard SNI", async () => {
    const r = await https("a.wild.test");
    assert.equal(r.status, 200);
  });

  it("MUTUAL: accepts a client certificate from the CA with an allowed SAN", async () => {
    const r = await https("mutual.test", ["--cert", client.certPath, "--key", client.keyPath]);
    assert.equal(r.status, 200);
  });

  it("MUTUAL: describes the client's certificate upstream in x-forwarded-client-cert, as Istio's SANITIZE_SET", async () => {
    const r = await https("mutual.test", [
      "--cert",
      described.certPath,
      "--key",
      described.keyPath,
      "-H",
      "X-Forwarded-Client-Cert: By=spiffe://forged;Hash=00",
    ]);
    const xfcc = String(JSON.parse(r.body).headers["x-forwarded-client-cert"]);
    const parts = xfcc.split(";");
    const hash = createHash("sha256").update(new X509Certificate(described.cert).raw).digest("hex");
    assert.deepEqual(
      [parts[0], parts.slice(2)],
      [
        `Hash=${hash}`,
        [
          'Subject="CN=client,O=Acme\\, Inc.,C=US"',
          "URI=spiffe://cluster.local/ns/default/sa/client",
          "DNS=client.example.com",
          "DNS=alt.example.com",
        ],
      ],
    );
    // The whole certificate, as the PEM the client holds, URL-encoded and quoted.
    assert.match(
      parts[1]!,
      /^Cert="-----BEGIN%20CERTIFICATE-----%0A[^"]+%0A-----END%20CERTIFICATE-----%0A"$/,
    );
    assert.equal(decodeURIComponent(parts[1]!.slice(6, -1)), described.cert);
  });

  it("APPEND_FORWARD: passes a client's header on with its certificate appended, and drops it without one", async () => {
    const at = (host: string, extra: string[]) =>
      curl([
        ...extra,
        "-H",
        "X-Forwarded-Client-Cert: By=spiffe://edge;Hash=00",
        "--resolve",
        `${host}:${appending.boundPorts().get(443)!}:127.0.0.1`,
        "--cacert",
        pki.ca.certPath,
        `https://${host}:${appending.boundPorts().get(443)!}/hello`,
      ]);
    const mutual = await at("mutual.test", ["--cert", described.certPath, "--key", described.keyPath]);
    const hash = createHash("sha256").update(new X509Certificate(described.cert).raw).digest("hex");
    assert.match(
      String(JSON.parse(mutual.body).headers["x-forwarded-client-cert"]),
      new RegExp(`^By=spiffe://edge;Hash=00,Hash=${hash};Cert="[^"]+";Subject="CN=client,`),
    );
    const plain = await at("simple.test", []);
    assert.equal(JSON.parse(plain.body).headers["x-forwarded-client-cert"], undefined);
  });

  it("drops a client's own x-forwarded-client-cert where no client certificate was presented", async () => {
    for (const host of ["simple.test", "pinned.test"]) {
      const r = await https(host, ["-H", "X-Forwarded-Client-Cert: By=spiffe://forged;Hash=00"]);
      assert.equal(JSON.parse(r.body).headers["x-forwarded-client-cert"], undefined, host);
    }
  });

  const refused: [string, string[]][] = [
    ["no client certificate", []],
    ["a certificate from another CA", ["--cert", stranger.certPath, "--key", stranger.keyPath]],
    ["a SAN not in subjectAltNames", ["--cert", wrongSan.certPath, "--key", wrongSan.keyPath]],
  ];
  for (const [name, args] of refused) {
    it(`MUTUAL: refuses ${name}`, async () => {
      await assert.rejects(https("mutual.test", args));
    });
  }

  it("counts refused client certificates by Envoy's listener TLS stats, with no access-log line", async () => {
    const metrics = (await curl([`http://127.0.0.1:${proxy.statusPort}/metrics`])).body;
    const count = (kind: string) =>
      metrics
        .split("\n")
        .find((l) => l.startsWith(`envoy_listener_ssl_fail_verify_${kind}{`))
        ?.replace(/^.*\} /, "");
    // One of each refusal above; pinned.test's refusal below is counted after this.
    assert.deepEqual(["no_cert", "error", "san", "cert_hash"].map(count), ["1", "1", "1", undefined]);
    assert.match(metrics, /envoy_listener_ssl_fail_verify_san\{listener_address="127\.0\.0\.1_443"\} 1/);
    assert.deepEqual(
      // A line with no HTTP request in it: a connection's.
      access.filter((l) => l["method"] === null),
      [],
    );
  });

  it("OPTIONAL_MUTUAL: serves without a certificate, and with the pinned SPKI; refuses other certificates", async () => {
    assert.equal((await https("pinned.test")).status, 200);
    assert.equal(
      (await https("pinned.test", ["--cert", client.certPath, "--key", client.keyPath])).status,
      200,
    );
    await assert.rejects(https("pinned.test", ["--cert", wrongSan.certPath, "--key", wrongSan.keyPath]));
  });

  it("honours maxProtocolVersion and cipherSuites", async () => {
    const out = await sClient(
      ["-connect", `127.0.0.1:${port}`, "-servername", "tls12.test", "-CAfile", pki.ca.certPath],
      { inputDelayMs: 300 },
    );
    assert.match(out, /Protocol\s*: TLSv1\.2/);
    assert.match(out, /Cipher\s*: ECDHE-ECDSA-AES128-GCM-SHA256/);
    const tls13 = await sClient(["-connect", `127.0.0.1:${port}`, "-servername", "tls12.test", "-tls1_3"], {
      inputDelayMs: 300,
    });
    assert.doesNotMatch(tls13, /Cipher is TLS_/);
  });

  /** s_client's report of a handshake with simple.test's server, with `args` added. */
  const simpleHandshake = (args: string[]) =>
    sClient(
      ["-connect", `127.0.0.1:${port}`, "-servername", "simple.test", ...args, "-CAfile", pki.ca.certPath],
      { inputDelayMs: 300 },
    );

  it("chooses a TLS 1.2 cipher by its own order, as Envoy's servers do", async () => {
    const cipher = async (list: string) =>
      (await simpleHandshake(["-tls1_2", "-cipher", list])).match(/Cipher\s*: (\S+)/)?.[1] ?? "none";
    assert.deepEqual(
      await Promise.all(
        [
          // The client's first choice is the server's third: the server's first wins.
          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
          // ChaCha20 and AES-128-GCM are of equal preference in Envoy: the client's first wins.
          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-ECDSA-AES256-GCM-SHA384",
        ].map(cipher),
      ),
      ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES256-GCM-SHA384"],
    );
  });

  it("offers Envoy's key exchange groups only, X25519 and P-256", async () => {
    const group = async (name: string) =>
      (await simpleHandshake(["-groups", name])).match(
        /(?:Server Temp Key|Negotiated TLS1\.3 group): (\S+)/,
      )?.[1] ?? "none";
    assert.deepEqual(await Promise.all(["X25519", "P-256", "P-384", "X448"].map(group)), [
      "X25519,",
      "ECDH,",
      "none",
      "none",
    ]);
  });

  it("passes TLS through by SNI without terminating it", async () => {
    // The backend terminates TLS with a certificate the proxy never had: s_client seeing it, and
    // the backend's answer, prove the bytes went through untouched.
    const out = await sClient(
      [
        "-quiet",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "passthrough.test",
        "-CAfile",
        pki.ca.certPath,
      ],
      { input: "ping\n", inputDelayMs: 300, until: /passthrough ping/ },
    );
    assert.match(out, /depth=0 CN ?= ?passthrough\.test\nverify return:1/);
    assert.match(out, /passthrough ping/);
  });

  it("goes on without ALPN with a client offering neither h2 nor http/1.1, as Envoy does", async () => {
    // curl --http1.0 offers http/1.0 only: its handshake succeeds, and Istio's gateway answers 426.
    const r = await https("simple.test", ["--http1.0"]);
    assert.equal(r.status, 426);
    const out = await sClient(
      [
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "simple.test",
        "-CAfile",
        pki.ca.certPath,
        "-alpn",
        "postgresql",
      ],
      { inputDelayMs: 300, until: /No ALPN negotiated/ },
    );
    assert.match(out, /No ALPN negotiated/);
  });

  it("logs a connection no filter chain takes as Envoy does: NR, filter_chain_not_found, no bytes", async () => {
    await sClient(["-connect", `127.0.0.1:${port}`, "-servername", "nochain.test"], { inputDelayMs: 300 });
    const until = Date.now() + 3000;
    let line: Record<string, unknown> | undefined;
    while ((line = access.find((l) => l["requested_server_name"] === "nochain.test")) === undefined) {
      assert.ok(Date.now() < until, "no access-log line for the connection");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(
      [
        line["response_flags"],
        line["response_code_details"],
        line["bytes_received"],
        line["upstream_cluster"],
      ],
      ["NR", "filter_chain_not_found", 0, null],
    );
  });
});
