/**
 * Credential Secrets over a proxy's life, as Istio's gateway lives them: a server whose Secret is
 * not there yet still starts the proxy, its handshakes failing until the Secret comes; a Secret
 * deleted after its certificate was served leaves that certificate served (Envoy keeps the last
 * secret SDS sent), while every other change goes on applying. A Secret whose material TLS refuses
 * is what Envoy's SDS rejects: only its own server is without it. Real sockets, curl as the client.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { rmSync } from "node:fs";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { loadProxyConfig } from "../../provider/src/proxy/config/config-loader";
import { ServedSecrets } from "../../provider/src/proxy/config/served-secrets";
import type { GatewayProxy } from "../../provider/src/proxy/gateway-proxy";
import type { Issued } from "./support/certs";
import { TestPki } from "./support/certs";
import { curl } from "./support/curl";
import { documents, tlsSecret } from "./support/istio-yaml";
import { ConfigDir, startFileProxy } from "./support/samples";

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.test]
    tls: {mode: SIMPLE, credentialName: secure-credential}
`;

/** A VirtualService answering `path` with `body` on the HTTPS server. */
function answering(path: string, body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: [secure.test]
  gateways: [gw]
  http:
  - match: [{uri: {exact: ${path}}}]
    directResponse: {status: 200, body: {string: ${body}}}
`;
}

describe("credential Secrets that come late or go", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  const logs: string[] = [];
  let proxy: GatewayProxy;
  let port: number;

  /** GETs `path` over HTTPS with SNI secure.test, trusting the test CA. */
  const get = (path: string) =>
    curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `secure.test:${port}:127.0.0.1`,
      `https://secure.test:${port}${path}`,
    ]);

  before(async () => {
    dir.write("gateway.yaml", documents(GATEWAY, answering("/one", "one")));
    const served = new ServedSecrets();
    const identity = { namespace: "istio-system", labels: { istio: "ingressgateway" } };
    proxy = await startFileProxy([dir.dir], [443], [], logs, undefined, {
      load: () => loadProxyConfig([dir.dir], identity, served),
      // Reloads are asked for by the test, one at a time.
      watchPaths: [],
    });
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    dir.dispose();
    pki.dispose();
  });

  it("starts without the Secret, failing handshakes, and serves once it comes", async () => {
    // No certificate to answer with: the connection closes during the handshake.
    await assert.rejects(get("/one"), /SSL_ERROR_SYSCALL/);

    const cert = pki.issue("secure.test", ["DNS:secure.test"]);
    dir.write(
      "secret.yaml",
      [
        "apiVersion: v1",
        "kind: Secret",
        "metadata: {name: secure-credential, namespace: istio-system}",
        "type: kubernetes.io/tls",
        "data:",
        `  tls.crt: ${Buffer.from(cert.cert).toString("base64")}`,
        `  tls.key: ${Buffer.from(cert.key).toString("base64")}`,
        "",
      ].join("\n"),
    );
    assert.equal(await proxy.reload(), true);
    const late = await get("/one");
    assert.deepEqual([late.status, late.body], [200, "one"]);
  });

  it("keeps serving a deleted Secret's certificate while other changes apply", async () => {
    rmSync(`${dir.dir}/secret.yaml`);
    dir.write("gateway.yaml", documents(GATEWAY, answering("/two", "two")));
    logs.length = 0;
    assert.equal(await proxy.reload(), true);
    const after = await get("/two");
    assert.deepEqual([after.status, after.body], [200, "two"]);
    assert.ok(
      logs.some((l) =>
        l.includes(
          "Warning [IGW6023] (Secret istio-system/secure-credential) is missing, or has no certificate and key or CA bundle",
        ),
      ),
      logs.join("\n"),
    );
  });
});

describe("credential Secrets whose material TLS refuses", () => {
  const pki = new TestPki();
  const dir = new ConfigDir();
  const logs: string[] = [];
  let proxy: GatewayProxy;
  let port: number;
  let good: Issued;

  /** Two HTTPS servers on one port, good.test and bad.test, each with its own Secret. */
  const gateway = (path: string) =>
    documents(
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-good, protocol: HTTPS}
    hosts: [good.test]
    tls: {mode: SIMPLE, credentialName: good-credential}
  - port: {number: 443, name: https-bad, protocol: HTTPS}
    hosts: [bad.test]
    tls: {mode: SIMPLE, credentialName: bad-credential}
`,
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: istio-system}
spec:
  hosts: [good.test, bad.test]
  gateways: [gw]
  http:
  - match: [{uri: {exact: ${path}}}]
    directResponse: {status: 200, body: {string: ${path.slice(1)}}}
`,
    );

  const get = (host: string, path: string) =>
    curl([
      "--cacert",
      pki.ca.certPath,
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      `https://${host}:${port}${path}`,
    ]);

  /** The SHA-256 fingerprint of the certificate the proxy answers SNI `host` with. */
  async function servedFingerprint(host: string): Promise<string> {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: host, ca: pki.ca.cert });
    try {
      await once(socket, "secureConnect");
      return socket.getPeerX509Certificate()!.fingerprint256;
    } finally {
      socket.destroy();
    }
  }

  before(async () => {
    good = pki.issue("good.test", ["DNS:good.test"]);
    const bad = pki.issue("bad.test", ["DNS:bad.test"]);
    dir.write("gateway.yaml", gateway("/one"));
    dir.write("good.yaml", tlsSecret("good-credential", good.cert, good.key));
    // Istio's "invalid private key" case: the key is not a PEM key at all.
    dir.write("bad.yaml", tlsSecret("bad-credential", bad.cert, "not a key"));
    const served = new ServedSecrets();
    const identity = { namespace: "istio-system", labels: { istio: "ingressgateway" } };
    proxy = await startFileProxy([dir.dir], [443], [], logs, undefined, {
      load: () => loadProxyConfig([dir.dir], identity, served),
      watchPaths: [],
    });
    port = proxy.boundPorts().get(443)!;
  });

  after(async () => {
    await proxy.close();
    dir.dispose();
    pki.dispose();
  });

  it("starts, serving every other server, with the refused one's handshakes failing", async () => {
    const ok = await get("good.test", "/one");
    assert.deepEqual([ok.status, ok.body], [200, "one"]);
    await assert.rejects(get("bad.test", "/one"), /SSL_ERROR_SYSCALL/);
    assert.ok(
      logs.some(
        (l) =>
          l.startsWith(
            'warning: listener "0.0.0.0_8443" filter chain "https.443.https-bad.gw.istio-system": invalid TLS material: ',
          ) &&
          l.endsWith(
            "(Secret istio-system/bad-credential); handshakes on the chain fail until the Secret is mended",
          ),
      ),
      logs.join("\n"),
    );
  });

  it("keeps a served Secret's certificate when its new material is refused, while other changes apply", async () => {
    const before = await servedFingerprint("good.test");
    assert.equal(before, new X509Certificate(good.cert).fingerprint256);
    // Istio's "mis-matched key and cert" case: another certificate, with the old key.
    const other = pki.issue("good.test", ["DNS:good.test"]);
    dir.write("good.yaml", tlsSecret("good-credential", other.cert, good.key));
    dir.write("gateway.yaml", gateway("/two"));
    logs.length = 0;
    assert.equal(await proxy.reload(), true);
    const ok = await get("good.test", "/two");
    assert.deepEqual([ok.status, ok.body], [200, "two"]);
    assert.equal(await servedFingerprint("good.test"), before);
    assert.ok(
      logs.some((l) =>
        l.endsWith("(Secret istio-system/good-credential); the chain keeps serving the certificate it had"),
      ),
      logs.join("\n"),
    );
    // Mended, the Secret's new certificate is served.
    dir.write("good.yaml", tlsSecret("good-credential", other.cert, other.key));
    assert.equal(await proxy.reload(), true);
    assert.equal(await servedFingerprint("good.test"), new X509Certificate(other.cert).fingerprint256);
  });
});
